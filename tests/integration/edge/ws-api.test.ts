import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { withServiceKey } from "#kit/rpc/service-keys.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { ed25519Key, hmacKey, signUp } from "./api-keys.js";
import { until } from "../../support/until.js";
import { WsApiClient, type ApiAnswer, type SigningKey } from "./ws-api-client.js";

// The WebSocket API (/ws-api/v3) end to end: the whole exchange in one process, users with real
// HMAC and Ed25519 keys from auth, and a client that speaks only Binance's documented frames.

/** Order's service key: auth's SetAccountFrozen admits order alone. */
const ORDER_KEY = "order-key-for-ws-api-test-0123456789abcdef";

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let wsUrl: string;
let auth: Client<typeof AuthService>;
let parts: WalletParts;
let carol: SigningKey & { userId: string };
let carolReadOnly: SigningKey;
let dave: SigningKey & { userId: string };
let daveHmac: SigningKey;

const weightOf = (answer: ApiAnswer) => answer.rateLimits?.find((r) => r.rateLimitType === "REQUEST_WEIGHT")?.count;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-ws-api-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY },
  );
  base = exchange.listening.http1Url;
  wsUrl = `${base.replace(/^http/, "ws")}/ws-api/v3`;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  const c = await signUp(auth, "carol@example.com");
  carol = { userId: c.userId, ...(await hmacKey(auth, c.userId, c.headers, [Permission.READ, Permission.TRADE])) };
  carolReadOnly = await hmacKey(auth, c.userId, c.headers, [Permission.READ]);
  const d = await signUp(auth, "dave@example.com");
  dave = { userId: d.userId, ...(await ed25519Key(auth, d.userId, d.headers, [Permission.READ, Permission.TRADE], false)) };
  daveHmac = await hmacKey(auth, d.userId, d.headers, [Permission.READ, Permission.TRADE]);
  await parts.wallet.creditDeposit("fund-carol-btc", carol.userId, "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("fund-dave-usdt", dave.userId, "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("public requests", () => {
  it("answers market data methods in Binance's shapes, with the IP's weight shared with REST", async () => {
    const client = await WsApiClient.open(wsUrl);
    try {
      expect(await client.call("ping")).toMatchObject({ status: 200, result: {}, rateLimits: [{ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000, count: expect.any(Number) }] });
      const time = await client.call("v3/time", undefined, "uuid-like-id");
      expect(time).toMatchObject({ id: "uuid-like-id", status: 200 });
      expect(Math.abs((time.result as { serverTime: number }).serverTime - Date.now())).toBeLessThan(5_000);

      // One budget per IP, whichever door: REST's header continues the WebSocket API's count.
      const before = weightOf(await client.call("time"))!;
      const rest = await fetch(`${base}/api/v3/time`);
      expect(Number(rest.headers.get("x-mbx-used-weight-1m"))).toBe(before + 1);
      expect(weightOf(await client.call("time"))).toBe(before + 2);

      const info = await client.call("exchangeInfo", { symbol: "BTCUSDT" });
      expect(info.status).toBe(200);
      expect((info.result as { symbols: { symbol: string }[] }).symbols.map((s) => s.symbol)).toEqual(["BTCUSDT"]);
      expect(weightOf(info)).toBe(before + 2 + 20);
      expect((await client.call("exchangeInfo", { symbols: ["BTCUSDT", "ETHUSDT"] })).result).toMatchObject({ symbols: [{ symbol: "BTCUSDT" }, { symbol: "ETHUSDT" }] });

      expect((await client.call("depth", { symbol: "BTCUSDT", limit: 5 })).result).toMatchObject({ lastUpdateId: expect.any(Number), bids: expect.any(Array), asks: expect.any(Array) });
      expect(await client.call("trades.recent", { symbol: "BTCUSDT", limit: 1 })).toMatchObject({ status: 200, result: expect.any(Array) });
      expect(await client.call("klines", { symbol: "BTCUSDT", interval: "1m", limit: 2 })).toMatchObject({ status: 200, result: expect.any(Array) });
      expect((await client.call("ticker.price", { symbol: "BTCUSDT" })).result).toEqual({ symbol: "BTCUSDT", price: expect.stringMatching(/^\d+\.\d{8}$/) });
      expect((await client.call("ticker.book", { symbol: "BTCUSDT" })).result).toMatchObject({ symbol: "BTCUSDT", bidPrice: expect.any(String), askQty: expect.any(String) });
      const hour = await client.call("ticker", { symbol: "BTCUSDT", windowSize: "1h", type: "MINI" });
      expect(hour).toMatchObject({ status: 200, result: { symbol: "BTCUSDT", lastPrice: expect.any(String), count: expect.any(Number) } });
      expect((hour.result as { closeTime: number; openTime: number }).closeTime - (hour.result as { openTime: number }).openTime).toBe(3_600_000);
      expect(await client.call("ticker", { symbol: "BTCUSDT", windowSize: "25h" })).toMatchObject({ status: 400, error: { code: -1130 } });
      expect((await client.call("avgPrice", { symbol: "BTCUSDT" })).result).toMatchObject({ mins: expect.any(Number), price: expect.any(String), closeTime: expect.any(Number) });

      // returnRateLimits=false leaves them out of this answer only.
      const quiet = await client.call("ping", { returnRateLimits: false });
      expect(quiet).toEqual({ id: quiet.id, status: 200, result: {} });
    } finally {
      await client.close();
    }
  });

  it("leaves rateLimits out of every answer when the URL says so", async () => {
    const client = await WsApiClient.open(`${wsUrl}?returnRateLimits=false`);
    try {
      expect((await client.call("ping")).rateLimits).toBeUndefined();
      expect((await client.call("ping", { returnRateLimits: true })).rateLimits).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("answers malformed frames with Binance's codes and goes on serving the connection", async () => {
    const client = await WsApiClient.open(wsUrl);
    try {
      client.sendText("not json");
      expect(await client.answerTo(null)).toMatchObject({ status: 400, error: { code: -1135 } });
      client.sendText(JSON.stringify({ id: 7, method: "depth", params: ["BTCUSDT"] }));
      expect(await client.answerTo(7)).toMatchObject({ status: 400, error: { code: -1135, msg: expect.stringContaining("params") } });
      client.sendText(JSON.stringify({ id: 8, method: "depth", params: { symbol: { nested: true } } }));
      expect(await client.answerTo(8)).toMatchObject({ status: 400, error: { code: -1135, msg: expect.stringContaining("'symbol'") } });
      expect(await client.call("no.such.method")).toMatchObject({ status: 400, error: { code: -1000, msg: expect.stringContaining("no.such.method") } });
      expect(await client.call("depth", {})).toMatchObject({ status: 400, error: { code: -1102 } });
      expect(await client.call("klines", { symbol: "BTCUSDT", interval: "7m" })).toMatchObject({ status: 400, error: { code: -1120 } });
      expect(await client.call("ping")).toMatchObject({ status: 200 });
    } finally {
      await client.close();
    }
  });
});

describe("signed requests", () => {
  it("places, queries and cancels with HMAC signatures, counting orders like REST", async () => {
    const client = await WsApiClient.open(wsUrl);
    try {
      const placed = await client.signedCall("order.place", carol, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.5", price: "40000", newClientOrderId: "carol-ws-1" });
      expect(placed.status, JSON.stringify(placed)).toBe(200);
      expect(placed.result).toMatchObject({ symbol: "BTCUSDT", clientOrderId: "carol-ws-1", status: "NEW", price: "40000.00000000", origQty: "0.50000000" });
      expect(placed.rateLimits?.map((r) => `${r.rateLimitType}/${r.intervalNum}${r.interval}`)).toEqual(["ORDERS/10SECOND", "ORDERS/1DAY", "REQUEST_WEIGHT/1MINUTE"]);
      expect(placed.rateLimits?.[0]?.count).toBe(1);
      const orderId = (placed.result as { orderId: number }).orderId;

      expect((await client.signedCall("order.status", carol, { symbol: "BTCUSDT", orderId })).result).toMatchObject({ orderId, status: "NEW", isWorking: true });
      expect(((await client.signedCall("openOrders.status", carol, { symbol: "BTCUSDT" })).result as { orderId: number }[]).map((o) => o.orderId)).toEqual([orderId]);
      expect(await client.signedCall("order.test", carol, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "40000" })).toMatchObject({ status: 200, result: {} });
      const counts = await client.signedCall("account.rateLimits.orders", carol);
      expect(counts.result).toEqual([
        { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100, count: expect.any(Number) },
        { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: 200000, count: 1 },
      ]);
      const account = await client.signedCall("account.status", carol, { omitZeroBalances: true });
      expect((account.result as { balances: { asset: string; free: string; locked: string }[] }).balances.find((b) => b.asset === "BTC")).toEqual({ asset: "BTC", free: "1.50000000", locked: "0.50000000" });

      const canceled = await client.signedCall("order.cancel", carol, { symbol: "BTCUSDT", origClientOrderId: "carol-ws-1" });
      expect(canceled.result).toMatchObject({ orderId, status: "CANCELED" });
      expect(((await client.signedCall("allOrders", carol, { symbol: "BTCUSDT" })).result as { status: string }[]).map((o) => o.status)).toEqual(["CANCELED"]);
      expect((await client.signedCall("openOrders.cancelAll", carol, { symbol: "BTCUSDT" })).status).not.toBe(500);
    } finally {
      await client.close();
    }
  });

  it("places an OCO (orderList.place.oco), queries it (orderList.status, openOrderLists.status) and cancels it (orderList.cancel), counting 2 orders", async () => {
    const client = await WsApiClient.open(wsUrl);
    try {
      const oco = { symbol: "BTCUSDT", side: "SELL", quantity: "0.2", aboveType: "LIMIT_MAKER", abovePrice: "40000", belowType: "STOP_LOSS_LIMIT", belowStopPrice: "20000", belowPrice: "19900", belowTimeInForce: "GTC" };
      const dayCount = (answer: ApiAnswer) => answer.rateLimits?.find((r) => r.rateLimitType === "ORDERS" && r.interval === "DAY")?.count;
      const ordersToday = async () => ((await client.signedCall("account.rateLimits.orders", carol)).result as { interval: string; count: number }[]).find((r) => r.interval === "DAY")?.count;
      // Unknown enum values: Binance's codes, nothing placed.
      expect(await client.signedCall("orderList.place.oco", carol, { ...oco, aboveType: "FOO" })).toMatchObject({ status: 400, error: { code: -1116, msg: "Invalid orderType." } });
      expect(await client.signedCall("orderList.place.oco", carol, { ...oco, side: "UP" })).toMatchObject({ status: 400, error: { code: -1117, msg: "Invalid side." } });
      expect(await client.signedCall("order.place", carol, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTD", quantity: "0.1", price: "40000" })).toMatchObject({ status: 400, error: { code: -1115, msg: "Invalid timeInForce." } });
      expect(((await client.signedCall("openOrderLists.status", carol)).result as unknown[]).length).toBe(0);

      const before = await ordersToday();
      const placed = await client.signedCall("orderList.place.oco", carol, { ...oco, listClientOrderId: "carol-ws-oco" });
      expect(placed.status, JSON.stringify(placed)).toBe(200);
      expect(placed.result).toMatchObject({
        contingencyType: "OCO",
        listStatusType: "EXEC_STARTED",
        listOrderStatus: "EXECUTING",
        listClientOrderId: "carol-ws-oco",
        symbol: "BTCUSDT",
        orders: [{ symbol: "BTCUSDT" }, { symbol: "BTCUSDT" }],
        orderReports: [
          { type: "LIMIT_MAKER", side: "SELL", status: "NEW", price: "40000.00000000", origQty: "0.20000000" },
          { type: "STOP_LOSS_LIMIT", side: "SELL", status: "NEW", stopPrice: "20000.00000000" },
        ],
      });
      expect(dayCount(placed)).toBe(before! + 2);
      expect(await ordersToday()).toBe(before! + 2);
      const orderListId = (placed.result as { orderListId: number }).orderListId;

      const status = await client.signedCall("orderList.status", carol, { orderListId });
      expect(status.result).toMatchObject({ orderListId, contingencyType: "OCO", listStatusType: "EXEC_STARTED", listOrderStatus: "EXECUTING", listClientOrderId: "carol-ws-oco" });
      const byClientId = await client.signedCall("orderList.status", carol, { origClientOrderId: "carol-ws-oco" });
      expect(byClientId.result).toMatchObject({ orderListId });
      expect(((await client.signedCall("openOrderLists.status", carol)).result as { orderListId: number }[]).map((l) => l.orderListId)).toEqual([orderListId]);

      const canceled = await client.signedCall("orderList.cancel", carol, { symbol: "BTCUSDT", orderListId });
      expect(canceled.status, JSON.stringify(canceled)).toBe(200);
      expect(canceled.result).toMatchObject({ orderListId, listStatusType: "ALL_DONE", listOrderStatus: "ALL_DONE", orderReports: [{ status: "CANCELED" }, { status: "CANCELED" }] });
      expect(((await client.signedCall("openOrderLists.status", carol)).result as unknown[]).length).toBe(0);
      expect(await client.signedCall("orderList.cancel", carol, { symbol: "BTCUSDT", orderListId })).toMatchObject({ status: 400, error: { code: -2011 } });
      const account = await client.signedCall("account.status", carol, { omitZeroBalances: true });
      expect((account.result as { balances: { asset: string; locked: string }[] }).balances.find((b) => b.asset === "BTC")).toMatchObject({ locked: "0.00000000" });
    } finally {
      await client.close();
    }
  });

  it("refuses a bad signature, a stale timestamp, a replay and a missing permission, placing nothing", async () => {
    const client = await WsApiClient.open(wsUrl);
    try {
      const order = { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "45000" } as const;
      expect(await client.signedCall("order.place", carol, order, { signature: "0".repeat(64) })).toMatchObject({ status: 401, error: { code: -1022 } });
      expect(await client.signedCall("order.place", carol, order, { timestamp: Date.now() - 60_000 })).toMatchObject({ status: 400, error: { code: -1021 } });
      // A parameter changed after signing: the signature no longer matches.
      const timestamp = Date.now();
      const signature = carol.sign(`apiKey=${carol.apiKey}&price=45000&quantity=0.1&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=${timestamp}&type=LIMIT`);
      expect(await client.call("order.place", { ...order, quantity: "1.1", apiKey: carol.apiKey, timestamp, signature })).toMatchObject({ status: 401, error: { code: -1022 } });
      expect(await client.call("order.place", { ...order, apiKey: carol.apiKey, timestamp, signature })).toMatchObject({ status: 200 });
      expect(await client.call("order.place", { ...order, apiKey: carol.apiKey, timestamp, signature })).toMatchObject({ status: 401, error: { code: -1022, msg: expect.stringContaining("already used") } });
      expect(await client.signedCall("order.place", carolReadOnly, order)).toMatchObject({ error: { code: -2015 } });
      expect(await client.call("order.place", { ...order, timestamp: Date.now() })).toMatchObject({ status: 400, error: { code: -1102, msg: expect.stringContaining("apiKey") } });
      const open = (await client.signedCall("openOrders.status", carol, { symbol: "BTCUSDT" })).result as { origQty: string }[];
      expect(open.map((o) => o.origQty)).toEqual(["0.10000000"]);
      await client.signedCall("openOrders.cancelAll", carol, { symbol: "BTCUSDT" });
    } finally {
      await client.close();
    }
  });
});

describe("sessions and user data", () => {
  it("logs on with Ed25519, trades without signatures, hears its own events, and logs out", async () => {
    const client = await WsApiClient.open(wsUrl);
    const maker = await WsApiClient.open(wsUrl);
    try {
      expect((await client.call("session.status")).result).toMatchObject({ apiKey: null, authorizedSince: null, userDataStream: false });
      const logon = await client.signedCall("session.logon", dave);
      expect(logon, JSON.stringify(logon)).toMatchObject({ status: 200, result: { apiKey: dave.apiKey, authorizedSince: expect.any(Number), connectedSince: expect.any(Number), userDataStream: false } });
      const subscribed = await client.call("userDataStream.subscribe");
      expect(subscribed).toMatchObject({ status: 200, result: { subscriptionId: 0 } });
      expect((await client.call("session.status")).result).toMatchObject({ apiKey: dave.apiKey, userDataStream: true });
      expect((await client.call("session.subscriptions")).result).toEqual([{ subscriptionId: 0 }]);

      // carol rests a sell from another connection; dave buys into it on his session, unsigned.
      const sell = await maker.signedCall("order.place", carol, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.2", price: "31000", newOrderRespType: "ACK" });
      expect(sell.status, JSON.stringify(sell)).toBe(200);
      const buy = await client.call("order.place", { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "31000", newClientOrderId: "dave-1", timestamp: Date.now() });
      expect(buy, JSON.stringify(buy)).toMatchObject({ status: 200, result: { status: "FILLED", executedQty: "0.10000000", fills: [{ price: "31000.00000000", qty: "0.10000000" }] } });

      const report = await client.nextEvent((m) => (m.event as { e: string; x: string }).e === "executionReport" && (m.event as { x: string }).x === "TRADE");
      expect(report).toMatchObject({ subscriptionId: 0, event: { s: "BTCUSDT", c: "dave-1", S: "BUY", X: "FILLED", l: "0.10000000", L: "31000.00000000" } });
      const position = await client.nextEvent((m) => (m.event as { e: string }).e === "outboundAccountPosition");
      expect((position.event as { B: { a: string; f: string }[] }).B.find((b) => b.a === "USDT")).toEqual({ a: "USDT", f: "96900.00000000", l: "0.00000000" });
      // Only dave's events reach dave's subscription.
      expect(client.events.every((m) => (m.event as { e: string; c?: string }).c !== undefined ? (m.event as { c: string }).c === "dave-1" : true)).toBe(true);

      expect(((await client.call("myTrades", { symbol: "BTCUSDT", timestamp: Date.now() })).result as { qty: string; isBuyer: boolean }[]).map((t) => [t.qty, t.isBuyer])).toEqual([["0.10000000", true]]);
      // A stale timestamp is refused on a session too.
      expect(await client.call("account.status", { timestamp: Date.now() - 60_000 })).toMatchObject({ status: 400, error: { code: -1021 } });
      expect(await client.call("account.status", {})).toMatchObject({ status: 400, error: { code: -1102, msg: expect.stringContaining("timestamp") } });

      const logout = await client.call("session.logout");
      expect(logout.result).toMatchObject({ apiKey: null, authorizedSince: null, userDataStream: false });
      expect((await client.call("session.subscriptions")).result).toEqual([]);
      expect(await client.call("account.status", { timestamp: Date.now() })).toMatchObject({ status: 400, error: { code: -1102, msg: expect.stringContaining("apiKey") } });
      await maker.signedCall("openOrders.cancelAll", carol, { symbol: "BTCUSDT" });
    } finally {
      await client.close();
      await maker.close();
    }
  });

  it("refuses order.place on a session logged on before the account was frozen (-2010), placing nothing", async () => {
    const e = await signUp(auth, "erin@example.com");
    const erin = await ed25519Key(auth, e.userId, e.headers, [Permission.READ, Permission.TRADE], false);
    await parts.wallet.creditDeposit("fund-erin-usdt", e.userId, "USDT", 1_000n * 10n ** 8n);
    const client = await WsApiClient.open(wsUrl);
    const bid = (id: string) => ({ symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "20000", newClientOrderId: id, timestamp: Date.now() });
    try {
      expect((await client.signedCall("session.logon", erin)).status).toBe(200);
      // What the back office's FreezeAccount sets in auth (it then cancels open orders: erin has none), with order's key.
      const asOrder = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url, interceptors: [withServiceKey(ORDER_KEY)] }));
      await asOrder.setAccountFrozen({ userId: e.userId, frozen: true });
      expect(await client.call("order.place", bid("erin-1"))).toMatchObject({ status: 400, error: { code: -2010, msg: "This action is disabled on this account." } });
      // Reading stays allowed on the session, and nothing was placed.
      const open = await client.call("openOrders.status", { symbol: "BTCUSDT", timestamp: Date.now() });
      expect(open).toMatchObject({ status: 200, result: [] });

      await asOrder.setAccountFrozen({ userId: e.userId, frozen: false });
      const placed = await client.call("order.place", bid("erin-2"));
      expect(placed, JSON.stringify(placed)).toMatchObject({ status: 200, result: { clientOrderId: "erin-2", status: "NEW" } });
      await client.call("openOrders.cancelAll", { symbol: "BTCUSDT", timestamp: Date.now() });
    } finally {
      await client.close();
    }
  });

  it("refuses session.logon with an HMAC key, and userDataStream.subscribe without a session", async () => {
    const client = await WsApiClient.open(wsUrl);
    try {
      expect(await client.signedCall("session.logon", daveHmac)).toMatchObject({ status: 400, error: { code: -1020 } });
      expect((await client.call("session.status")).result).toMatchObject({ apiKey: null });
      expect(await client.call("userDataStream.subscribe")).toMatchObject({ status: 401, error: { code: -1002 } });
    } finally {
      await client.close();
    }
  });

  it("subscribes by signature (as ccxt does) on an unauthenticated connection, and unsubscribes", async () => {
    const client = await WsApiClient.open(wsUrl);
    try {
      const subscribed = await client.signedCall("userDataStream.subscribe.signature", carol);
      expect(subscribed).toMatchObject({ status: 200, result: { subscriptionId: 0 } });
      expect(await client.signedCall("userDataStream.subscribe.signature", carol)).toMatchObject({ status: 400, error: { code: -1020 } });
      const second = await client.signedCall("userDataStream.subscribe.signature", daveHmac);
      expect(second).toMatchObject({ status: 200, result: { subscriptionId: 1 } });

      const placed = await client.signedCall("order.place", carol, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "50000", newClientOrderId: "carol-sub" });
      expect(placed.status).toBe(200);
      expect(await client.nextEvent((m) => (m.event as { c?: string }).c === "carol-sub")).toMatchObject({ subscriptionId: 0, event: { e: "executionReport", x: "NEW", X: "NEW", q: "0.01000000" } });
      // A deposit: balanceUpdate, then the asset's position, on carol's subscription only.
      const wallet = exchange.modules.find((module) => module.name === "wallet") as unknown as { balanceUpdates: { followers(account: string): number } };
      await until(() => wallet.balanceUpdates.followers(carol.userId) > 0);
      await parts.wallet.creditDeposit("ws-api-carol-eth", carol.userId, "ETH", 25n * 10n ** 16n);
      expect(await client.nextEvent((m) => (m.event as { e: string }).e === "balanceUpdate")).toEqual({
        subscriptionId: 0,
        event: { e: "balanceUpdate", E: expect.any(Number), a: "ETH", d: "0.250000000000000000", T: expect.any(Number) },
      });
      const ethPosition = (m: { event?: unknown }) => (m.event as { e: string; B?: { a: string }[] }).e === "outboundAccountPosition" && (m.event as { B: { a: string }[] }).B.some((b) => b.a === "ETH");
      expect(await client.nextEvent(ethPosition)).toMatchObject({ subscriptionId: 0, event: { B: [{ a: "ETH", f: "0.250000000000000000" }] } });

      expect(await client.call("userDataStream.unsubscribe", { subscriptionId: 0 })).toMatchObject({ status: 200, result: {} });
      expect((await client.call("session.subscriptions")).result).toEqual([{ subscriptionId: 1 }]);
      expect(await client.call("userDataStream.unsubscribe")).toMatchObject({ status: 200 });
      expect((await client.call("session.status")).result).toMatchObject({ userDataStream: false });
      await client.signedCall("openOrders.cancelAll", carol, { symbol: "BTCUSDT" });
    } finally {
      await client.close();
    }
  });
});
