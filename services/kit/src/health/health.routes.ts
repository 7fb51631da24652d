import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "#gen/grpc/health/v1/health_pb.js";
import { Wakeups } from "../lifecycle/wakeups.js";

/**
 * The standard grpc.health.v1 service. "" is the whole process; each service registers its
 * fully qualified name. Kubernetes gRPC probes call Check.
 */
export class HealthRegistry {
  private readonly statuses = new Map<string, Status>([["", Status.NOT_SERVING]]);
  private readonly changes = new Wakeups();

  set(service: string, serving: boolean): void {
    this.statuses.set(service, serving ? Status.SERVING : Status.NOT_SERVING);
    this.changes.wakeAll();
  }

  status(service: string): Status | undefined {
    return this.statuses.get(service);
  }

  routes(router: ConnectRouter): void {
    router.service(Health, {
      check: (request) => {
        const status = this.status(request.service);
        if (status === undefined) throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
        return { status };
      },
      watch: (request, context) => this.watch(request.service, context.signal),
    });
  }

  private async *watch(service: string, signal: AbortSignal) {
    let last: Status | undefined;
    while (!signal.aborted) {
      const current = this.status(service) ?? Status.SERVICE_UNKNOWN;
      if (current !== last) {
        last = current;
        yield { status: current };
      }
      await this.changes.wait({ signal });
    }
  }
}
