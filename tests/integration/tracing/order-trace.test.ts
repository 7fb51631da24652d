import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";

// One order's trace across processes, in a real trace backend: every service in a process of its own (as in
// Kubernetes, gRPC between them), each exporting OTLP to the Jaeger that tests/infra starts on loopback. Two
// users trade through the edge's REST API; the crossing order's trace must run from the edge's request through
// order and matching (its journal append) to wallet settling the trade, as one trace, parent by parent.

const REPO = resolve(import.meta.dirname, "../../..");
const OTLP = process.env.EXCHANGE_JAEGER_OTLP_URL ?? "http://127.0.0.1:54318";
const QUERY = process.env.EXCHANGE_JAEGER_QUERY_URL ?? "http://127.0.0.1:56686";
const SERVICES = ["auth", "wallet", "matching", "order", "marketdata", "edge"] as const;
type Service = (typeof SERVICES)[number];

interface Running {
  readonly name: Service;
  readonly grpc: number;
  readonly http: number;
  readonly child: ChildProcess;
  readonly log: string;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
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
    const wallet = createClient(WalletService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${processes.get("wallet")!.grpc}` }));
    await wallet.creditAccount({ creditId: "fund-alice", accountId: alice.userId, asset: "BTC", amount: "2", reason: "test" });
    await wallet.creditAccount({ creditId: "fund-bob", accountId: bob.userId, asset: "USDT", amount: "100000", reason: "test" });

    const sell = await order(alice, { side: "SELL", quantity: "0.5", price: "30000", newClientOrderId: "trace-sell" });
    expect(sell.status, JSON.stringify(sell.body)).toBe(200);
    const buy = await order(bob, { side: "BUY", quantity: "0.2", price: "30000", newClientOrderId: "trace-buy" });
    expect(buy.status, JSON.stringify(buy.body)).toBe(200);
    expect(buy.body.status).toBe("FILLED");

    // The settlement's span reaches Jaeger once wallet's exporter has flushed (100 ms batches).
    const settle = "exchange.wallet.v1.WalletService/SettleTrades";
    const found = await eventually(
      "a trace with wallet's SettleTrades under the edge's POST /api/v3/order",
      async () => {
        for (const candidate of await traces("wallet", settle)) {
          const services = new Set(candidate.spans.map((span) => candidate.processes[span.processID]?.serviceName));
          if (["edge", "order", "matching", "wallet"].every((service) => services.has(service))) return candidate;
        }
        return undefined;
      },
      60_000,
    );

    // Walk from wallet's settlement span up to the root: each parent in the same trace, across processes.
    const byId = new Map(found.spans.map((span) => [span.spanID, span]));
    const serviceOf = (span: JaegerSpan) => found.processes[span.processID]!.serviceName;
    const settlement = found.spans.find((span) => span.operationName === settle && serviceOf(span) === "wallet")!;
    const chain: string[] = [];
    for (let span: JaegerSpan | undefined = settlement; span; ) {
      chain.push(`${serviceOf(span)}: ${span.operationName}`);
      const parent: { readonly spanID: string } | undefined = span.references.find((reference) => reference.refType === "CHILD_OF");
      span = parent ? byId.get(parent.spanID) : undefined;
    }
    chain.reverse();
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
  }, 120_000);
});
