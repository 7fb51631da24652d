import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { BadRequestSchema, ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// GET /api/v3/allOrders and /api/v3/myTrades over a few hundred orders and trades, end to end:
// a bot pages through the history with orderId / fromId / startTime / endTime / limit, and the
// pages put together equal the whole history as the order service's newest-first pages list it.

interface BinanceOrder {
  orderId: number;
  time: number;
  status: string;
}
interface BinanceTrade {
  id: number;
  orderId: number;
  time: number;
  isMaker: boolean;
}

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let orders: Client<typeof OrderService>;
let alice: { userId: string; apiKey: string; secret: string };
let bob: { userId: string; apiKey: string; secret: string };

const SELLS = 120;
const RESTING = 40;
let allOrders: BinanceOrder[];
let allTrades: BinanceTrade[];

async function user(auth: Client<typeof AuthService>, email: string) {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "bot" }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
  return { userId, apiKey: key!.apiKey, secret };
}

let nonce = 0;
async function signed<T>(path: string, who: typeof alice, params: Record<string, string | number>): Promise<{ status: number; body: T }> {
  const query = new URLSearchParams({ ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])), recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const signature = createHmac("sha256", who.secret).update(query).digest("hex");
  const response = await fetch(`${base}${path}?${query}&signature=${signature}`, { headers: { "X-MBX-APIKEY": who.apiKey } });
  return { status: response.status, body: (await response.json()) as T };
}

const ok = async <T>(path: string, who: typeof alice, params: Record<string, string | number>): Promise<T> => {
  const { status, body } = await signed<T>(path, who, params);
  expect(status, JSON.stringify(body)).toBe(200);
  return body;
};

/** The whole history through the order service's old newest-first pages, turned oldest first. */
async function history(accountId: string) {
  const ordersDesc = [];
  let token = "";
  do {
    const page = await orders.listOrders({ accountId, symbol: "BTCUSDT", page: { pageSize: 100, pageToken: token } });
    ordersDesc.push(...page.orders);
    token = page.page?.nextPageToken ?? "";
  } while (token !== "");
  const tradesDesc = [];
  do {
    const page = await orders.listMyTrades({ accountId, symbol: "BTCUSDT", page: { pageSize: 100, pageToken: token } });
    tradesDesc.push(...page.trades);
    token = page.page?.nextPageToken ?? "";
  } while (token !== "");
  return {
    orders: ordersDesc.reverse().map((o) => ({ orderId: Number(o.orderId), time: Number(o.time) })),
    trades: tradesDesc.reverse().map((t) => ({ id: Number(t.id), orderId: Number(t.orderId), time: Number(t.time), isMaker: t.isMaker })),
  };
}

