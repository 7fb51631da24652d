import type { Interceptor } from "@connectrpc/connect";
import { ConnectError } from "@connectrpc/connect";
import { collectDefaultMetrics, Histogram, Registry, type Metric, type OpenMetricsContentType } from "prom-client";
import { currentTraceId } from "./tracing.js";

/** Process-wide Prometheus registry plus the RPC metrics every service shares. */
export interface Metrics {
  readonly registry: Registry;
  readonly rpcDuration: Histogram<"service" | "method" | "code">;
  /**
   * The RPC histogram's own registry: prom-client keeps exemplars only on OpenMetrics registries, and turning the
   * process's registry to OpenMetrics would rename its counters, so it lives apart and `metricsEndpoint` serves both.
   */
  readonly exemplars: Registry<OpenMetricsContentType>;
}

/** The exemplar registry with its content type switchable both ways (prom-client types it one way). */
type SwitchableRegistry = { setContentType(type: string): void; metrics(): Promise<string> };

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const exemplars = new Registry<OpenMetricsContentType>();
  exemplars.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  const rpcDuration = new Histogram({
    name: "exchange_rpc_duration_seconds",
    help: "Server-side RPC latency by service, method and status code",
    labelNames: ["service", "method", "code"] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    enableExemplars: true,
    registers: [exemplars],
  });
  return { registry, rpcDuration, exemplars };
}

/**
 * Server interceptor recording the latency and outcome of every call, with the call's trace id as the bucket's
 * exemplar when it runs inside a span (put it after the tracing interceptors); without tracing, no exemplar.
 */
export function metricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (request) => {
    const started = process.hrtime.bigint();
    const labels = { service: request.service.typeName, method: request.method.name, code: "ok" };
    const traceId = currentTraceId();
    const observe = () => {
      const value = secondsSince(started);
      metrics.rpcDuration.observe(traceId ? { labels, value, exemplarLabels: { trace_id: traceId } as never } : { labels, value });
    };
    try {
      const response = await next(request);
      observe();
      return response;
    } catch (error) {
      labels.code = String(ConnectError.from(error).code);
      observe();
      throw error;
    }
  };
}

export interface MetricsEndpoint {
  /** /metrics: Prometheus text, or OpenMetrics with exemplars when `accept` asks for application/openmetrics-text. */
  render(accept: string | undefined): Promise<{ contentType: string; body: string }>;
}

export function metricsEndpoint(metrics: Metrics): MetricsEndpoint {
  let turn: Promise<unknown> = Promise.resolve();
  // The exemplar registry's content type is switched for a Prometheus scrape; one scrape at a time.
  const renderExemplars = (openMetrics: boolean) => {
    const rendered = turn.then(async () => {
      const registry = metrics.exemplars as unknown as SwitchableRegistry;
      if (!openMetrics) registry.setContentType(Registry.PROMETHEUS_CONTENT_TYPE);
      try {
        return await registry.metrics();
      } finally {
        registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
      }
    });
    turn = rendered.catch(() => undefined);
    return rendered;
  };
  return {
    async render(accept) {
      const openMetrics = /application\/openmetrics-text/i.test(accept ?? "");
      const main = await metrics.registry.metrics();
      const rpc = await renderExemplars(openMetrics);
      if (!openMetrics) return { contentType: metrics.registry.contentType, body: `${main}\n${rpc}` };
      const rpcFamilies = rpc.replace(/# EOF\n?$/, "");
      return { contentType: Registry.OPENMETRICS_CONTENT_TYPE, body: `${toOpenMetrics(main)}${rpcFamilies}# EOF\n` };
    },
  };
}

/**
 * Prometheus text as OpenMetrics: no blank lines, and a counter family named without its `_total` (its samples keep
 * it). Every counter here ends in `_total` (docs/operations.md), prom-client's defaults too.
 */
export function toOpenMetrics(text: string): string {
  const counters = new Set<string>();
  for (const match of text.matchAll(/^# TYPE (\S+) counter$/gm)) counters.add(match[1]!);
  const lines = text.split("\n").filter((line) => line !== "");
  return (
    lines
      .map((line) => {
        const match = /^# (HELP|TYPE) (\S+)( .*)?$/.exec(line);
        if (!match || !counters.has(match[2]!)) return line;
        return `# ${match[1]} ${match[2]!.replace(/_total$/, "")}${match[3] ?? ""}`;
      })
      .join("\n") + "\n"
  );
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
