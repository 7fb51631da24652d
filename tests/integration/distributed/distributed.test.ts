// Distributed mode, as the Helm chart describes it, on one machine: one process per pod (two replicas each of
// edge, order, wallet, auth and marketdata, one matching) started by tests/support/distributed with the
// environment Kubernetes would give each pod, on the real engines of tests/infra.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { TransferStatus, WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { generate } from "otplib";
import { openDatabase } from "#kit/db/database.js";
import { SqlUserStore, type AuthDb } from "../../../services/auth/src/adapters/user-store.sql.js";
import { withServiceKey } from "#kit/rpc/service-keys.js";
import { engines } from "../../support/engines.js";
import { startDistributed, type Distributed } from "../../support/distributed/launch.js";
import { StreamClient, type Msg } from "../edge/ws-client.js";
import { prng } from "../../support/prng.js";
import { EdgeUser, publicGet, units, type Json } from "./edge-client.js";
import { trade, withRetries, type Outcomes } from "./trader.js";

let exchange: Distributed;
/** The wallet's internal API through its Service stand-in, with the operator tooling's key: the operator's door (deposits, the fee account). */
let walletOps: Client<typeof WalletService>;
/** This run's client address (X-Forwarded-For), derived from the run id. */
let clientIp: string;

/** Starts a stack for the describe blocks that follow, and stops it after them. */
function withStack(options: { walletLedger: "dynamodb" | "postgres" }) {
  beforeAll(async () => {
    exchange = await startDistributed({ ...options, onProgress: (line) => console.log(`[distributed] ${line}`) });
    walletOps = createClient(WalletService, createGrpcTransport({ baseUrl: exchange.grpcUrls.wallet!, interceptors: [withServiceKey(exchange.stores.secrets["service-key-ops"]!)] }));
    const hash = createHash("sha256").update(exchange.runId).digest();
    clientIp = `10.${hash[0]}.${hash[1]}.${1 + (hash[2]! % 250)}`;
  }, 300_000);
  afterAll(async () => {
    await exchange?.stop();
  }, 60_000);
}

afterEach((context) => {
  if (context.task.result?.state === "fail" && exchange) console.log(`logs of the run (${exchange.runDir}):\n${exchange.tails(25)}`);
});

const BTC = "BTC";
const USDT = "USDT";
const reports = (m: Msg) => m.e === "executionReport";

/** Credits an account as an operator would (wallet's CreditAccount, idempotent by credit id). */
async function deposit(creditId: string, accountId: string, asset: string, amount: string): Promise<void> {
  await walletOps.creditAccount({ creditId, accountId, asset, amount, reason: "distributed end-to-end test" });
}

/** free / locked / pending withdrawal of one account, in units (scale 8 for BTC and USDT). */
async function balancesOf(accountId: string): Promise<Map<string, { free: bigint; locked: bigint; pending: bigint }>> {
  const { balances } = await walletOps.getBalances({ accountId });
  return new Map(balances.map((b) => [b.asset, { free: units(b.free), locked: units(b.locked), pending: units(b.pendingWithdrawal || "0") }]));
}

/**
 * Opens the user's data stream (listen key made on one edge, socket on the other) and waits until it is live: a
 * probe order far from the market is placed, and canceled, until its executionReport comes through the socket.
 */
async function openUserStream(user: EdgeUser): Promise<StreamClient> {
  const [keyEdge, socketEdge] = [user.nextEdge(), user.nextEdge()];
  const made = await user.userDataStream("POST", undefined, keyEdge);
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  const socket = await StreamClient.open(`${socketEdge!.replace(/^http/, "ws")}/ws/${made.body.listenKey as string}`, { headers: { "x-forwarded-for": user.ip } });
  for (let attempt = 0; ; attempt++) {
    const probe = `probe-${attempt}`;
    const placed = await user.signed("POST", "/api/v3/order", { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "10000", newClientOrderId: probe });
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    const heard = await socket.next((m) => reports(m) && m.c === probe, 3_000).then(
      () => true,
      () => false,
    );
    const canceled = await user.signed("DELETE", "/api/v3/order", { symbol: "BTCUSDT", origClientOrderId: probe });
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(200);
    if (heard) return socket;
    if (attempt >= 10) throw new Error("the user data stream never delivered a report");
  }
}

