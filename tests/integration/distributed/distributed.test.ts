// Distributed mode, as the Helm chart describes it, on one machine: one process per pod (two replicas each of
// edge, order, wallet, auth and marketdata, one matching) started by tests/support/distributed with the
// environment Kubernetes would give each pod, on the real engines of tests/infra.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { startDistributed, type Distributed } from "../../support/distributed/launch.js";

let exchange: Distributed;

beforeAll(async () => {
  exchange = await startDistributed({ onProgress: (line) => console.log(`[distributed] ${line}`) });
}, 240_000);

afterAll(async () => {
  await exchange?.stop();
}, 60_000);

afterEach((context) => {
  if (context.task.result?.state === "fail" && exchange) console.log(`logs of the run (${exchange.runDir}):\n${exchange.tails(25)}`);
});

describe("distributed mode from the chart", () => {
  it("runs one process per pod the chart renders, each with its pod's environment and only ports, data dirs and peers changed", () => {
    const count = (component: string) => exchange.replicas(component).length;
    expect(Object.fromEntries(["auth", "edge", "marketdata", "matching", "order", "wallet"].map((c) => [c, count(c)]))).toEqual({ auth: 2, edge: 2, marketdata: 2, matching: 1, order: 2, wallet: 2 });
    for (const workload of exchange.chart.workloads) expect(count(workload.component), workload.component).toBe(workload.replicas);

    const allowed = /^(EXCHANGE_GRPC_PORT|EXCHANGE_HTTP_PORT|EXCHANGE_DATA_DIR|MATCHING_DATA_DIR|[A-Z]+_ADDR)$/;
    for (const p of exchange.processes) {
      expect(p.env.EXCHANGE_SERVICE, p.name).toBe(p.component);
      expect(Object.keys(p.overrides).filter((name) => !allowed.test(name)), p.name).toEqual([]);
      // Everything else is the chart's: the ConfigMap through envFrom, the Secret, the fieldRefs, $(VAR) expanded.
      expect(p.env.EXCHANGE_KAFKA_BROKERS).toBe("127.0.0.1:59092");
      expect(p.env.OTEL_SERVICE_NAME).toBe(p.component);
      expect(p.env.OTEL_RESOURCE_ATTRIBUTES).toBe(`service.namespace=exchange,k8s.namespace.name=exchange,k8s.pod.name=${p.name}`);
      for (const [name, value] of Object.entries(p.env)) if (name.endsWith("_ADDR")) expect(value, `${p.name} ${name}`).toBe(exchange.grpcUrls[name.slice(0, -5).toLowerCase()]);
    }
    const envOf = (component: string) => exchange.replicas(component)[0]!.env;
    expect(envOf("auth")).toMatchObject({ AUTH_DATABASE_URL: exchange.stores.secrets["auth-database-url"], AUTH_SECRETS: "aws", AUTH_REPLAY_CACHE_URL: "redis://127.0.0.1:56379" });
    expect(envOf("wallet")).toMatchObject({ WALLET_LEDGER_URL: `dynamodb:${exchange.stores.ledgerTable}`, WALLET_PROJECTION_PG_URL: exchange.stores.secrets["wallet-projection-pg-url"], EXCHANGE_AWS_ENDPOINT: "http://127.0.0.1:55000" });
    expect(envOf("order")).toMatchObject({ ORDER_DATABASE_URL: exchange.stores.secrets["order-database-url"], ORDER_UPDATES: "kafka" });
    expect(envOf("matching")).toMatchObject({ MATCHING_JOURNAL: "kafka", MATCHING_COMMANDS_TOPIC: exchange.stores.commandsTopic });
    expect(envOf("marketdata")).toMatchObject({ MARKETDATA_DATABASE_URL: exchange.stores.secrets["marketdata-database-url"] });
    expect(envOf("edge")).toMatchObject({ EDGE_LISTEN_KEY_REDIS_URL: "redis://127.0.0.1:56379", EDGE_RATE_LIMIT_REDIS_URL: "redis://127.0.0.1:56379", EDGE_TRUST_FORWARDED_FOR: "true" });
  });

  it("answers grpc.health.v1 SERVING on every process, and through every Service stand-in", async () => {
    const urls = [...exchange.processes.map((p) => p.grpcUrl), ...Object.values(exchange.grpcUrls)];
    const statuses = await Promise.all(urls.map(async (baseUrl) => (await createClient(Health, createGrpcTransport({ baseUrl })).check({ service: "" })).status));
    expect(statuses.every((s) => s === HealthCheckResponse_ServingStatus.SERVING)).toBe(true);
  });
});
