import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { until } from "../../support/until.js";
import { StreamClient, type Msg } from "./ws-client.js";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { OrderModule } from "../../../services/order/src/main.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// Stops, take-profits, trailing stops and icebergs end to end: signed REST /api/v3/order on the
// embedded exchange, the trigger reported on the user data stream as Binance does (executionReport
// NEW with the order now working, w true and W its trigger time), and the symbol filters that
// guard them (MAX_NUM_ALGO_ORDERS, MAX_NUM_ICEBERG_ORDERS, PERCENT_PRICE_BY_SIDE, TRAILING_DELTA)
// refused with -1013 and Binance's words, as exchangeInfo announces them.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let order: OrderModule;
let maker: User;
let trader: User;
/** Each user's data stream, open for the whole file. */
let makerWs: StreamClient;
let traderWs: StreamClient;

interface User {
  readonly userId: string;
  readonly apiKey: string;
  sign(payload: string): string;
}

let nonce = 0;
async function signed(method: string, path: string, user: User, params: Record<string, string>) {
  const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const response = await fetch(`${base}${path}?${query}&signature=${user.sign(query)}`, { method, headers: { "X-MBX-APIKEY": user.apiKey } });
  return { status: response.status, body: (await response.json()) as Msg };
}

async function userWithKey(auth: Client<typeof AuthService>, email: string): Promise<User> {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const headers = { authorization: `Bearer ${tokens!.accessToken}` };
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "stops" }, { headers });
  return { userId, apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

async function connect(user: User): Promise<StreamClient> {
  const before = order.updates.subscribers(user.userId);
  const response = await fetch(`${base}/api/v3/userDataStream`, { method: "POST", headers: { "X-MBX-APIKEY": user.apiKey } });
  const { listenKey } = (await response.json()) as { listenKey: string };
  const client = await StreamClient.open(`${base.replace(/^http/, "ws")}/ws/${listenKey}`);
  await until(() => order.updates.subscribers(user.userId) > before);
  return client;
}

const place = (user: User, params: Record<string, string>) => signed("POST", "/api/v3/order", user, { symbol: "BTCUSDT", newOrderRespType: "RESULT", ...params });
const reportOf = (orderId: unknown, x?: string) => (m: Msg) => m.e === "executionReport" && m.i === orderId && (x === undefined || m.x === x);

/** A trade at `price`: the maker rests a sell, the trader takes it. */
async function tradeAt(price: string, qty = "0.001") {
  const ask = await place(maker, { side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: qty, price });
  expect(ask.status, JSON.stringify(ask.body)).toBe(200);
  const take = await place(trader, { side: "BUY", type: "LIMIT", timeInForce: "IOC", quantity: qty, price });
  expect(take.body, JSON.stringify(take.body)).toMatchObject({ status: "FILLED" });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-stops-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
  order = exchange.modules.find((module) => module.name === "order") as OrderModule;
  const auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  [maker, trader] = await Promise.all([userWithKey(auth, "stops-maker@example.com"), userWithKey(auth, "stops-trader@example.com")]);
  for (const user of [maker, trader]) {
    await parts.wallet.creditDeposit(`stops-${user.userId}-btc`, user.userId, "BTC", 5n * 10n ** 8n);
    await parts.wallet.creditDeposit(`stops-${user.userId}-usdt`, user.userId, "USDT", 500_000n * 10n ** 8n);
  }
  await tradeAt("30000");
  makerWs = await connect(maker);
  traderWs = await connect(trader);
});

