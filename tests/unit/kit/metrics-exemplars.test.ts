import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { Health } from "#gen/grpc/health/v1/health_pb.js";
import { HealthRegistry } from "#kit/health/health.routes.js";
import { buildHandler } from "#kit/rpc/server.js";
import { createMetrics, metricsEndpoint, metricsInterceptor, toOpenMetrics } from "#kit/telemetry/metrics.js";
import { serverTracingInterceptors, startTracing, type RunningTracing } from "#kit/telemetry/tracing.js";

// Exemplars: with tracing on, each RPC latency observation carries its trace id, shown to a scraper that asks for
// OpenMetrics; a plain Prometheus scrape is unchanged. The OTLP endpoint is a closed port: spans are dropped.

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
let tracing: RunningTracing | undefined;
let server: Server;
let base: string;

beforeAll(async () => {
  tracing = await startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_BSP_SCHEDULE_DELAY: "60000", OTEL_EXPORTER_OTLP_TIMEOUT: "200" }, "metrics-test");
  const metrics = createMetrics();
  const health = new HealthRegistry();
  health.set("", true);
  const handler = buildHandler({ routes: (router) => health.routes(router), interceptors: [...serverTracingInterceptors(), metricsInterceptor(metrics)], metrics: metricsEndpoint(metrics) });
  server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await tracing?.shutdown().catch(() => undefined);
});

describe("RPC latency exemplars", () => {
  it("a scrape asking for OpenMetrics shows the traced call's trace id; a Prometheus scrape shows none", async () => {
    const client = createClient(Health, createConnectTransport({ baseUrl: base, httpVersion: "1.1" }));
    await client.check({ service: "" }, { headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-01` } });

    const open = await fetch(`${base}/metrics`, { headers: { accept: "application/openmetrics-text; version=1.0.0; charset=utf-8" } });
    expect(open.headers.get("content-type")).toContain("application/openmetrics-text");
    const text = await open.text();
    const bucket = text.split("\n").find((line) => line.startsWith("exchange_rpc_duration_seconds_bucket{") && line.includes('method="Check"') && line.includes(" # {"));
    expect(bucket).toContain(`# {trace_id="${TRACE_ID}"}`);
    expect(text.endsWith("# EOF\n")).toBe(true);
    expect(text).not.toMatch(/\n\n/);
    // Counter families are named without _total in OpenMetrics; their samples keep it.
    expect(text).toMatch(/^# TYPE process_cpu_user_seconds counter$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);

    const plain = await fetch(`${base}/metrics`);
    expect(plain.headers.get("content-type")).toContain("text/plain");
    const prometheus = await plain.text();
    expect(prometheus).toMatch(/^exchange_rpc_duration_seconds_count\{service="grpc.health.v1.Health",method="Check",code="ok"\} 1$/m);
    expect(prometheus).not.toContain("trace_id");
    expect(prometheus).toMatch(/^# TYPE process_cpu_user_seconds_total counter$/m);
  });

  it("renames only counter families", () => {
    const text = "# HELP a_total A\n# TYPE a_total counter\na_total 1\n\n# HELP b_total B\n# TYPE b_total gauge\nb_total 2\n";
    expect(toOpenMetrics(text)).toBe("# HELP a A\n# TYPE a counter\na_total 1\n# HELP b_total B\n# TYPE b_total gauge\nb_total 2\n");
  });
});
