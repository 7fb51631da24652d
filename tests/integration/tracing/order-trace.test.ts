import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { withServiceKey } from "#kit/rpc/service-keys.js";
import { freePort } from "../../support/free-port.js";

// One order's trace across processes, in a real trace backend: every service in a process of its own (as in
// Kubernetes, gRPC between them), matching's command log and order's user-data stream on Kafka, each process
// exporting OTLP to the Jaeger that tests/infra starts on loopback. Two users trade through the edge's REST API;
// the crossing order's trace must run from the edge's request through order and matching (its journal append to
// Kafka) to wallet settling the trade, as one trace, parent by parent, and on through the traceparent that order's
// Kafka records carry to the replica's delivery of the order update.

const REPO = resolve(import.meta.dirname, "../../..");
const OTLP = process.env.EXCHANGE_JAEGER_OTLP_URL ?? "http://127.0.0.1:54318";
const QUERY = process.env.EXCHANGE_JAEGER_QUERY_URL ?? "http://127.0.0.1:56686";
const SERVICES = ["auth", "wallet", "matching", "order", "marketdata", "edge"] as const;
const KAFKA = process.env.EXCHANGE_KAFKA_BROKERS ?? "127.0.0.1:59092";
// Service keys, as the Helm chart hands them out: order's (holds, settlements, freezes) and the tooling's (credits).
const ORDER_KEY = "order-key-for-order-trace-test-0123456789";
const OPS_KEY = "ops-key-for-order-trace-test-0123456789ab";
const KEYS: Partial<Record<string, Record<string, string>>> = {
  order: { EXCHANGE_SERVICE_KEY: ORDER_KEY },
  wallet: { EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY, EXCHANGE_CALLER_KEY_OPS: OPS_KEY },
  auth: { EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY },
};
type Service = (typeof SERVICES)[number];

interface Running {
  readonly name: Service;
  readonly grpc: number;
  readonly http: number;
  readonly child: ChildProcess;
  readonly log: string;
}


