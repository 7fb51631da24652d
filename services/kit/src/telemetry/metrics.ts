import type { Interceptor } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";

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
