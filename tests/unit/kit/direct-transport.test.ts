// The in-process transport hands messages over as values: one object on both sides, frozen under the test runner,
// so a service that changes a message after handing it over (or one it received) fails here, not in production.
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ConnectError, createClient, type ConnectRouter } from "@connectrpc/connect";
import { Health, HealthCheckRequestSchema, type HealthCheckRequest, HealthCheckResponse_ServingStatus, HealthCheckResponseSchema } from "#gen/grpc/health/v1/health_pb.js";
import { directTransport } from "#kit/rpc/direct-transport.js";

const kept = create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });

function routes(router: ConnectRouter): void {
  router.service(Health, {
    check: (request: HealthCheckRequest) => {
      if (request.service === "mutate-request") request.service = "changed";
      return request.service === "kept" ? kept : { status: HealthCheckResponse_ServingStatus.NOT_SERVING };
    },
    watch: async function* () {},
    list: () => ({ statuses: {} }),
  } as never);
}

describe("directTransport", () => {
  const health = createClient(Health, directTransport(routes));

  it("answers with the handler's message, frozen: the caller cannot change what the callee keeps", async () => {
    const answer = await health.check({ service: "kept" });
    expect(answer).toBe(kept);
    expect(Object.isFrozen(answer)).toBe(true);
    expect(() => {
      (answer as { status: number }).status = HealthCheckResponse_ServingStatus.NOT_SERVING;
    }).toThrow(TypeError);
    expect(kept.status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("fails a handler that changes the request it received, and leaves the caller's message as it was", async () => {
    const request = create(HealthCheckRequestSchema, { service: "mutate-request" });
    const error = await health.check(request).then(
      () => undefined,
      (reason: unknown) => ConnectError.from(reason),
    );
    expect(error).toBeInstanceOf(ConnectError);
    expect(error?.rawMessage).toMatch(/read[ -]only/i);
    expect(request.service).toBe("mutate-request");
  });

  it("makes a message from a plain object (defaults filled) and hands it over frozen", async () => {
    expect(await health.check({})).toMatchObject({ status: HealthCheckResponse_ServingStatus.NOT_SERVING });
  });
});
