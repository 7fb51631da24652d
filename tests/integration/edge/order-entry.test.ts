import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AccountAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { ExecutionType, OrderService } from "#gen/exchange/order/v1/order_pb.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { EntryStream } from "../../support/order-entry-stream.js";
import { until } from "../../support/until.js";

// StreamOrderEntry through the edge's public API (/connect, gRPC on the h2c port) with a bearer
// token: authenticated once per stream, every request acting for the caller's account, each new
// order counted against the order-rate limit (a refused one answered -1015 in its ack, the
// stream going on), and the same stream of requests as order's own, acks numbered as sent.

const PASSWORD = "correct horse battery staple";
/** New orders per account per day: a window that does not roll during the test. */
const ORDERS_PER_DAY = 6;

let dataDir: string;
let exchange: RunningExchange;

function bearer(token: string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

const client = (token?: string) => createClient(OrderService, createGrpcTransport({ baseUrl: `${exchange.listening.http2Url}/connect`, interceptors: token ? [bearer(token)] : [] }));

async function signUpAndIn(email: string): Promise<{ userId: string; token: string }> {
  const auth = createClient(AuthService, createGrpcTransport({ baseUrl: `${exchange.listening.http2Url}/connect` }));
  const { userId } = await auth.signUp({ email, password: PASSWORD });
  const { tokens } = await auth.signIn({ email, password: PASSWORD });
  return { userId, token: tokens!.accessToken };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-order-entry-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", EDGE_ORDERS_PER_DAY: String(ORDERS_PER_DAY) },
  );
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const sell = (clientOrderId: string, price: string, accountId = "") => ({
  action: { case: "place" as const, value: { accountId, symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price, quantity: "0.001", clientOrderId } },
});

describe("StreamOrderEntry through the edge", () => {
  it("acts for the caller only, counts each new order, and goes on after a refusal", async () => {
    const alice = await signUpAndIn("alice@example.com");
    const bob = await signUpAndIn("bob@example.com");
    const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
    await parts.wallet.creditDeposit("fund-alice", alice.userId, "BTC", 10n ** 8n);

    const stream = new EntryStream(client(alice.token));
    stream.send(
      sell("a-0", "50000"), // account empty: the caller's
      sell("a-1", "50001", alice.userId), // one's own id: fine
      sell("steal", "50002", bob.userId), // another account: refused here, not counted as an order
      { action: { case: "cancel", value: { symbol: "BTCUSDT", origClientOrderId: "a-0" } } }, // a cancel is not a new order
    );
    // ORDERS_PER_DAY - 2 more fit; the ones beyond are refused with -1015, as Binance refuses them.
    for (let i = 2; i < ORDERS_PER_DAY + 2; i++) stream.send(sell(`a-${i}`, String(50_000 + i)));
    const acks = await stream.untilAcks(ORDERS_PER_DAY + 4);
    expect(acks.map((ack) => Number(ack.requestIndex))).toEqual(acks.map((_, i) => i));
    const outcome = acks.map((ack) => `${ack.clientOrderId} ${ack.result.case === "order" ? OrderStatus[ack.result.value.status] : ack.result.value!.binanceCode}`);
    expect(outcome).toEqual([
      "a-0 NEW",
      "a-1 NEW",
      "steal -2015",
      "a-0 CANCELED",
      ...Array.from({ length: ORDERS_PER_DAY - 2 }, (_, i) => `a-${i + 2} NEW`),
      "a-6 -1015",
      "a-7 -1015",
    ]);
    for (const ack of acks) if (ack.result.case === "order") expect(ack.result.value.accountId).toBe(alice.userId);
    const limited = acks.at(-1)!.result.value as { code: number; message: string; retryAfterMs: bigint };
    expect(limited.code).toBe(Code.ResourceExhausted);
    expect(limited.message).toBe(`Too many new orders; current limit is ${ORDERS_PER_DAY} orders per DAY.`);
    expect(limited.retryAfterMs).toBeGreaterThan(0n);
    // The stream still works after the refusals: a cancel goes through, with its report after the ack.
    stream.send({ action: { case: "cancel", value: { symbol: "BTCUSDT", origClientOrderId: "a-1" } } });
    await stream.untilAcks(ORDERS_PER_DAY + 5);
    await until(() => stream.reports().some((r) => r.order?.clientOrderId === "a-1" && r.executionType === ExecutionType.CANCELED));
    expect(stream.acks().at(-1)!.result.value).toMatchObject({ clientOrderId: "a-1", status: OrderStatus.CANCELED });
    await stream.end();
    expect(stream.error).toBeUndefined();
    // Only alice's orders were reported, and bob has none.
    expect(new Set(stream.reports().map((r) => r.order!.accountId))).toEqual(new Set([alice.userId]));
    expect((await client(bob.token).listOrders({ symbol: "BTCUSDT" })).orders).toEqual([]);
  });

  it("refuses a stream without a valid token", async () => {
    for (const token of [undefined, "not-a-token"]) {
      const stream = new EntryStream(client(token));
      stream.send(sell("x-0", "50000"));
      await stream.end();
      expect(ConnectError.from(stream.error).code).toBe(Code.Unauthenticated);
      expect(stream.acks()).toEqual([]);
    }
  });

  it("refuses a frozen account's requests on a stream opened before the freeze (-2010), places nothing, and trades again after the unfreeze", async () => {
    const carol = await signUpAndIn("carol@example.com");
    const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
    await parts.wallet.creditDeposit("fund-carol", carol.userId, "BTC", 10n ** 8n);
    const ops = await operatorAdmin();

    const stream = new EntryStream(client(carol.token));
    stream.send(sell("c-0", "60000"));
    await stream.untilAcks(1);
    const { canceledOrders } = await ops.freezeAccount({ accountId: carol.userId, reason: "fraud report 21" });
    expect(canceledOrders).toBe(1);
    stream.send(sell("c-1", "60001"), { action: { case: "cancel", value: { symbol: "BTCUSDT", origClientOrderId: "c-0" } } });
    const acks = await stream.untilAcks(3);
    for (const ack of acks.slice(1)) {
      expect(ack.result.case).toBe("error");
      expect(ack.result.value).toMatchObject({ code: Code.FailedPrecondition, binanceCode: -2010, message: "This action is disabled on this account." });
    }
    // Nothing was placed: carol's only order is the one the freeze canceled, and nothing rests for her.
    const orders = (await client(carol.token).listOrders({ symbol: "BTCUSDT" })).orders;
    expect(orders.map((o) => [o.clientOrderId, OrderStatus[o.status]])).toEqual([["c-0", "CANCELED"]]);

    await ops.unfreezeAccount({ accountId: carol.userId, reason: "cleared" });
    stream.send(sell("c-2", "60002"));
    const after = (await stream.untilAcks(4)).at(-1)!;
    expect(after.result.case === "order" ? OrderStatus[after.result.value.status] : after.result.value).toBe("NEW");
    await stream.end();
    expect(stream.error).toBeUndefined();
  });
});

describe("StreamOrderEntry and the ORDERS counters", () => {
  it("a place order refuses (a filter failure in its ack) does not count: the day's quota still holds every accepted one", async () => {
    const dave = await signUpAndIn("dave@example.com");
    const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
    await parts.wallet.creditDeposit("fund-dave", dave.userId, "BTC", 10n ** 8n);
    const stream = new EntryStream(client(dave.token));
    stream.send(sell("d-bad", "70000.001"), { action: { case: "place", value: { ...sell("d-poor", "70000").action.value, quantity: "5" } } });
    const refused = await stream.untilAcks(2);
    expect(refused.map((ack) => (ack.result.case === "error" ? ack.result.value.binanceCode : "placed"))).toEqual([-1013, -2010]);
    // Had the two refusals counted, only ORDERS_PER_DAY - 2 of these would be placed.
    for (let i = 0; i <= ORDERS_PER_DAY; i++) stream.send(sell(`d-${i}`, String(70_000 + i)));
    const acks = (await stream.untilAcks(ORDERS_PER_DAY + 3)).slice(2);
    expect(acks.map((ack) => `${ack.clientOrderId} ${ack.result.case === "order" ? OrderStatus[ack.result.value.status] : ack.result.value!.binanceCode}`)).toEqual([
      ...Array.from({ length: ORDERS_PER_DAY }, (_, i) => `d-${i} NEW`),
      `d-${ORDERS_PER_DAY} -1015`,
    ]);
    await stream.end();
    expect(stream.error).toBeUndefined();
  });
});

/** The back office's account admin (order's internal port, the root path) as an operator. */
async function operatorAdmin() {
  const operator = await signUpAndIn("operator@example.com");
  const auth = exchange.modules.find((module) => module.name === "auth") as unknown as AuthModule;
  await auth.auth.accounts.setRoles(operator.userId, ["user", "operator"]);
  const { tokens } = await createClient(AuthService, createGrpcTransport({ baseUrl: `${exchange.listening.http2Url}/connect` })).signIn({ email: "operator@example.com", password: PASSWORD });
  return createClient(AccountAdminService, createGrpcTransport({ baseUrl: exchange.listening.http2Url, interceptors: [bearer(tokens!.accessToken)] }));
}