describe("with wallet's ledger on DynamoDB (the chart's loopback values)", () => {
  withStack({ walletLedger: "dynamodb" });

describe("distributed mode from the chart", () => {
  it("runs one process per pod the chart renders, each with its pod's environment and only ports, data dirs and peers changed", () => {
    const count = (component: string) => exchange.replicas(component).length;
    expect(Object.fromEntries(["auth", "edge", "marketdata", "matching", "notifier", "order", "wallet"].map((c) => [c, count(c)]))).toEqual({ auth: 2, edge: 2, marketdata: 2, matching: 1, notifier: 2, order: 2, wallet: 2 });
    for (const workload of exchange.chart.workloads) expect(count(workload.component), workload.component).toBe(workload.replicas);

    const allowed = /^(EXCHANGE_GRPC_PORT|EXCHANGE_HTTP_PORT|EXCHANGE_DATA_DIR|MATCHING_DATA_DIR|[A-Z]+_ADDR)$/;
    for (const p of exchange.processes) {
      expect(p.env.EXCHANGE_SERVICE, p.name).toBe(p.component);
      expect(Object.keys(p.overrides).filter((name) => !allowed.test(name)), p.name).toEqual([]);
      // Everything else is the chart's: the ConfigMap through envFrom, the Secret, the fieldRefs, $(VAR) expanded.
      expect(p.env.EXCHANGE_KAFKA_BROKERS).toBe(engines.kafkaBrokers.join(","));
      expect(p.env.OTEL_SERVICE_NAME).toBe(p.component);
      expect(p.env.OTEL_RESOURCE_ATTRIBUTES).toBe(`service.namespace=exchange,k8s.namespace.name=exchange,k8s.pod.name=${p.name}`);
      for (const [name, value] of Object.entries(p.env)) if (name.endsWith("_ADDR")) expect(value, `${p.name} ${name}`).toBe(exchange.grpcUrls[name.slice(0, -5).toLowerCase()]);
    }
    const envOf = (component: string) => exchange.replicas(component)[0]!.env;
    expect(envOf("auth")).toMatchObject({ AUTH_DATABASE_URL: exchange.stores.secrets["auth-database-url"], AUTH_SECRETS: "aws", AUTH_REPLAY_CACHE_URL: engines.redisUrl });
    expect(envOf("wallet")).toMatchObject({ WALLET_LEDGER_URL: `dynamodb:${exchange.stores.ledgerTable}`, WALLET_PROJECTION_PG_URL: exchange.stores.secrets["wallet-projection-pg-url"], EXCHANGE_AWS_ENDPOINT: engines.awsEndpoint });
    expect(envOf("order")).toMatchObject({ ORDER_DATABASE_URL: exchange.stores.secrets["order-database-url"], ORDER_UPDATES: "kafka" });
    expect(envOf("matching")).toMatchObject({ MATCHING_JOURNAL: "kafka", MATCHING_COMMANDS_TOPIC: exchange.stores.commandsTopic });
    expect(envOf("marketdata")).toMatchObject({ MARKETDATA_DATABASE_URL: exchange.stores.secrets["marketdata-database-url"] });
    // the event backbone: matching publishes to the run's events topic, order and marketdata consume it
    for (const c of ["matching", "order", "marketdata"]) expect(envOf(c)).toMatchObject({ MATCHING_EVENTS: "event-log", MATCHING_EVENTS_TOPIC: exchange.stores.eventsTopic });
    expect(envOf("notifier")).toMatchObject({ NOTIFIER_DATABASE_URL: exchange.stores.secrets["notifier-database-url"], EXCHANGE_NOTIFIER: "sns-sqs", EXCHANGE_AWS_ENDPOINT: engines.awsEndpoint });
    expect(envOf("edge")).toMatchObject({ EDGE_LISTEN_KEY_REDIS_URL: engines.redisUrl, EDGE_RATE_LIMIT_REDIS_URL: engines.redisUrl, EDGE_TRUST_FORWARDED_FOR: "true" });
    // Service keys from the Secret: order presents its own, wallet and auth admit it, the tooling's where tests use it.
    const [orderKey, opsKey] = [exchange.stores.secrets["service-key-order"], exchange.stores.secrets["service-key-ops"]];
    expect(envOf("order")).toMatchObject({ EXCHANGE_SERVICE_KEY: orderKey, EXCHANGE_CALLER_KEY_OPS: opsKey });
    expect(envOf("wallet")).toMatchObject({ EXCHANGE_CALLER_KEY_ORDER: orderKey, EXCHANGE_CALLER_KEY_OPS: opsKey });
    expect(envOf("auth")).toMatchObject({ EXCHANGE_CALLER_KEY_ORDER: orderKey });
    for (const c of ["edge", "marketdata", "matching", "notifier"]) expect(Object.keys(envOf(c)).filter((name) => name.startsWith("EXCHANGE_") && name.includes("_KEY")), c).toEqual([]);
  });

  it("refuses wallet's operator and hold RPCs to a caller without the key they need, and changes nothing", async () => {
    const anonymous = createClient(WalletService, createGrpcTransport({ baseUrl: exchange.grpcUrls.wallet! }));
    const failure = (call: Promise<unknown>) => call.then(() => expect.fail("expected a refusal"), (e: unknown) => ConnectError.from(e).code);
    expect(await failure(anonymous.creditAccount({ creditId: "no-key", accountId: "mallory", asset: BTC, amount: "1000", reason: "free money" }))).toBe(Code.Unauthenticated);
    expect(await failure(walletOps.createHold({ holdId: "no-order", accountId: "mallory", asset: BTC, amount: "1" }))).toBe(Code.PermissionDenied);
    expect((await walletOps.getBalances({ accountId: "mallory" })).balances).toEqual([]);
  });

  it("answers grpc.health.v1 SERVING on every process, and through every Service stand-in", async () => {
    const urls = [...exchange.processes.map((p) => p.grpcUrl), ...Object.values(exchange.grpcUrls)];
    const statuses = await Promise.all(urls.map(async (baseUrl) => (await createClient(Health, createGrpcTransport({ baseUrl })).check({ service: "" })).status));
    expect(statuses.every((s) => s === HealthCheckResponse_ServingStatus.SERVING)).toBe(true);
  });
});

describe("a user's day through the edge's doors, across replicas", () => {
  let alice: EdgeUser;
  let bob: EdgeUser;
  let bobStream: StreamClient;
  let totpSecret = "";
  let totpConfirmedAt = 0;

  beforeAll(async () => {
    alice = await EdgeUser.signUp(exchange.edgeUrls, `alice-${exchange.runId}@example.com`, clientIp);
    bob = await EdgeUser.signUp(exchange.edgeUrls.slice().reverse(), `bob-${exchange.runId}@example.com`, clientIp);
  });

  afterAll(async () => {
    await bobStream?.close();
  });

  it("signs up and in, makes an API key (Connect), is funded, and sees the funds over signed REST on both edges", async () => {
    expect(alice.userId).not.toBe(bob.userId);
    await alice.createApiKey();
    await bob.createApiKey();
    await deposit(`alice-btc-${exchange.runId}`, alice.userId, BTC, "1");
    await deposit(`bob-usdt-${exchange.runId}`, bob.userId, USDT, "10000");
    // A retried credit (same id) changes nothing.
    await deposit(`bob-usdt-${exchange.runId}`, bob.userId, USDT, "10000");
    for (const edge of exchange.edgeUrls) {
      const account = await bob.signed("GET", "/api/v3/account", { omitZeroBalances: "true" }, edge);
      expect(account.status, JSON.stringify(account.body)).toBe(200);
      expect(account.body.balances).toEqual([{ asset: USDT, free: "10000.00000000", locked: "0.00000000" }]);
    }
  });

  it("trades between the two users over signed REST; the buyer's stream (key on one edge, socket on the other) reports it", async () => {
    bobStream = await openUserStream(bob);
    const sell = await alice.signed("POST", "/api/v3/order", { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "30000", newClientOrderId: "alice-sell-1" });
    expect(sell.status, JSON.stringify(sell.body)).toBe(200);
    expect(sell.body).toMatchObject({ symbol: "BTCUSDT", clientOrderId: "alice-sell-1", status: "NEW", side: "SELL" });
    const buy = await bob.signed("POST", "/api/v3/order", { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "30010", newClientOrderId: "bob-buy-1" });
    expect(buy.status, JSON.stringify(buy.body)).toBe(200);
    expect(buy.body).toMatchObject({ status: "FILLED", executedQty: "0.10000000", cummulativeQuoteQty: "3000.00000000" });
    expect(buy.body.fills).toEqual([expect.objectContaining({ price: "30000.00000000", qty: "0.10000000", commission: "0.00010000", commissionAsset: BTC })]);
    const buyId = buy.body.orderId as number;

    expect(await bobStream.next((m) => reports(m) && m.i === buyId)).toMatchObject({ s: "BTCUSDT", c: "bob-buy-1", S: "BUY", x: "NEW", X: "NEW" });
    expect(await bobStream.next((m) => reports(m) && m.i === buyId)).toMatchObject({ x: "TRADE", X: "FILLED", l: "0.10000000", z: "0.10000000", L: "30000.00000000", n: "0.00010000", N: BTC, m: false });

    // Both sides' trades, orders and balances, from either edge: fees of 10 bps in the asset received.
    const [aliceTrades, bobTrades] = [await alice.signed("GET", "/api/v3/myTrades", { symbol: "BTCUSDT" }), await bob.signed("GET", "/api/v3/myTrades", { symbol: "BTCUSDT" })];
    expect(aliceTrades.body).toEqual([expect.objectContaining({ price: "30000.00000000", qty: "0.10000000", quoteQty: "3000.00000000", commission: "3.00000000", commissionAsset: USDT, isBuyer: false, isMaker: true })]);
    expect(bobTrades.body).toEqual([expect.objectContaining({ id: (aliceTrades.body[0] as Json).id, commission: "0.00010000", commissionAsset: BTC, isBuyer: true, isMaker: false })]);
    const order = await alice.signed("GET", "/api/v3/order", { symbol: "BTCUSDT", origClientOrderId: "alice-sell-1" });
    expect(order.body).toMatchObject({ status: "FILLED", executedQty: "0.10000000" });
    const balances = async (user: EdgeUser) => {
      const { body } = await user.signed("GET", "/api/v3/account", { omitZeroBalances: "true" });
      return Object.fromEntries((body.balances as { asset: string; free: string; locked: string }[]).map((b) => [b.asset, `${b.free}/${b.locked}`]));
    };
    expect(await balances(alice)).toEqual({ BTC: "0.90000000/0.00000000", USDT: "2997.00000000/0.00000000" });
    expect(await balances(bob)).toEqual({ BTC: "0.09990000/0.00000000", USDT: "7000.00000000/0.00000000" });
    expect(await balancesOf("@fees")).toEqual(new Map([[BTC, { free: 10_000n, locked: 0n, pending: 0n }], [USDT, { free: 300_000_000n, locked: 0n, pending: 0n }]]));

    // Market data follows matching on its own replicas: the trade shows in the public trades on both edges.
    for (const edge of exchange.edgeUrls) {
      let trades: Json[] = [];
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        trades = (await publicGet(edge, "/api/v3/trades?symbol=BTCUSDT", clientIp)).body as Json[];
        if (trades.length > 0) break;
      }
      expect(trades).toEqual([expect.objectContaining({ price: "30000.00000000", qty: "0.10000000", isBuyerMaker: false })]);
    }
  });

  it("places, lists and cancels over the public Connect API, one call per edge", async () => {
    const [first, second] = exchange.edgeUrls;
    const placed = (await alice.order(first).placeOrder({ symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: "40000", quantity: "0.05", clientOrderId: "alice-connect-1" })).order!;
    expect(placed).toMatchObject({ accountId: alice.userId, clientOrderId: "alice-connect-1", price: "40000.00000000", origQty: "0.05000000" });
    expect((await alice.order(second).listOpenOrders({ symbol: "BTCUSDT" })).orders.map((o) => o.orderId)).toEqual([placed.orderId]);
    const { balances } = await alice.wallet(second).getBalances({ assets: [BTC] });
    expect(balances[0]).toMatchObject({ free: "0.85000000", locked: "0.05000000" });
    await alice.order(second).cancelOrder({ symbol: "BTCUSDT", orderId: placed.orderId });
    expect((await alice.order(first).listOpenOrders({ symbol: "BTCUSDT" })).orders).toEqual([]);
    expect((await alice.wallet(first).getBalances({ assets: [BTC] })).balances[0]).toMatchObject({ free: "0.90000000", locked: "0.00000000" });
  });

  it("withdraws with a TOTP code (MFA checked by wallet through auth): locked after the security change, refused without the code", async () => {
    const auth = alice.auth();
    const { secret } = await auth.enrollTotp({});
    totpSecret = secret;
    totpConfirmedAt = Date.now();
    await auth.confirmTotp({ code: await generate({ secret, epoch: Math.floor(totpConfirmedAt / 1000) }) });
    const address = "bc1qexampleexampleexampleexampleexample0";
    const withdraw = (withdrawalId: string, totpCode = "") => alice.wallet().requestWithdrawal({ withdrawalId, asset: BTC, network: BTC, amount: "0.1", address, totpCode });
    const failure = (call: Promise<unknown>): Promise<ConnectError> =>
      call.then(
        () => {
          throw new Error("expected a refusal");
        },
        (error: unknown) => ConnectError.from(error),
      );

    const locked = await failure(withdraw("alice-w-locked"));
    expect(locked.code).toBe(Code.FailedPrecondition);
    expect(locked.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "-4000" });

    // The 24 h lock after a security change cannot be waited out here: age it in auth's store, as an operator.
    const authDb = openDatabase<AuthDb>(exchange.stores.secrets["auth-database-url"]!);
    try {
      await new SqlUserStore(authDb.db).markSecurityChange(alice.userId, Date.now() - 25 * 3600 * 1000);
    } finally {
      await authDb.close();
    }
    const missing = await failure(withdraw("alice-w1"));
    expect(missing.code).toBe(Code.PermissionDenied);
    expect(missing.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "-1002", metadata: { key: "MFA_REQUIRED" } });

    // A step ConfirmTotp did not use (each counts once), within auth's one step of drift of now.
    const step = Math.max(Math.floor(totpConfirmedAt / 30_000) + 1, Math.floor(Date.now() / 30_000));
    const code = await generate({ secret: totpSecret, epoch: step * 30 });
    const { withdrawal } = await withdraw("alice-w1", code);
    expect(withdrawal).toMatchObject({ withdrawalId: "alice-w1", accountId: alice.userId, amount: "0.10000000" });
    expect([TransferStatus.PENDING, TransferStatus.COMPLETED]).toContain(withdrawal!.status);
    const btc = (await alice.wallet().getBalances({ assets: [BTC] })).balances[0]!;
    expect(btc.free).toBe("0.80000000");
    expect((await alice.wallet().listWithdrawals({})).withdrawals.map((w) => w.withdrawalId)).toEqual(["alice-w1"]);
  });
});
});

