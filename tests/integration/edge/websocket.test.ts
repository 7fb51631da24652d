import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type WebSocket from "ws";
import { until } from "../../support/until.js";
import { StreamClient, type Msg } from "./ws-client.js";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import type { EdgeModule } from "../../../edge/src/main.js";
import type { MarketData } from "../../../services/marketdata/src/domain/market-data.use-case.js";

// Binance's WebSocket market streams end to end: the whole exchange in one process, orders
// placed through the signed REST API, and a real `ws` client on the edge's HTTP/1.1 port.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let wsBase: string;
let edge: EdgeModule;
let alice: Key & { userId: string };
let bob: Key;

interface Key {
  readonly apiKey: string;
  sign(payload: string): string;
}

const LIMITS = {
  EDGE_WS_MAX_STREAMS: "5",
  EDGE_WS_CONNECTIONS_PER_IP: "12",
  EDGE_WS_PING_INTERVAL_MS: "200",
  EDGE_WS_PONG_TIMEOUT_MS: "1500",
  EDGE_WS_MESSAGES_PER_SECOND: "50",
  EDGE_WS_BOOK_TICKER_POLL_MS: "50",
};

const openStream = (path: string, options: WebSocket.ClientOptions = {}, url = wsBase) => StreamClient.open(`${url}${path}`, options);

/** StreamTrades subscribers marketdata holds for `symbol` (its use case's listeners: the upstream side, seen from marketdata). */
function upstreamSubscribers(symbol: string): number {
  const module = exchange.modules.find((m) => m.name === "marketdata") as unknown as { marketData: MarketData };
  return module.marketData.subscribers(symbol).trades;
}

