import type { Interceptor } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import { collectDefaultMetrics, Histogram, Registry, type Metric } from "prom-client";

/** Process-wide Prometheus registry plus the RPC metrics every service shares. */
export interface Metrics {
  readonly registry: Registry;
  readonly rpcDuration: Histogram<"service" | "method" | "code">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const rpcDuration = new Histogram({
    name: "exchange_rpc_duration_seconds",
    help: "Server-side RPC latency by service, method and status code",
    labelNames: ["service", "method", "code"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return { registry, rpcDuration };
}

/** Server interceptor recording the latency and outcome of every call. */
export function metricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (request) => {
    const stop = metrics.rpcDuration.startTimer({ service: request.service.typeName, method: request.method.name });
    try {
      const response = await next(request);
      stop({ code: "ok" });
      return response;
    } catch (error) {
      stop({ code: String(ConnectError.from(error).code) });
      throw error;
    }
  };
}

/**
 * The metric named `name` in `registry`, made by `make` the first time: modules built twice on one registry
 * (tests, a restarted module) share their series instead of failing on a duplicate name. No registry: a
 * metric of its own, counted but served nowhere.
 */
export function registered<T extends Metric>(registry: Registry | undefined, name: string, make: (registers: Registry[]) => T): T {
  const existing = registry?.getSingleMetric(name) as T | undefined;
  return existing ?? make(registry ? [registry] : []);
}

/** Seconds since `start` (a process.hrtime.bigint() reading), for histograms in seconds. */
export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}