afterAll(async () => {
  makerWs?.socket.close();
  traderWs?.socket.close();
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("conditional orders end to end", () => {
  it("exchangeInfo announces the filters and flags it enforces", async () => {
    const info = (await (await fetch(`${base}/api/v3/exchangeInfo?symbol=BTCUSDT`)).json()) as { symbols: Msg[] };
    const btc = info.symbols[0]!;
    expect(btc).toMatchObject({ icebergAllowed: true, ocoAllowed: true, otoAllowed: true, allowTrailingStop: true, cancelReplaceAllowed: true });
    expect(btc.orderTypes).toEqual(expect.arrayContaining(["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]));
    expect(btc.filters).toEqual(
      expect.arrayContaining([
        { filterType: "PERCENT_PRICE_BY_SIDE", bidMultiplierUp: "5", bidMultiplierDown: "0.2", askMultiplierUp: "5", askMultiplierDown: "0.2", avgPriceMins: 5 },
        { filterType: "ICEBERG_PARTS", limit: 10 },
        { filterType: "TRAILING_DELTA", minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
        { filterType: "MAX_NUM_ORDERS", maxNumOrders: 200 },
        { filterType: "MAX_NUM_ALGO_ORDERS", maxNumAlgoOrders: 5 },
        { filterType: "MAX_NUM_ICEBERG_ORDERS", maxNumIcebergOrders: 100 },
      ]),
    );
  });

  it("a STOP_LOSS_LIMIT waits (not working), triggers on a trade through its stop (NEW, working), rests and fills", async () => {
    const ws = traderWs;
    const stop = await place(trader, { side: "BUY", type: "STOP_LOSS_LIMIT", timeInForce: "GTC", quantity: "0.002", price: "30600", stopPrice: "30500", newClientOrderId: "sl-1" });
    expect(stop.status, JSON.stringify(stop.body)).toBe(200);
    const id = stop.body.orderId;
    expect(stop.body).toMatchObject({ status: "NEW", type: "STOP_LOSS_LIMIT", stopPrice: "30500.00000000", workingTime: -1 });
    expect(await ws.next(reportOf(id, "NEW"))).toMatchObject({ X: "NEW", o: "STOP_LOSS_LIMIT", P: "30500.00000000", w: false });
    const waiting = await signed("GET", "/api/v3/order", trader, { symbol: "BTCUSDT", orderId: String(id) });
    expect(waiting.body).toMatchObject({ status: "NEW", isWorking: false, workingTime: -1 });

    const before = Date.now();
    await tradeAt("30500");
    const triggered = await ws.next(reportOf(id, "NEW"));
    expect(triggered).toMatchObject({ X: "NEW", c: "sl-1", w: true, z: "0.00000000" });
    expect(triggered.W).toBeGreaterThanOrEqual(before - 1000);
    const working = await signed("GET", "/api/v3/order", trader, { symbol: "BTCUSDT", orderId: String(id) });
    expect(working.body).toMatchObject({ status: "NEW", isWorking: true, workingTime: triggered.W });

    // Resting at its limit now: a sell at the limit fills it.
    const sell = await place(maker, { side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.002", price: "30600" });
    expect(sell.body).toMatchObject({ status: "FILLED" });
    expect(await ws.next(reportOf(id, "TRADE"))).toMatchObject({ X: "FILLED", L: "30600.00000000", l: "0.00200000", w: false });
  });

  it("a TAKE_PROFIT sell triggers on a trade at or above its stop and fills at market, reported NEW then TRADE", async () => {
    await place(trader, { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.003", price: "30900" }); // the bid it sells into
    const ws = makerWs;
    const tp = await place(maker, { side: "SELL", type: "TAKE_PROFIT", quantity: "0.003", stopPrice: "31000" });
    expect(tp.body).toMatchObject({ status: "NEW", type: "TAKE_PROFIT" });
    const id = tp.body.orderId;
    expect(await ws.next(reportOf(id, "NEW"))).toMatchObject({ w: false });
    await tradeAt("31000");
    expect(await ws.next(reportOf(id, "NEW"))).toMatchObject({ w: true, o: "TAKE_PROFIT" });
    expect(await ws.next(reportOf(id, "TRADE"))).toMatchObject({ X: "FILLED", L: "30900.00000000", z: "0.00300000" });
  });

  it("a trailing STOP_LOSS sell follows the high and triggers after a 1% drop from it, not before", async () => {
    await place(trader, { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.004", price: "31000" }); // a bid below the trail
    const ws = makerWs;
    const trail = await place(maker, { side: "SELL", type: "STOP_LOSS", quantity: "0.004", trailingDelta: "100" });
    expect(trail.status, JSON.stringify(trail.body)).toBe(200);
    const id = trail.body.orderId;
    // No activation price: it tracks from its placement.
    expect(trail.body).toMatchObject({ trailingDelta: 100, trailingTime: trail.body.transactTime });
    expect(await ws.next(reportOf(id, "NEW"))).toMatchObject({ w: false, d: 100 });
    await tradeAt("32000"); // the high
    await tradeAt("31700"); // -0.94%: not yet
    const still = await signed("GET", "/api/v3/order", maker, { symbol: "BTCUSDT", orderId: String(id) });
    expect(still.body).toMatchObject({ status: "NEW", isWorking: false });
    await tradeAt("31680"); // -1%: triggers, sells into the 31000 bid
    expect(await ws.next(reportOf(id, "NEW"))).toMatchObject({ w: true, d: 100 });
    expect(await ws.next(reportOf(id, "TRADE"))).toMatchObject({ X: "FILLED", L: "31000.00000000" });
  });

  it("a trailing TAKE_PROFIT sell with an activation price ignores a drop before it, tracks from it, and triggers after the delta", async () => {
    // The last price is 31000. Activation at 32000 (market >= stopPrice, as a take-profit sell's stop), then 1% down from the high.
    const ws = makerWs;
    // An activation price the market already reaches is refused as a plain stop's would be.
    const reached = await place(maker, { side: "SELL", type: "TAKE_PROFIT", quantity: "0.004", stopPrice: "30000", trailingDelta: "100" });
    expect(reached).toEqual({ status: 400, body: { code: -2010, msg: "Order would trigger immediately." } });
    const trail = await place(maker, { side: "SELL", type: "TAKE_PROFIT", quantity: "0.004", stopPrice: "32000", trailingDelta: "100", newClientOrderId: "trail-act" });
    expect(trail.status, JSON.stringify(trail.body)).toBe(200);
    const id = trail.body.orderId;
    expect(trail.body).toMatchObject({ status: "NEW", type: "TAKE_PROFIT", stopPrice: "32000.00000000", trailingDelta: 100, trailingTime: -1, workingTime: -1 });
    expect(await ws.next(reportOf(id, "NEW"))).toMatchObject({ X: "NEW", o: "TAKE_PROFIT", P: "32000.00000000", d: 100, w: false });
    const query = async () => (await signed("GET", "/api/v3/order", maker, { symbol: "BTCUSDT", orderId: String(id) })).body;

    // (a) 1.6% down from 31000: a trail already tracking would fire, this one has not started.
    await tradeAt("30500");
    expect(await query()).toMatchObject({ status: "NEW", isWorking: false, stopPrice: "32000.00000000", trailingDelta: 100, trailingTime: -1 });

    // (b) Up through the activation price: tracking starts at 32000, follows the high to 32500.
    await place(trader, { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.004", price: "31500" }); // the bid it will sell into
    const beforeActivation = Date.now();
    await tradeAt("32000");
    await tradeAt("32500");
    await tradeAt("32200"); // -0.92% from the high: not yet
    const tracking = await query();
    expect(tracking).toMatchObject({ status: "NEW", isWorking: false });
    expect(tracking.trailingTime).toBeGreaterThanOrEqual(beforeActivation - 1000);
    const activatedAt = tracking.trailingTime as number;
    const beforeTrigger = Date.now();
    await tradeAt("32175"); // -1% from 32500: triggers, sells into the 31500 bid

    // (c) The user data stream reports the trigger (NEW, working), then the trade.
    const triggered = await ws.next(reportOf(id, "NEW"));
    expect(triggered).toMatchObject({ c: "trail-act", w: true, d: 100, D: activatedAt, P: "32000.00000000" });
    expect(triggered.W).toBeGreaterThanOrEqual(beforeTrigger - 1000);
    expect(await ws.next(reportOf(id, "TRADE"))).toMatchObject({ X: "FILLED", L: "31500.00000000", z: "0.00400000", d: 100, D: activatedAt });
    expect(await query()).toMatchObject({ status: "FILLED", stopPrice: "32000.00000000", trailingDelta: 100, trailingTime: activatedAt });
  });

  it("an iceberg shows only its peak in the book, refills after each peak trades, and fills whole", async () => {
    const ws = makerWs;
    const ice = await place(maker, { side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.005", price: "33000", icebergQty: "0.002" });
    expect(ice.body).toMatchObject({ status: "NEW", icebergQty: "0.00200000" });
    const id = ice.body.orderId;
    const depth = async () => ((await (await fetch(`${base}/api/v3/depth?symbol=BTCUSDT&limit=5`)).json()) as { asks: string[][] }).asks;
    await until(async () => (await depth()).some(([price]) => price === "33000.00000000"));
    expect((await depth()).find(([price]) => price === "33000.00000000")![1]).toBe("0.00200000");
    const take = await place(trader, { side: "BUY", type: "LIMIT", timeInForce: "IOC", quantity: "0.003", price: "33000" });
    expect(take.body).toMatchObject({ status: "FILLED", executedQty: "0.00300000" });
    expect(await ws.next(reportOf(id, "TRADE"))).toMatchObject({ X: "PARTIALLY_FILLED", l: "0.00200000", F: "0.00200000" });
    expect(await ws.next(reportOf(id, "TRADE"))).toMatchObject({ X: "PARTIALLY_FILLED", l: "0.00100000", z: "0.00300000" });
    await until(async () => (await depth()).find(([price]) => price === "33000.00000000")?.[1] === "0.00100000");
    const rest = await place(trader, { side: "BUY", type: "LIMIT", timeInForce: "IOC", quantity: "0.002", price: "33000" });
    expect(rest.body).toMatchObject({ status: "FILLED" });
    expect(await ws.next(reportOf(id, "TRADE"))).toMatchObject({ X: "PARTIALLY_FILLED", z: "0.00400000" });
    expect(await ws.next(reportOf(id, "TRADE"))).toMatchObject({ X: "FILLED", z: "0.00500000" });
  });

  it("refuses a sixth open stop (MAX_NUM_ALGO_ORDERS), a price far from the average (PERCENT_PRICE_BY_SIDE), a trailingDelta below 10 (TRAILING_DELTA), changing nothing", async () => {
    const ids: unknown[] = [];
    for (let i = 0; i < 5; i += 1) {
      const stop = await place(trader, { side: "SELL", type: "STOP_LOSS", quantity: "0.001", stopPrice: String(20_000 + i) });
      expect(stop.status, JSON.stringify(stop.body)).toBe(200);
      ids.push(stop.body.orderId);
    }
    const sixth = await place(trader, { side: "SELL", type: "STOP_LOSS", quantity: "0.001", stopPrice: "20010", newClientOrderId: "sixth" });
    expect(sixth).toEqual({ status: 400, body: { code: -1013, msg: "Filter failure: MAX_NUM_ALGO_ORDERS" } });
    const known = await signed("GET", "/api/v3/order", trader, { symbol: "BTCUSDT", origClientOrderId: "sixth" });
    expect(known.body).toMatchObject({ code: -2013 });
    // A plain order is not an algo order: still placed.
    const plain = await place(trader, { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "20000" });
    expect(plain.status, JSON.stringify(plain.body)).toBe(200);
    // Cancel one stop: there is room again.
    const cancel = await signed("DELETE", "/api/v3/order", trader, { symbol: "BTCUSDT", orderId: String(ids[0]) });
    expect(cancel.body).toMatchObject({ status: "CANCELED" });
    const again = await place(trader, { side: "SELL", type: "STOP_LOSS", quantity: "0.001", stopPrice: "20010" });
    expect(again.status, JSON.stringify(again.body)).toBe(200);

    // Every trade so far at 30000 or more, so their 5-minute average too: a bid below 6000 (0.2 x) is a fat finger.
    const far = await place(trader, { side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.002", price: "5999.99" });
    expect(far).toEqual({ status: 400, body: { code: -1013, msg: "Filter failure: PERCENT_PRICE_BY_SIDE" } });
    const shallow = await place(trader, { side: "SELL", type: "STOP_LOSS", quantity: "0.001", trailingDelta: "5" });
    expect(shallow).toEqual({ status: 400, body: { code: -1013, msg: "Filter failure: TRAILING_DELTA" } });
  });
});