let nonce = 0;
async function placeOrder(key: Key, params: Record<string, string>) {
  const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const response = await fetch(`${base}/api/v3/order?${query}&signature=${key.sign(query)}`, { method: "POST", headers: { "X-MBX-APIKEY": key.apiKey } });
  const body = (await response.json()) as Record<string, unknown>;
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

async function userWithKey(auth: Client<typeof AuthService>, email: string): Promise<Key & { userId: string }> {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const headers = { authorization: `Bearer ${tokens!.accessToken}` };
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "ws" }, { headers });
  return { userId, apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-ws-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", ...LIMITS },
  );
  base = exchange.listening.http1Url;
  wsBase = base.replace(/^http/, "ws");
  edge = exchange.modules.find((module) => module.name === "edge") as EdgeModule;
  const auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  const a = await userWithKey(auth, "ws-alice@example.com");
  const b = await userWithKey(auth, "ws-bob@example.com");
  alice = a;
  bob = b;
  await parts.wallet.creditDeposit("ws-alice-btc", a.userId, "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("ws-bob-usdt", b.userId, "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("WebSocket market streams", () => {
  it("sends a trade placed through REST on /ws/<symbol>@trade, a combined stream, and its kline", async () => {
    const raw = await openStream("/ws/btcusdt@trade");
    const combined = await openStream("/stream?streams=btcusdt@trade/btcusdt@kline_1m");
    await until(() => upstreamSubscribers("BTCUSDT") === 1); // one upstream call for both connections

    const before = Date.now();
    await placeOrder(alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "30000.01" });
    await placeOrder(bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "30010" });

    const trade = { e: "trade", E: expect.any(Number), s: "BTCUSDT", t: 1, p: "30000.01000000", q: "0.10000000", T: expect.any(Number), m: false, M: true };
    const onRaw = await raw.next();
    expect(onRaw).toEqual(trade);
    const tradeTime = onRaw.T as number;
    expect(tradeTime).toBeGreaterThanOrEqual(before - 1000);
    expect(onRaw.E).toBeGreaterThanOrEqual(tradeTime);
    expect(await combined.next((m) => m.stream === "btcusdt@trade")).toEqual({ stream: "btcusdt@trade", data: trade });

    const kline = await combined.next((m) => m.stream === "btcusdt@kline_1m");
    const openTime = Math.floor(tradeTime / 60_000) * 60_000;
    expect(kline).toEqual({
      stream: "btcusdt@kline_1m",
      data: {
        e: "kline",
        E: expect.any(Number),
        s: "BTCUSDT",
        k: {
          t: openTime,
          T: openTime + 59_999,
          s: "BTCUSDT",
          i: "1m",
          f: 1,
          L: 1,
          o: "30000.01000000",
          c: "30000.01000000",
          h: "30000.01000000",
          l: "30000.01000000",
          v: "0.10000000",
          n: 1,
          x: expect.any(Boolean),
          q: "3000.00100000",
          V: "0.10000000",
          Q: "3000.00100000",
          B: "0",
        },
      },
    });
    await raw.close();
    await combined.close();
  });

  it("closes the upstream StreamTrades after the last subscriber leaves, and reopens it for a new one", async () => {
    await until(() => edge.marketStreams.connectionCount === 0);
    expect(edge.marketStreams.feeds.stats()).toMatchObject({ topics: [], tradeFeeds: [] });
    expect(upstreamSubscribers("BTCUSDT")).toBe(0);
    const a = await openStream("/ws/ethusdt@trade");
    const b = await openStream("/ws/ethusdt@kline_1h");
    expect(edge.marketStreams.feeds.stats()).toMatchObject({ topics: ["ethusdt@kline_1h", "ethusdt@trade"], tradeFeeds: ["ETHUSDT"] });
    await until(() => upstreamSubscribers("ETHUSDT") === 1);
    a.socket.terminate(); // a dead socket, not a polite close
    await until(() => edge.marketStreams.feeds.stats().topics.length === 1);
    expect(edge.marketStreams.feeds.stats().tradeFeeds).toEqual(["ETHUSDT"]);
    expect(upstreamSubscribers("ETHUSDT")).toBe(1);
    await b.close();
    await until(() => edge.marketStreams.feeds.stats().tradeFeeds.length === 0);
    expect(edge.marketStreams.feeds.stats().topics).toEqual([]);
    await until(() => upstreamSubscribers("ETHUSDT") === 0); // marketdata's side of the call ended too
  });

  it("SUBSCRIBE, LIST_SUBSCRIPTIONS and UNSUBSCRIBE with Binance's replies; bookTicker sends the best prices", async () => {
    const client = await openStream("/ws");
    expect(await client.request({ method: "SUBSCRIBE", params: ["btcusdt@bookTicker", "btcusdt@miniTicker"], id: 1 })).toEqual({ result: null, id: 1 });
    expect(await client.request({ method: "LIST_SUBSCRIPTIONS", id: 2 })).toEqual({ result: ["btcusdt@bookTicker", "btcusdt@miniTicker"], id: 2 });
    // The book after the first test: alice's 0.1 sold to bob; nothing rests. A resting bid changes it.
    await client.next((m) => m.u !== undefined);
    await placeOrder(bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "29000.5" });
    expect(await client.next((m) => m.u !== undefined && m.b === "29000.50000000")).toEqual({ u: expect.any(Number), s: "BTCUSDT", b: "29000.50000000", B: "0.01000000", a: "0.00000000", A: "0.00000000" });

    // A trade moves the mini ticker (and takes the resting bid off the book).
    await placeOrder(alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "29000.5" });
    expect(await client.next((m) => m.e === "24hrMiniTicker")).toEqual({
      e: "24hrMiniTicker",
      E: expect.any(Number),
      s: "BTCUSDT",
      c: "29000.50000000",
      o: "30000.01000000",
      h: "30000.01000000",
      l: "29000.50000000",
      v: "0.11000000",
      q: "3290.00600000",
    });
    expect(await client.next((m) => m.u !== undefined)).toMatchObject({ b: "0.00000000", B: "0.00000000" });

    // A kline subscriber gets the current candle at once (today's: every trade of this file so far).
    expect(await client.request({ method: "SUBSCRIBE", params: ["btcusdt@kline_1d"], id: 6 })).toEqual({ result: null, id: 6 });
    const day = await client.next((m) => m.e === "kline");
    expect(day.k).toMatchObject({ i: "1d", f: 1, L: 2, n: 2, o: "30000.01000000", c: "29000.50000000", l: "29000.50000000", v: "0.11000000", x: false });
    expect(await client.request({ method: "UNSUBSCRIBE", params: ["btcusdt@bookTicker", "btcusdt@kline_1d"], id: 3 })).toEqual({ result: null, id: 3 });
    expect(await client.request({ method: "LIST_SUBSCRIPTIONS", id: 4 })).toEqual({ result: ["btcusdt@miniTicker"], id: 4 });
    expect(edge.marketStreams.feeds.stats().topics).toEqual(["btcusdt@miniTicker"]);
    expect(await client.request({ method: "GET_PROPERTY", params: ["combined"], id: 5 })).toEqual({ result: false, id: 5 });
    await client.close();
  });

  it("answers bad requests with Binance's error shape and subscribes nothing", async () => {
    const client = await openStream("/ws");
    expect(await client.request({ method: "SUBSCRIBE", params: ["btcusdt@trade", "BTCUSDT@trade"], id: 1 })).toEqual({ error: { code: 2, msg: "Invalid request: invalid stream name `BTCUSDT@trade`" }, id: 1 });
    expect(await client.request({ method: "SUBSCRIBE", params: ["btcusdt@kline_2m"], id: 2 })).toMatchObject({ error: { code: 2 }, id: 2 });
    expect(await client.request({ method: "SUBSCRIBE", params: ["btcusdt@trade", "nopeusdt@trade"], id: 3 })).toEqual({ error: { code: 2, msg: "Invalid request: unknown symbol in stream `nopeusdt@trade`" }, id: 3 });
    expect(await client.request({ method: "SUBSCRIB", params: [], id: 4 })).toMatchObject({ error: { code: 2, msg: expect.stringContaining("unknown variant") }, id: 4 });
    client.send("not json");
    expect(await client.next()).toEqual({ error: { code: 3, msg: expect.stringContaining("Invalid JSON") }, id: null });
    expect(await client.request({ method: "LIST_SUBSCRIPTIONS", id: 5 })).toEqual({ result: [], id: 5 });
    expect(edge.marketStreams.feeds.stats().topics).toEqual([]);
    await client.close();

    await expect(openStream("/ws/nopeusdt@trade")).rejects.toMatchObject({ status: 400, body: { code: -1121 } });
    await expect(openStream("/stream?streams=btcusdt@trade/btcusdt@ticker_2h")).rejects.toMatchObject({ status: 400 });
    // Other upgrade paths are not the edge's.
    await expect(openStream("/elsewhere")).rejects.toMatchObject({ status: 404 });
  });

  it("holds at most EDGE_WS_MAX_STREAMS streams per connection", async () => {
    const five = ["btcusdt@trade", "btcusdt@kline_1m", "btcusdt@kline_5m", "btcusdt@bookTicker", "ethusdt@trade"];
    await expect(openStream(`/stream?streams=${[...five, "ethusdt@kline_1m"].join("/")}`)).rejects.toMatchObject({ status: 400 });
    const client = await openStream("/stream");
    expect(await client.request({ method: "SUBSCRIBE", params: [...five, "ethusdt@kline_1m"], id: 1 })).toMatchObject({ error: { code: 2, msg: expect.stringContaining("too many streams") }, id: 1 });
    expect(await client.request({ method: "LIST_SUBSCRIPTIONS", id: 2 })).toEqual({ result: [], id: 2 });
    expect(await client.request({ method: "SUBSCRIBE", params: five, id: 3 })).toEqual({ result: null, id: 3 });
    expect(await client.request({ method: "SUBSCRIBE", params: ["btcusdt@trade"], id: 4 })).toEqual({ result: null, id: 4 }); // already held
    expect(await client.request({ method: "SUBSCRIBE", params: ["ethusdt@kline_1m"], id: 5 })).toMatchObject({ error: { code: 2 }, id: 5 });
    await client.close();
    await until(() => edge.marketStreams.feeds.stats().tradeFeeds.length === 0);
  });

  it("pings, and drops a connection that does not answer with a pong", async () => {
    const polite = await openStream("/ws");
    const silent = await openStream("/ws", { autoPong: false });
    await until(() => silent.closedWith !== undefined, 5_000);
    expect(silent.closedWith).toBe(1006); // terminated without a close frame
    expect(polite.pings).toBeGreaterThan(2);
    expect(polite.closedWith).toBeUndefined();
    await polite.close();
  });

  it("works when the edge runs alone and calls marketdata over gRPC at MARKETDATA_ADDR", async () => {
    const address = exchange.listening.http2Url;
    const alone = await startExchange(
      { service: "edge", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { LOG_LEVEL: "warn", ORDER_ADDR: address, WALLET_ADDR: address, AUTH_ADDR: address, MATCHING_ADDR: address, MARKETDATA_ADDR: address, EDGE_WS_MAX_CONNECTION_MS: "1500" },
    );
    try {
      const aloneEdge = alone.modules[0] as EdgeModule;
      const client = await openStream("/ws/btcusdt@trade", {}, alone.listening.http1Url.replace(/^http/, "ws"));
      await until(() => upstreamSubscribers("BTCUSDT") === 1); // the upstream gRPC stream is open
      await placeOrder(alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.002", price: "30500" });
      await placeOrder(bob, { symbol: "BTCUSDT", side: "BUY", type: "MARKET", quantity: "0.002" });
      expect(await client.next()).toMatchObject({ e: "trade", s: "BTCUSDT", p: "30500.00000000", q: "0.00200000", m: false });
      await client.close();
      await until(() => aloneEdge.marketStreams.feeds.stats().tradeFeeds.length === 0);
      await until(() => upstreamSubscribers("BTCUSDT") === 0); // the gRPC call was cancelled

      // EDGE_WS_MAX_CONNECTION_MS (Binance: 24 h) ends a connection at its age limit.
      const opened = Date.now();
      const old = await openStream("/ws", {}, alone.listening.http1Url.replace(/^http/, "ws"));
      await until(() => old.closedWith !== undefined, 5_000);
      expect(old.closedWith).toBe(1000);
      expect(Date.now() - opened).toBeGreaterThanOrEqual(1400);
    } finally {
      await alone.stop();
    }
  });

  it("answers other upgrade requests (curl --http2 sends Upgrade: h2c) as plain HTTP/1.1 requests", async () => {
    const plain = (method: string, path: string, body?: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = httpRequest(`${base}${path}`, {
          method,
          headers: { connection: "Upgrade, HTTP2-Settings", upgrade: "h2c", "http2-settings": "AAMAAABkAAQCAAAAAAIAAAAA", ...(body ? { "content-type": "application/json", "content-length": String(body.length) } : {}) },
        });
        request.on("response", (response) => {
          let text = "";
          response.on("data", (chunk: Buffer) => (text += chunk.toString()));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
        });
        request.on("error", reject);
        request.end(body);
      });
    expect(await plain("GET", "/api/v3/ping")).toEqual({ status: 200, body: "{}" });
    const info = await plain("POST", "/exchange.order.v1.OrderService/GetExchangeInfo", "{}");
    expect(info.status).toBe(200);
    expect(JSON.parse(info.body)).toMatchObject({ symbols: expect.arrayContaining([expect.objectContaining({ symbol: "BTCUSDT" })]) });
    expect((await plain("GET", "/ws/btcusdt@trade")).status).toBe(404);
  });

  it("closes a connection that sends more than EDGE_WS_MESSAGES_PER_SECOND control messages", async () => {
    const client = await openStream("/ws");
    for (let id = 1; id <= 60; id += 1) client.send({ method: "LIST_SUBSCRIPTIONS", id });
    await until(() => client.closedWith !== undefined, 5_000);
    expect(client.closedWith).toBe(1008);
  });

  it("limits connections per IP", async () => {
    await until(() => edge.marketStreams.connectionCount === 0);
    const clients = await Promise.all(Array.from({ length: 12 }, () => openStream("/ws")));
    await expect(openStream("/ws")).rejects.toMatchObject({ status: 429, body: { code: -1003 } });
    await clients[0]!.close();
    await until(() => edge.marketStreams.connectionCount === 11);
    const again = await openStream("/ws");
    await Promise.all([...clients.slice(1), again].map((c) => c.close()));
  });
});