const pick = <T extends object>(items: readonly T[], keys: (keyof T)[]) => items.map((item) => Object.fromEntries(keys.map((key) => [key, item[key]])));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-history-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
  const transport = createGrpcTransport({ baseUrl: exchange.listening.http2Url });
  orders = createClient(OrderService, transport);
  const auth = createClient(AuthService, transport);
  alice = await user(auth, "alice@example.com");
  bob = await user(auth, "bob@example.com");
  const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  await parts.wallet.creditDeposit("history-alice-btc", alice.userId, "BTC", 10n ** 8n);
  await parts.wallet.creditDeposit("history-alice-usdt", alice.userId, "USDT", 100_000n * 10n ** 8n);
  await parts.wallet.creditDeposit("history-bob-usdt", bob.userId, "USDT", 100_000n * 10n ** 8n);
  const limit = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC };
  // Alice: SELLS small sells (each filled by half of a bob buy) and RESTING bids far below; bob: one buy per two sells.
  for (let i = 0; i < SELLS; i++) {
    await orders.placeOrder({ ...limit, accountId: alice.userId, side: Side.SELL, quantity: "0.001", price: "30000" });
    if (i % 2 === 1) await orders.placeOrder({ ...limit, accountId: bob.userId, side: Side.BUY, quantity: "0.002", price: "30000" });
    if (i % 3 === 0 && i / 3 < RESTING) await orders.placeOrder({ ...limit, accountId: alice.userId, side: Side.BUY, quantity: "0.001", price: "20000" });
  }
  const deadline = Date.now() + 20_000;
  let seen = await history(alice.userId);
  while (seen.trades.length < SELLS && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    seen = await history(alice.userId);
  }
  allOrders = seen.orders.map((o) => ({ ...o, status: "" }));
  allTrades = seen.trades;
}, 120_000);

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("GET /api/v3/allOrders", () => {
  it("has the whole history to compare with", () => {
    expect(allOrders).toHaveLength(SELLS + Math.ceil(SELLS / 3));
    expect(allTrades).toHaveLength(SELLS);
  });

  it("pages by orderId: each page the `limit` orders from that id on, together the whole history", async () => {
    const paged: BinanceOrder[] = [];
    let from = 1;
    for (;;) {
      const page = await ok<BinanceOrder[]>("/api/v3/allOrders", alice, { symbol: "BTCUSDT", orderId: from, limit: 37 });
      paged.push(...page);
      if (page.length < 37) break;
      from = page[page.length - 1].orderId + 1;
    }
    expect(pick(paged, ["orderId", "time"])).toEqual(pick(allOrders, ["orderId", "time"]));
  });

  it("pages by time window: startTime moves to the last time seen, endTime stays within 24 hours", async () => {
    const start = allOrders[0].time;
    const end = start + 24 * 60 * 60 * 1000;
    const paged = new Map<number, BinanceOrder>();
    let from = start;
    for (;;) {
      const page = await ok<BinanceOrder[]>("/api/v3/allOrders", alice, { symbol: "BTCUSDT", startTime: from, endTime: end, limit: 50 });
      for (const order of page) paged.set(order.orderId, order);
      if (page.length < 50) break;
      from = page[page.length - 1].time;
    }
    expect([...paged.values()].map((o) => o.orderId)).toEqual(allOrders.map((o) => o.orderId));
    const middle = allOrders[90].time;
    const window = await ok<BinanceOrder[]>("/api/v3/allOrders", alice, { symbol: "BTCUSDT", startTime: middle, endTime: middle, limit: 1000 });
    expect(window.map((o) => o.orderId)).toEqual(allOrders.filter((o) => o.time === middle).map((o) => o.orderId));
  });

  it("answers the newest orders without a lower bound (default limit 500), oldest first", async () => {
    expect((await ok<BinanceOrder[]>("/api/v3/allOrders", alice, { symbol: "BTCUSDT" })).map((o) => o.orderId)).toEqual(allOrders.map((o) => o.orderId));
    expect((await ok<BinanceOrder[]>("/api/v3/allOrders", alice, { symbol: "BTCUSDT", limit: 5 })).map((o) => o.orderId)).toEqual(allOrders.slice(-5).map((o) => o.orderId));
    const upTo = allOrders[50].time;
    const before = allOrders.filter((o) => o.time <= upTo).slice(-10);
    expect((await ok<BinanceOrder[]>("/api/v3/allOrders", alice, { symbol: "BTCUSDT", endTime: upTo, limit: 10 })).map((o) => o.orderId)).toEqual(before.map((o) => o.orderId));
    expect(await ok("/api/v3/allOrders", bob, { symbol: "BTCUSDT", orderId: allOrders[allOrders.length - 1].orderId + 1000 })).toEqual([]);
  });

  it("refuses a window over 24 hours (-1127), a start after the end and a limit over 1000 (-1130)", async () => {
    expect(await signed("/api/v3/allOrders", alice, { symbol: "BTCUSDT", startTime: 1_000, endTime: 1_000 + 24 * 3_600_000 + 1 })).toEqual({ status: 400, body: { code: -1127, msg: "More than 24 hours between startTime and endTime." } });
    expect(await signed("/api/v3/allOrders", alice, { symbol: "BTCUSDT", startTime: 2_000, endTime: 1_000 })).toMatchObject({ status: 400, body: { code: -1130 } });
    expect(await signed("/api/v3/allOrders", alice, { symbol: "BTCUSDT", limit: 1001 })).toMatchObject({ status: 400, body: { code: -1130 } });
  });
});