/** Polls `check` until it returns a value; fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not in ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((done) => setTimeout(done, 200));
  }
}

let runDir: string;
let runId: string;
const processes = new Map<Service, Running>();

async function jaegerAnswers(): Promise<boolean> {
  try {
    return (await fetch(`${QUERY}/api/services`)).ok;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  if (!(await jaegerAnswers())) throw new Error(`no Jaeger query API at ${QUERY}: run tests/infra/up.sh jaeger`);
  runDir = mkdtempSync(join(tmpdir(), "order-trace-"));
  runId = randomBytes(4).toString("hex");
  const ports = new Map<Service, { grpc: number; http: number }>();
  for (const name of SERVICES) ports.set(name, { grpc: await freePort(), http: await freePort() });
  const addresses = Object.fromEntries(SERVICES.map((name) => [`${name.toUpperCase()}_ADDR`, `http://127.0.0.1:${ports.get(name)!.grpc}`]));
  for (const name of SERVICES) {
    const { grpc, http } = ports.get(name)!;
    const dataDir = join(runDir, name);
    mkdirSync(dataDir, { recursive: true });
    const log = join(runDir, `${name}.log`);
    const out = openSync(log, "a");
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ...addresses,
      EXCHANGE_SERVICE: name,
      EXCHANGE_HOST: "127.0.0.1",
      EXCHANGE_GRPC_PORT: String(grpc),
      EXCHANGE_HTTP_PORT: String(http),
      EXCHANGE_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      AUTH_ARGON2_MEMORY_KIB: "256",
      AUTH_ARGON2_TIME_COST: "1",
      WALLET_SIMULATED_CHAIN_FAUCET: "false",
      OTEL_EXPORTER_OTLP_ENDPOINT: OTLP,
      OTEL_SERVICE_NAME: name,
      OTEL_RESOURCE_ATTRIBUTES: `service.namespace=exchange-test,exchange.run=${runDir}`,
      OTEL_BSP_SCHEDULE_DELAY: "100",
      EXCHANGE_KAFKA_BROKERS: KAFKA,
      EXCHANGE_TOPIC_PARTITIONS: "1",
      EXCHANGE_KAFKA_REPLICATION_FACTOR: "1",
      // A command topic of this run's own: a book replays its whole partition.
      ...(name === "matching" ? { MATCHING_JOURNAL: "kafka", MATCHING_COMMANDS_TOPIC: `exchange.matching.commands.trace-${runId}` } : {}),
      ...(name === "order" ? { ORDER_UPDATES: "kafka" } : {}),
      ...KEYS[name],
    };
    const child = spawn(process.execPath, ["--import", "tsx", "services/main.ts"], { cwd: REPO, env, stdio: ["ignore", out, out], detached: true });
    closeSync(out);
    processes.set(name, { name, grpc, http, child, log });
  }
  // Every process SERVING (grpc.health.v1), as a readiness probe would see it.
  await Promise.all(
    [...processes.values()].map((running) =>
      eventually(
        `${running.name} SERVING (log: ${running.log})`,
        async () => {
          if (running.child.exitCode !== null) throw new Error(`${running.name} exited ${running.child.exitCode}: ${readFileSync(running.log, "utf8").slice(-2000)}`);
          const health = createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${running.grpc}` }));
          const { status } = await health.check({ service: "" }, { timeoutMs: 1000 });
          return status === HealthCheckResponse_ServingStatus.SERVING ? true : undefined;
        },
        120_000,
      ),
    ),
  );
}, 180_000);

afterAll(async () => {
  await Promise.all(
    [...processes.values()].map(
      (running) =>
        new Promise<void>((done) => {
          if (running.child.exitCode !== null || running.child.signalCode !== null) return done();
          running.child.once("exit", () => done());
          running.child.kill("SIGTERM");
          setTimeout(() => running.child.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  );
  if (runDir) rmSync(runDir, { recursive: true, force: true });
});

interface Key {
  readonly userId: string;
  readonly apiKey: string;
  sign(payload: string): string;
}

async function trader(email: string): Promise<Key> {
  const auth = createClient(AuthService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${processes.get("auth")!.grpc}` }));
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const headers = { authorization: `Bearer ${tokens!.accessToken}` };
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "bot" }, { headers });
  return { userId, apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

async function order(key: Key, params: Record<string, string>) {
  const query = new URLSearchParams({ symbol: "BTCUSDT", type: "LIMIT", timeInForce: "GTC", newOrderRespType: "RESULT", ...params, timestamp: String(Date.now()) }).toString();
  const response = await fetch(`http://127.0.0.1:${processes.get("edge")!.http}/api/v3/order?${query}&signature=${key.sign(query)}`, { method: "POST", headers: { "X-MBX-APIKEY": key.apiKey } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Jaeger's JSON (the query API's /api/traces). */
interface JaegerSpan {
  readonly spanID: string;
  readonly operationName: string;
  readonly processID: string;
  readonly references: readonly { readonly refType: string; readonly spanID: string }[];
  readonly tags: readonly { readonly key: string; readonly value: unknown }[];
}
interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, { readonly serviceName: string }>>;
}

async function traces(service: string, operation: string): Promise<JaegerTrace[]> {
  const url = `${QUERY}/api/traces?service=${service}&operation=${encodeURIComponent(operation)}&lookback=1h&limit=100`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: JaegerTrace[] | null }).data ?? [];
}