// The faults run on a stack of their own with wallet's ledger on PostgreSQL (the user flow above runs on DynamoDB):
// moto deep-copies every table a TransactWriteItems touches, so a DynamoDB ledger on moto settles about one order a
// second and this run would take four minutes; on PostgreSQL it takes about one.
describe("faults while orders flow: kill -9 one replica of each stateless service, restart matching", () => {
  withStack({ walletLedger: "postgres" });

  const TRADERS = 4;
  const DEPOSIT = { BTC: "1", USDT: "50000" };
  let traders: EdgeUser[] = [];
  let feesBefore: Map<string, { free: bigint; locked: bigint; pending: bigint }>;
  const outcomes: Outcomes = { acks: [], retried: new Map(), unexpected: [] };
  const faults: string[] = [];

  beforeAll(async () => {
    traders = await Promise.all(
      Array.from({ length: TRADERS }, async (_, n) => {
        // Each trader is its own client: its own address for the rate limits, and its first edge in turn.
        const ip = `${clientIp.split(".").slice(0, 3).join(".")}.${200 + n}`;
        const user = await EdgeUser.signUp(n % 2 === 0 ? exchange.edgeUrls : exchange.edgeUrls.slice().reverse(), `trader-${n}-${exchange.runId}@example.com`, ip);
        await user.createApiKey();
        for (const [asset, amount] of Object.entries(DEPOSIT)) await deposit(`trader-${n}-${asset}-${exchange.runId}`, user.userId, asset, amount);
        return user;
      }),
    );
    feesBefore = await balancesOf("@fees");
  });

  it("acknowledges orders through every fault with only retryable errors; none is lost or applied twice, and every account reconciles", async () => {
    const stop = new AbortController();
    let acked = 0;
    const waiters: { at: number; resolve: () => void }[] = [];
    const onAck = () => {
      acked += 1;
      for (const waiter of waiters.filter((w) => acked >= w.at)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    };
    /** Resolves once `count` more orders were acknowledged (orders keep flowing between faults). */
    const moreAcks = (count: number) => new Promise<void>((resolve) => waiters.push({ at: acked + count, resolve }));
    const running = traders.map((user, n) => trade({ user, prefix: `t${n}`, random: prng(1000 + n), stop: stop.signal, onAck }, outcomes));
    // A public reader too (its own address; weight 25 a call, well under 6000 a minute): market data through the
    // edges while marketdata replicas die.
    const readerIp = `${clientIp.split(".").slice(0, 3).join(".")}.199`;
    const reading = (async () => {
      for (let i = 0; !stop.signal.aborted; i++) {
        const edge = exchange.edgeUrls[i % exchange.edgeUrls.length]!;
        const answer = await withRetries(() => publicGet(edge, "/api/v3/trades?symbol=BTCUSDT&limit=5", readerIp), outcomes, "public trades");
        if (answer && answer.status !== 200) outcomes.unexpected.push(`public trades: ${answer.status} ${JSON.stringify(answer.body)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    })();

    try {
      await withTimeout(moreAcks(12), "orders before the first fault");
      for (const component of ["edge", "order", "wallet", "auth", "marketdata"]) {
        const victim = exchange.replicas(component)[0]!;
        await victim.kill("SIGKILL");
        faults.push(`kill -9 ${victim.name} after ${acked} acks`);
        await withTimeout(moreAcks(10), `orders with ${victim.name} dead`);
        await victim.restart();
        faults.push(`${victim.name} restarted after ${acked} acks`);
        await withTimeout(moreAcks(6), `orders after ${victim.name} restarted`);
      }
      const matching = exchange.replicas("matching")[0]!;
      await matching.kill("SIGKILL");
      faults.push(`kill -9 ${matching.name} after ${acked} acks`);
      await matching.restart();
      faults.push(`${matching.name} restarted after ${acked} acks`);
      await withTimeout(moreAcks(12), "orders after matching restarted");
    } finally {
      stop.abort();
      await Promise.all([...running, reading]);
    }
    console.log(`faults: ${faults.join("; ")}\n${outcomes.acks.length} orders acknowledged; retried: ${JSON.stringify(Object.fromEntries(outcomes.retried))}`);
    expect(outcomes.unexpected).toEqual([]);
    expect(outcomes.retried.size).toBeGreaterThan(0); // the faults were felt

    // Every order is done once nothing rests: cancel what rests, then wait for every order to be final.
    for (const user of traders) {
      const canceled = await withRetries(() => user.signed("DELETE", "/api/v3/openOrders", { symbol: "BTCUSDT" }), outcomes, "cancel all");
      expect([200, 400]).toContain(canceled?.status);
    }
    const FINAL = new Set(["FILLED", "CANCELED", "EXPIRED", "REJECTED", "EXPIRED_IN_MATCH"]);
    const ordersOf = new Map<EdgeUser, Json[]>();
    for (const user of traders) {
      let orders: Json[];
      for (const deadline = Date.now() + 30_000; ; await new Promise((r) => setTimeout(r, 200))) {
        orders = (await user.signed("GET", "/api/v3/allOrders", { symbol: "BTCUSDT", limit: "1000" })).body as Json[];
        if (orders.every((o) => FINAL.has(o.status as string)) || Date.now() > deadline) break;
      }
      expect(orders.filter((o) => !FINAL.has(o.status as string)).map((o) => `${o.clientOrderId as string} ${o.status as string}`), user.email).toEqual([]);
      ordersOf.set(user, orders);
    }

    // No acknowledged order lost, none twice: each acknowledged clientOrderId is one order, with the acknowledged id.
    const fees = new Map<string, bigint>([[BTC, 0n], [USDT, 0n]]);
    const tradeSides = new Map<number, string[]>();
    for (const [n, user] of traders.entries()) {
      const orders = ordersOf.get(user)!;
      const byClientId = new Map<string, Json[]>();
      for (const o of orders) byClientId.set(o.clientOrderId as string, [...(byClientId.get(o.clientOrderId as string) ?? []), o]);
      expect([...byClientId].filter(([, copies]) => copies.length > 1).map(([id]) => id), user.email).toEqual([]);
      for (const ack of outcomes.acks.filter((a) => a.clientOrderId.startsWith(`t${n}-`))) {
        expect(byClientId.get(ack.clientOrderId)?.[0]?.orderId, ack.clientOrderId).toBe(ack.orderId);
      }

      // Each order's executed quantity is exactly its trades; the account is exactly its deposits plus its trades less fees.
      const trades = (await user.signed("GET", "/api/v3/myTrades", { symbol: "BTCUSDT", limit: "1000" })).body as Json[];
      expect(trades.length).toBeLessThan(1000);
      const executed = new Map<number, bigint>();
      const expected = new Map<string, bigint>([[BTC, units(DEPOSIT.BTC)], [USDT, units(DEPOSIT.USDT)]]);
      for (const t of trades) {
        const qty = units(t.qty as string);
        const quote = units(t.quoteQty as string);
        const commission = units(t.commission as string);
        executed.set(t.orderId as number, (executed.get(t.orderId as number) ?? 0n) + qty);
        tradeSides.set(t.id as number, [...(tradeSides.get(t.id as number) ?? []), `${t.isBuyer ? "buyer" : "seller"} ${t.price as string} ${t.qty as string}`]);
        if (t.isBuyer) {
          expected.set(BTC, expected.get(BTC)! + qty - commission);
          expected.set(USDT, expected.get(USDT)! - quote);
          expect(t.commissionAsset).toBe(BTC);
        } else {
          expected.set(BTC, expected.get(BTC)! - qty);
          expected.set(USDT, expected.get(USDT)! + quote - commission);
          expect(t.commissionAsset).toBe(USDT);
        }
        fees.set(t.commissionAsset as string, fees.get(t.commissionAsset as string)! + commission);
      }
      for (const o of orders) expect(units(o.executedQty as string), `${o.clientOrderId as string} executed`).toBe(executed.get(o.orderId as number) ?? 0n);
      const balances = await balancesOf(user.userId);
      for (const asset of [BTC, USDT]) {
        expect({ asset, ...balances.get(asset) }, user.email).toEqual({ asset, free: expected.get(asset), locked: 0n, pending: 0n });
      }
    }
    // Each trade once on each side (traders trade only with each other here), and the fees are all in the fee account.
    const role = (side: string) => side.split(" ")[0];
    const terms = (side: string) => side.split(" ").slice(1).join(" ");
    expect([...tradeSides.values()].filter((sides) => sides.length !== 2 || role(sides[0]!) === role(sides[1]!) || terms(sides[0]!) !== terms(sides[1]!))).toEqual([]);
    expect(tradeSides.size).toBeGreaterThan(20);
    const feesAfter = await balancesOf("@fees");
    const feesTaken = (asset: string) => (feesAfter.get(asset)?.free ?? 0n) - (feesBefore.get(asset)?.free ?? 0n);
    for (const asset of [BTC, USDT]) expect(feesTaken(asset), `${asset} fees`).toBe(fees.get(asset));
    // Funds are conserved per asset: what the traders gained or lost together is exactly what the fee account took.
    for (const asset of [BTC, USDT]) {
      let change = feesTaken(asset);
      for (const user of traders) change += (await balancesOf(user.userId)).get(asset)!.free - units(DEPOSIT[asset as keyof typeof DEPOSIT]);
      expect(change, `${asset} conserved`).toBe(0n);
    }

    // Every process is back and serving.
    const statuses = await Promise.all(exchange.processes.map(async (p) => (await createClient(Health, createGrpcTransport({ baseUrl: p.grpcUrl })).check({ service: "" })).status));
    expect(statuses.every((s) => s === HealthCheckResponse_ServingStatus.SERVING)).toBe(true);
  }, 480_000);
});

async function withTimeout<T>(promise: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