describe("WebSocket depth streams", () => {
  type Level = [string, string];
  type Side = Map<string, string>;
  const isZero = (q: string) => /^0(\.0+)?$/.test(q);
  const applyLevels = (side: Side, levels: Level[]) => {
    for (const [price, qty] of levels) {
      if (isZero(qty)) side.delete(price);
      else side.set(price, qty);
    }
  };
  const restDepth = async (limit: number) => (await (await fetch(`${base}/api/v3/depth?symbol=BTCUSDT&limit=${limit}`)).json()) as { lastUpdateId: number; bids: Level[]; asks: Level[] };

  it("@depth@100ms diffs after REST orders rebuild /api/v3/depth by Binance's procedure, with exact decimals; @depth5 is the top of the book", async () => {
    const client = await openStream("/stream?streams=btcusdt@depth@100ms/btcusdt@depth5");
    const marketData = (exchange.modules.find((m) => m.name === "marketdata") as unknown as { marketData: MarketData }).marketData;
    await until(() => marketData.subscribers("BTCUSDT").depth === 1); // the edge's one upstream StreamDepth is open
    expect(edge.marketStreams.feeds.stats()).toMatchObject({ depthFeeds: ["BTCUSDT"] });
    const snapshot = await restDepth(5000);

    await placeOrder(alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "45678.91" });
    await placeOrder(alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.02", price: "45679" });
    await placeOrder(bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.03", price: "12345.67" });
    // Takes 0.004 of the 45678.91 level.
    await placeOrder(bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.004", price: "45678.91" });
    const expected = await restDepth(5000);

    const book = { bids: new Map(snapshot.bids), asks: new Map(snapshot.asks) };
    let previousU: number | undefined;
    const seen = { bids: new Map<string, string>(), asks: new Map<string, string>() };
    while (previousU === undefined || previousU < expected.lastUpdateId) {
      const { data } = (await client.next((m) => m.stream === "btcusdt@depth@100ms")) as { data: { e: string; E: number; s: string; U: number; u: number; b: Level[]; a: Level[] } };
      expect(data).toMatchObject({ e: "depthUpdate", s: "BTCUSDT" });
      expect(typeof data.E).toBe("number");
      if (data.u <= snapshot.lastUpdateId) continue;
      if (previousU === undefined) expect(data.U <= snapshot.lastUpdateId + 1 && snapshot.lastUpdateId + 1 <= data.u).toBe(true);
      else expect(data.U).toBe(previousU + 1);
      previousU = data.u;
      applyLevels(book.bids, data.b);
      applyLevels(book.asks, data.a);
      for (const [p, q] of data.b) seen.bids.set(p, q);
      for (const [p, q] of data.a) seen.asks.set(p, q);
    }
    expect(previousU).toBe(expected.lastUpdateId);
    // Exact decimal strings at the assets' scales, as REST writes them.
    expect(seen.asks.get("45678.91000000")).toBe("0.00600000");
    expect(seen.asks.get("45679.00000000")).toBe("0.02000000");
    expect(seen.bids.get("12345.67000000")).toBe("0.03000000");
    const order = (desc: boolean) => (x: Level, y: Level) => (Number(x[0]) - Number(y[0])) * (desc ? -1 : 1); // ordering only
    expect({ bids: [...book.bids].sort(order(true)), asks: [...book.asks].sort(order(false)) }).toEqual({ bids: expected.bids, asks: expected.asks });

    // Partial book depth: the top 5 levels, as /api/v3/depth?limit=5 (sent when they change, at 1 s).
    const top = await restDepth(5);
    const partial = await client.next((m) => m.stream === "btcusdt@depth5" && JSON.stringify((m.data as Msg).asks) === JSON.stringify(top.asks) && JSON.stringify((m.data as Msg).bids) === JSON.stringify(top.bids), 5_000);
    expect(Object.keys(partial.data as Msg).sort()).toEqual(["asks", "bids", "lastUpdateId"]);
    expect((partial.data as { lastUpdateId: number }).lastUpdateId).toBeLessThanOrEqual(top.lastUpdateId);
    expect((partial.data as { asks: Level[] }).asks.length).toBeLessThanOrEqual(5);

    await client.close();
    await until(() => marketData.subscribers("BTCUSDT").depth === 0); // the upstream call ended after the last subscriber
    expect(edge.marketStreams.feeds.stats()).toMatchObject({ depthFeeds: [] });
  });
});

describe("the aggTrade stream", () => {
  it("sends each aggregate once, complete, with the id and fields GET /api/v3/aggTrades reports", async () => {
    const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
    await parts.wallet.creditDeposit("ws-alice-eth", alice.userId, "ETH", 10n ** 18n);
    const marketData = (exchange.modules.find((m) => m.name === "marketdata") as unknown as { marketData: MarketData }).marketData;
    const raw = await openStream("/ws/ethusdt@aggTrade");
    const combined = await openStream("/stream?streams=ethusdt@aggTrade");
    expect(edge.marketStreams.feeds.stats().aggTradeFeeds).toEqual(["ETHUSDT"]);
    await until(() => marketData.subscribers("ETHUSDT").aggTrades === 1); // one upstream StreamAggTrades for both

    const limit = { symbol: "ETHUSDT", type: "LIMIT", timeInForce: "GTC" };
    await placeOrder(alice, { ...limit, side: "SELL", quantity: "0.01", price: "2000" });
    await placeOrder(alice, { ...limit, side: "SELL", quantity: "0.02", price: "2000" });
    await placeOrder(alice, { ...limit, side: "SELL", quantity: "0.01", price: "2001" });
    await placeOrder(bob, { ...limit, side: "BUY", quantity: "0.04", price: "2001" }); // 2 trades @ 2000 (one aggregate), 1 @ 2001
    await placeOrder(bob, { ...limit, side: "BUY", quantity: "0.01", price: "1999" });
    await placeOrder(alice, { ...limit, side: "SELL", quantity: "0.01", price: "1999" }); // the taker sold

    const events = [await raw.next(), await raw.next(), await raw.next()];
    const rest = (await (await fetch(`${base}/api/v3/aggTrades?symbol=ETHUSDT`)).json()) as Msg[];
    const trades = (await (await fetch(`${base}/api/v3/trades?symbol=ETHUSDT`)).json()) as Msg[];
    expect(trades.map((t) => [t.id, t.price, t.qty])).toEqual([
      [1, "2000.00000000", "0.010000000000000000"],
      [2, "2000.00000000", "0.020000000000000000"],
      [3, "2001.00000000", "0.010000000000000000"],
      [4, "1999.00000000", "0.010000000000000000"],
    ]);
    const expected = [
      { a: 1, p: "2000.00000000", q: "0.030000000000000000", f: 1, l: 2, T: trades[0]!.time, m: false, M: true },
      { a: 2, p: "2001.00000000", q: "0.010000000000000000", f: 3, l: 3, T: trades[2]!.time, m: false, M: true },
      { a: 3, p: "1999.00000000", q: "0.010000000000000000", f: 4, l: 4, T: trades[3]!.time, m: true, M: true },
    ];
    expect(rest).toEqual(expected);
    expect(events).toEqual(expected.map((agg) => ({ e: "aggTrade", E: expect.any(Number), s: "ETHUSDT", ...agg })));
    for (const event of events) expect(event.E).toBeGreaterThanOrEqual(event.T as number);
    for (const agg of expected) expect(await combined.next((m) => m.stream === "ethusdt@aggTrade")).toEqual({ stream: "ethusdt@aggTrade", data: { e: "aggTrade", E: expect.any(Number), s: "ETHUSDT", ...agg } });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(raw.messages).toEqual([]); // nothing twice

    await raw.close();
    await combined.close();
    await until(() => edge.marketStreams.feeds.stats().aggTradeFeeds.length === 0 && marketData.subscribers("ETHUSDT").aggTrades === 0);
  });
});

describe("ticker streams", () => {
  it("@ticker, @ticker_1h, @avgPrice, !miniTicker@arr and !ticker@arr after a trade, equal to the REST answers", async () => {
    const client = await openStream("/stream?streams=btcusdt@ticker/btcusdt@ticker_1h/btcusdt@avgPrice/!miniTicker@arr/!ticker@arr");
    await until(() => edge.marketStreams.feeds.stats().tradeFeeds.includes("BTCUSDT"));
    const limit = { symbol: "BTCUSDT", type: "LIMIT", timeInForce: "GTC" };
    await placeOrder(bob, { ...limit, side: "BUY", quantity: "0.01", price: "10000" });
    await placeOrder(alice, { ...limit, side: "SELL", quantity: "0.01", price: "10000" }); // trades with the best bid, at 10000 or above

    const of = async (stream: string) => (await client.next((m) => m.stream === stream, 15_000)).data as Msg;
    const ticker = await of("btcusdt@ticker");
    const hour = await of("btcusdt@ticker_1h");
    const average = await of("btcusdt@avgPrice");
    const minis = (await of("!miniTicker@arr")) as unknown as Msg[];
    const tickers = (await of("!ticker@arr")) as unknown as Msg[];

    const rest24h = (await (await fetch(`${base}/api/v3/ticker/24hr?symbol=BTCUSDT`)).json()) as Msg;
    expect(ticker).toEqual({
      e: "24hrTicker",
      E: expect.any(Number),
      s: "BTCUSDT",
      p: rest24h.priceChange,
      P: rest24h.priceChangePercent,
      w: rest24h.weightedAvgPrice,
      x: rest24h.prevClosePrice,
      c: rest24h.lastPrice,
      Q: rest24h.lastQty,
      b: rest24h.bidPrice,
      B: rest24h.bidQty,
      a: rest24h.askPrice,
      A: rest24h.askQty,
      o: rest24h.openPrice,
      h: rest24h.highPrice,
      l: rest24h.lowPrice,
      v: rest24h.volume,
      q: rest24h.quoteVolume,
      O: expect.any(Number),
      C: expect.any(Number),
      F: rest24h.firstId,
      L: rest24h.lastId,
      n: rest24h.count,
    });
    expect((ticker.C as number) - (ticker.O as number)).toBe(86_400_000);
    const restHour = (await (await fetch(`${base}/api/v3/ticker?symbol=BTCUSDT&windowSize=1h`)).json()) as Msg;
    expect(hour).toEqual({
      e: "1hTicker",
      E: expect.any(Number),
      s: "BTCUSDT",
      p: restHour.priceChange,
      P: restHour.priceChangePercent,
      o: restHour.openPrice,
      h: restHour.highPrice,
      l: restHour.lowPrice,
      c: restHour.lastPrice,
      w: restHour.weightedAvgPrice,
      v: restHour.volume,
      q: restHour.quoteVolume,
      O: expect.any(Number),
      C: expect.any(Number),
      F: restHour.firstId,
      L: restHour.lastId,
      n: restHour.count,
    });
    expect((hour.C as number) - (hour.O as number)).toBe(3_600_000);
    const restAvg = (await (await fetch(`${base}/api/v3/avgPrice?symbol=BTCUSDT`)).json()) as Msg;
    expect(average).toEqual({ e: "avgPrice", E: expect.any(Number), s: "BTCUSDT", i: "5m", w: restAvg.price, T: restAvg.closeTime });
    // The arrays hold the symbols that traded: BTCUSDT only.
    expect(minis).toEqual([{ e: "24hrMiniTicker", E: expect.any(Number), s: "BTCUSDT", c: rest24h.lastPrice, o: rest24h.openPrice, h: rest24h.highPrice, l: rest24h.lowPrice, v: rest24h.volume, q: rest24h.quoteVolume }]);
    // Read a moment later: the same statistics, a window that ends later.
    expect(tickers).toEqual([{ ...ticker, E: expect.any(Number), O: expect.any(Number), C: expect.any(Number) }]);
    await client.close();
    await until(() => !edge.marketStreams.feeds.stats().tradeFeeds.includes("BTCUSDT"));
  });

  it("refuses ticker windows Binance has no stream for", async () => {
    const client = await openStream("/ws");
    for (const [id, name] of ["btcusdt@ticker_2h", "btcusdt@ticker_1m", "btcusdt@ticker_7d", "!bookTicker@arr"].entries()) {
      expect(await client.request({ method: "SUBSCRIBE", params: [name], id })).toMatchObject({ error: { code: 2 }, id });
    }
    await client.close();
  });
});