describe("an order's trace", () => {
  it("runs from the edge through order and matching to wallet's settlement, as one trace", async () => {
    const alice = await trader("alice@example.com");
    const bob = await trader("bob@example.com");
    const wallet = createClient(WalletService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${processes.get("wallet")!.grpc}`, interceptors: [withServiceKey(OPS_KEY)] }));
    await wallet.creditAccount({ creditId: "fund-alice", accountId: alice.userId, asset: "BTC", amount: "2", reason: "test" });
    await wallet.creditAccount({ creditId: "fund-bob", accountId: bob.userId, asset: "USDT", amount: "100000", reason: "test" });

    const sell = await order(alice, { side: "SELL", quantity: "0.5", price: "30000", newClientOrderId: "trace-sell" });
    expect(sell.status, JSON.stringify(sell.body)).toBe(200);
    const buy = await order(bob, { side: "BUY", quantity: "0.2", price: "30000", newClientOrderId: "trace-buy" });
    expect(buy.status, JSON.stringify(buy.body)).toBe(200);
    expect(buy.body.status).toBe("FILLED");

    // The settlement's span reaches Jaeger once wallet's exporter has flushed (100 ms batches).
    const settle = "exchange.wallet.v1.WalletService/SettleTrades";
    // Spans reach Jaeger in each process's own batches (100 ms): wait until the whole chain from wallet's
    // settlement span up to the edge's request is there, each parent in the same trace, across processes.
    const chainOf = (candidate: JaegerTrace) => {
      const byId = new Map(candidate.spans.map((span) => [span.spanID, span]));
      const settlement = candidate.spans.find((span) => span.operationName === settle && candidate.processes[span.processID]?.serviceName === "wallet");
      const links: string[] = [];
      for (let span: JaegerSpan | undefined = settlement; span; ) {
        links.push(`${candidate.processes[span.processID]!.serviceName}: ${span.operationName}`);
        const parent: { readonly spanID: string } | undefined = span.references.find((reference) => reference.refType === "CHILD_OF");
        span = parent ? byId.get(parent.spanID) : undefined;
      }
      return links.reverse();
    };
    let seen: string[] = [];
    const found = await eventually(
      "a trace with wallet's SettleTrades under the edge's POST /api/v3/order",
      async () => {
        for (const candidate of await traces("wallet", settle)) {
          const links = chainOf(candidate);
          if (links.length > seen.length) seen = links;
          const delivered = candidate.spans.some((span) => span.operationName === "exchange.order.user-data.v1 process");
          if (links[0] === "edge: POST /api/v3/order" && delivered) return candidate;
        }
        return undefined;
      },
      60_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; the longest chain seen:\n${seen.join("\n")}`);
    });
    const serviceOf = (span: JaegerSpan) => found.processes[span.processID]!.serviceName;
    const chain = chainOf(found);
    // Root first: the edge's request, order's PlaceOrder, matching's SubmitBatch, order's consumer, wallet.
    expect(chain[0]).toBe("edge: POST /api/v3/order");
    const position = (entry: string) => chain.findIndex((link) => link === entry);
    const steps = [
      "edge: POST /api/v3/order",
      "order: exchange.order.v1.OrderService/PlaceOrder",
      "matching: exchange.matching.v1.MatchingService/SubmitBatch",
      "order: exchange.matching.events process",
      `wallet: ${settle}`,
    ];
    for (const step of steps) expect(chain, chain.join("\n")).toContain(step);
    expect(steps.map(position)).toEqual([...steps.map(position)].sort((a, b) => a - b));

    // The work behind the RPCs has spans of its own in the same trace: the journal append and both stores' commits.
    const operations = new Set(found.spans.map((span) => `${serviceOf(span)}: ${span.operationName}`));
    expect(operations).toContain("matching: matching.journal.append");
    expect(operations).toContain("wallet: wallet.ledger.execute");
    expect(operations).toContain("order: order.store.applyBatch");
    const append = found.spans.find((span) => span.operationName === "matching.journal.append")!;
    expect(append.tags).toContainEqual(expect.objectContaining({ key: "exchange.journal", value: "kafka" }));
    // Order's user-data records carry the consumer span's traceparent through Kafka; the delivery is its child.
    const delivery = found.spans.find((span) => span.operationName === "exchange.order.user-data.v1 process");
    expect(delivery, [...operations].join("\n")).toBeDefined();
    const consumer = found.spans.find((span) => span.operationName === "exchange.matching.events process")!;
    expect(delivery!.references).toContainEqual(expect.objectContaining({ refType: "CHILD_OF", spanID: consumer.spanID }));
  }, 120_000);
});