describe("GET /api/v3/myTrades", () => {
  it("pages by fromId: together the whole history", async () => {
    const paged: BinanceTrade[] = [];
    let from = 0;
    for (;;) {
      const page = await ok<BinanceTrade[]>("/api/v3/myTrades", alice, { symbol: "BTCUSDT", fromId: from, limit: 29 });
      paged.push(...page);
      if (page.length < 29) break;
      from = page[page.length - 1].id + 1;
    }
    expect(pick(paged, ["id", "orderId", "time", "isMaker"])).toEqual(pick(allTrades, ["id", "orderId", "time", "isMaker"]));
  });

  it("selects one order's trades by orderId, and pages them with fromId", async () => {
    const bobs = await history(bob.userId);
    expect(bobs.trades).toHaveLength(SELLS);
    for (const order of bobs.orders.slice(0, 5)) {
      const expected = bobs.trades.filter((t) => t.orderId === order.orderId);
      expect(expected).toHaveLength(2);
      const trades = await ok<BinanceTrade[]>("/api/v3/myTrades", bob, { symbol: "BTCUSDT", orderId: order.orderId });
      expect(trades.map((t) => [t.id, t.orderId])).toEqual(expected.map((t) => [t.id, t.orderId]));
      // Without fromId the newest; with it, from there on.
      expect((await ok<BinanceTrade[]>("/api/v3/myTrades", bob, { symbol: "BTCUSDT", orderId: order.orderId, limit: 1 })).map((t) => t.id)).toEqual([expected[1].id]);
      const first = await ok<BinanceTrade[]>("/api/v3/myTrades", bob, { symbol: "BTCUSDT", orderId: order.orderId, fromId: 0, limit: 1 });
      const second = await ok<BinanceTrade[]>("/api/v3/myTrades", bob, { symbol: "BTCUSDT", orderId: order.orderId, fromId: first[0].id + 1, limit: 1 });
      expect([...first, ...second].map((t) => t.id)).toEqual(expected.map((t) => t.id));
    }
    // Alice's sells each have one trade; her resting bids none.
    const sell = allTrades[7];
    expect((await ok<BinanceTrade[]>("/api/v3/myTrades", alice, { symbol: "BTCUSDT", orderId: sell.orderId })).map((t) => t.id)).toEqual([sell.id]);
  });

  it("pages by time window, and answers the newest trades up to endTime", async () => {
    const start = allTrades[0].time;
    const paged = new Map<number, BinanceTrade>();
    let from = start;
    for (;;) {
      const page = await ok<BinanceTrade[]>("/api/v3/myTrades", alice, { symbol: "BTCUSDT", startTime: from, endTime: start + 3_600_000, limit: 40 });
      for (const trade of page) paged.set(trade.id, trade);
      if (page.length < 40) break;
      from = page[page.length - 1].time;
    }
    expect([...paged.keys()]).toEqual(allTrades.map((t) => t.id));
    const upTo = allTrades[80].time;
    expect((await ok<BinanceTrade[]>("/api/v3/myTrades", alice, { symbol: "BTCUSDT", endTime: upTo, limit: 15 })).map((t) => t.id)).toEqual(allTrades.filter((t) => t.time <= upTo).slice(-15).map((t) => t.id));
    expect((await ok<BinanceTrade[]>("/api/v3/myTrades", alice, { symbol: "BTCUSDT", limit: 3 })).map((t) => t.id)).toEqual(allTrades.slice(-3).map((t) => t.id));
  });

  it("refuses Binance's unsupported combinations (-1128) and a window over 24 hours (-1127)", async () => {
    const badCombo = { status: 400, body: { code: -1128, msg: "Combination of optional parameters invalid." } };
    expect(await signed("/api/v3/myTrades", alice, { symbol: "BTCUSDT", fromId: 1, startTime: allTrades[0].time })).toEqual(badCombo);
    expect(await signed("/api/v3/myTrades", alice, { symbol: "BTCUSDT", fromId: 1, endTime: allTrades[0].time })).toEqual(badCombo);
    expect(await signed("/api/v3/myTrades", alice, { symbol: "BTCUSDT", orderId: 1, startTime: 1, endTime: 2 })).toEqual(badCombo);
    expect(await signed("/api/v3/myTrades", alice, { symbol: "BTCUSDT", startTime: 0, endTime: 24 * 3_600_000 + 1 })).toMatchObject({ status: 400, body: { code: -1127 } });
    expect(await signed("/api/v3/myTrades", alice, { symbol: "BTCUSDT", limit: 0 })).toMatchObject({ status: 400, body: { code: -1130 } });
  });
});

describe("ListOrders / ListMyTrades over gRPC", () => {
  const failure = async (call: Promise<unknown>) => {
    const error = await call.then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(error).toBeDefined();
    return { code: error!.code, reason: error!.findDetails(ErrorInfoSchema)[0]?.reason, fields: error!.findDetails(BadRequestSchema)[0]?.fieldViolations.map((v) => v.field) };
  };

  it("refuse bad filters with InvalidArgument, the Binance code and the field", async () => {
    const accountId = alice.userId;
    expect(await failure(orders.listMyTrades({ accountId, symbol: "BTCUSDT", fromId: 1n, startTime: 1n }))).toEqual({ code: Code.InvalidArgument, reason: "-1128", fields: ["from_id"] });
    expect(await failure(orders.listOrders({ accountId, symbol: "BTCUSDT", startTime: 0n, endTime: 86_400_001n }))).toEqual({ code: Code.InvalidArgument, reason: "-1127", fields: ["endTime"] });
    expect(await failure(orders.listOrders({ accountId, symbol: "BTCUSDT", limit: 10, page: { pageSize: 10, pageToken: "5" } }))).toEqual({ code: Code.InvalidArgument, reason: "-1128", fields: ["page"] });
  });

  it("keep the paged listing when no filter is set, and answer filtered ones in one page", async () => {
    const paged = await orders.listOrders({ accountId: alice.userId, symbol: "BTCUSDT", page: { pageSize: 3 } });
    expect(paged.orders.map((o) => Number(o.orderId))).toEqual(allOrders.slice(-3).reverse().map((o) => o.orderId));
    expect(paged.page?.nextPageToken).not.toBe("");
    const filtered = await orders.listOrders({ accountId: alice.userId, symbol: "BTCUSDT", fromOrderId: 1n, limit: 3 });
    expect(filtered.orders.map((o) => Number(o.orderId))).toEqual(allOrders.slice(0, 3).map((o) => o.orderId));
    expect(filtered.page?.nextPageToken).toBe("");
  });
});
