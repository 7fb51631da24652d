import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// The public market-data endpoints end to end: the whole exchange in one process, trades placed
// through order, and every call over plain fetch as a Binance client sends it.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let orders: Client<typeof OrderService>;

async function get(path: string) {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, weight: Number(response.headers.get("x-mbx-used-weight-1m")), body: (await response.json()) as unknown };
}

/** How much of the IP's weight a call used. */
async function weightOf(path: string): Promise<number> {
  const before = (await get("/api/v3/ping")).weight;
  const after = (await get(path)).weight;
  return after - before;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-market-"));
  exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "warn", WALLET_SIMULATED_CHAIN_FAUCET: "false" });
  base = exchange.listening.http1Url;
  orders = createClient(OrderService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  await parts.wallet.creditDeposit("edge-md-alice", "alice", "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("edge-md-bob", "bob", "USDT", 100_000n * 10n ** 8n);
  const limit = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC };
  await orders.placeOrder({ ...limit, accountId: "alice", side: Side.SELL, quantity: "0.1", price: "30000" });
  await orders.placeOrder({ ...limit, accountId: "alice", side: Side.SELL, quantity: "0.5", price: "30100.5" });
  await orders.placeOrder({ ...limit, accountId: "bob", side: Side.BUY, quantity: "0.3", price: "30200" }); // 0.1 @ 30000, 0.2 @ 30100.5
  await orders.placeOrder({ ...limit, accountId: "bob", side: Side.BUY, quantity: "0.01", price: "29000" }); // rests: the best bid
  const deadline = Date.now() + 10_000;
  while (((await get("/api/v3/trades?symbol=BTCUSDT")).body as unknown[]).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("market data endpoints", () => {
  it("GET /api/v3/trades and historicalTrades: Binance's trade objects, oldest first", async () => {
    const { status, body } = await get("/api/v3/trades?symbol=BTCUSDT");
    expect(status).toBe(200);
    expect(body).toEqual([
      { id: 1, price: "30000.00000000", qty: "0.10000000", quoteQty: "3000.00000000", time: expect.any(Number), isBuyerMaker: false, isBestMatch: true },
      { id: 2, price: "30100.50000000", qty: "0.20000000", quoteQty: "6020.10000000", time: expect.any(Number), isBuyerMaker: false, isBestMatch: true },
    ]);
    expect((await get("/api/v3/trades?symbol=BTCUSDT&limit=1")).body).toMatchObject([{ id: 2 }]);
    expect((await get("/api/v3/historicalTrades?symbol=BTCUSDT&fromId=1&limit=1")).body).toMatchObject([{ id: 1 }]);
    expect(await weightOf("/api/v3/trades?symbol=BTCUSDT")).toBe(25);
  });

  it("GET /api/v3/klines: Binance's arrays", async () => {
    const { status, body } = await get("/api/v3/klines?symbol=BTCUSDT&interval=1d");
    expect(status).toBe(200);
    const day = Math.floor(Date.now() / 86_400_000) * 86_400_000;
    expect(body).toEqual([[day, "30000.00000000", "30100.50000000", "30000.00000000", "30100.50000000", "0.30000000", day + 86_400_000 - 1, "9020.10000000", 2, "0.30000000", "9020.10000000", "0"]]);
    const month = Date.UTC(new Date(day).getUTCFullYear(), new Date(day).getUTCMonth(), 1);
    const months = (await get(`/api/v3/klines?symbol=BTCUSDT&interval=1M&startTime=${month}`)).body as unknown[][];
    expect(months.map((k) => k[0])).toEqual([month]);
    expect((await get(`/api/v3/klines?symbol=BTCUSDT&interval=1h&endTime=${day - 1}`)).body).toEqual([]);
    expect(await weightOf("/api/v3/klines?symbol=BTCUSDT&interval=1m")).toBe(2);
  });

  it("GET /api/v3/ticker/24hr: FULL and MINI, one symbol or several", async () => {
    const { status, body } = await get("/api/v3/ticker/24hr?symbol=BTCUSDT");
    expect(status).toBe(200);
    // 0.1 @ 30000 + 0.2 @ 30100.5 = 9020.1 for 0.3: weighted 30067; change 100.5 = 0.335 %
    expect(body).toEqual({
      symbol: "BTCUSDT",
      priceChange: "100.50000000",
      priceChangePercent: "0.335",
      weightedAvgPrice: "30067.00000000",
      prevClosePrice: "0.00000000",
      lastPrice: "30100.50000000",
      lastQty: "0.20000000",
      bidPrice: "29000.00000000",
      bidQty: "0.01000000",
      askPrice: "30100.50000000",
      askQty: "0.30000000",
      openPrice: "30000.00000000",
      highPrice: "30100.50000000",
      lowPrice: "30000.00000000",
      volume: "0.30000000",
      quoteVolume: "9020.10000000",
      openTime: expect.any(Number),
      closeTime: expect.any(Number),
      firstId: 1,
      lastId: 2,
      count: 2,
    });
    const mini = (await get('/api/v3/ticker/24hr?symbols=["BTCUSDT","ETHUSDT"]&type=MINI')).body as Record<string, unknown>[];
    expect(mini.map((t) => [t.symbol, t.lastPrice, t.count, t.firstId])).toEqual([
      ["BTCUSDT", "30100.50000000", 2, 1],
      ["ETHUSDT", "0.00000000", 0, -1],
    ]);
    expect(mini[0]).not.toHaveProperty("priceChange");
    expect(await weightOf("/api/v3/ticker/24hr?symbol=BTCUSDT")).toBe(2);
    expect(await weightOf("/api/v3/ticker/24hr")).toBe(80);
  });

  it("GET /api/v3/ticker: a rolling window (windowSize), FULL and MINI, with its weight and errors", async () => {
    const { status, body } = await get("/api/v3/ticker?symbol=BTCUSDT&windowSize=1h");
    expect(status).toBe(200);
    const hour = body as Record<string, unknown>;
    expect(Object.keys(hour)).toEqual(["symbol", "priceChange", "priceChangePercent", "weightedAvgPrice", "openPrice", "highPrice", "lowPrice", "lastPrice", "volume", "quoteVolume", "openTime", "closeTime", "firstId", "lastId", "count"]);
    expect(hour).toMatchObject({ symbol: "BTCUSDT", priceChange: "100.50000000", priceChangePercent: "0.335", weightedAvgPrice: "30067.00000000", openPrice: "30000.00000000", lastPrice: "30100.50000000", volume: "0.30000000", quoteVolume: "9020.10000000", firstId: 1, lastId: 2, count: 2 });
    expect((hour.closeTime as number) - (hour.openTime as number)).toBe(3_600_000);
    const day = (await get("/api/v3/ticker?symbol=BTCUSDT")).body as Record<string, unknown>;
    expect((day.closeTime as number) - (day.openTime as number)).toBe(86_400_000);
    const mini = (await get('/api/v3/ticker?symbols=["BTCUSDT","ETHUSDT"]&windowSize=7d&type=MINI')).body as Record<string, unknown>[];
    expect(mini.map((t) => [t.symbol, t.lastPrice, t.count])).toEqual([
      ["BTCUSDT", "30100.50000000", 2],
      ["ETHUSDT", "0.00000000", 0],
    ]);
    expect(mini[0]).not.toHaveProperty("priceChange");
    expect(await weightOf("/api/v3/ticker?symbol=BTCUSDT&windowSize=1m")).toBe(4);
    expect(await weightOf('/api/v3/ticker?symbols=["BTCUSDT","ETHUSDT"]')).toBe(8);
    for (const bad of ["60m", "24h", "8d", "0m", "1w", "1.5h"]) expect((await get(`/api/v3/ticker?symbol=BTCUSDT&windowSize=${bad}`)).body, bad).toMatchObject({ code: -1130 });
    expect((await get("/api/v3/ticker")).body).toMatchObject({ code: -1102 });
  });

  it("GET /api/v3/ticker/price, ticker/bookTicker and avgPrice", async () => {
    expect((await get("/api/v3/ticker/price?symbol=BTCUSDT")).body).toEqual({ symbol: "BTCUSDT", price: "30100.50000000" });
    expect((await get("/api/v3/ticker/price")).body).toEqual([
      { symbol: "BTCUSDT", price: "30100.50000000" },
      { symbol: "ETHUSDT", price: "0.00000000" },
    ]);
    expect((await get("/api/v3/ticker/bookTicker?symbol=BTCUSDT")).body).toEqual({ symbol: "BTCUSDT", bidPrice: "29000.00000000", bidQty: "0.01000000", askPrice: "30100.50000000", askQty: "0.30000000" });
    expect((await get('/api/v3/ticker/bookTicker?symbols=["ETHUSDT"]')).body).toEqual([
      { symbol: "ETHUSDT", bidPrice: "0.00000000", bidQty: "0.000000000000000000", askPrice: "0.00000000", askQty: "0.000000000000000000" },
    ]);
    expect((await get("/api/v3/avgPrice?symbol=BTCUSDT")).body).toEqual({ mins: 5, price: "30067.00000000", closeTime: expect.any(Number) });
    expect(await weightOf("/api/v3/ticker/price")).toBe(4);
    expect(await weightOf("/api/v3/avgPrice?symbol=BTCUSDT")).toBe(2);
  });

  it("refuses bad input with Binance's status and code, and changes nothing", async () => {
    const before = (await get("/api/v3/trades?symbol=BTCUSDT&limit=1000")).body;
    const cases: [string, number, number][] = [
      ["/api/v3/trades?symbol=NOPEUSDT", 400, -1121],
      ["/api/v3/trades", 400, -1102],
      ["/api/v3/trades?symbol=BTCUSDT&limit=1001", 400, -1130],
      ["/api/v3/trades?symbol=BTCUSDT&limit=0", 400, -1130],
      ["/api/v3/historicalTrades?symbol=BTCUSDT&fromId=x", 400, -1102],
      ["/api/v3/klines?symbol=BTCUSDT&interval=2m", 400, -1120],
      ["/api/v3/klines?symbol=BTCUSDT", 400, -1102],
      ["/api/v3/klines?symbol=NOPEUSDT&interval=1m", 400, -1121],
      ["/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1001", 400, -1130],
      ["/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=2&endTime=1", 400, -1130],
      ["/api/v3/ticker/24hr?symbol=NOPEUSDT", 400, -1121],
      ['/api/v3/ticker/24hr?symbols=["BTCUSDT","NOPEUSDT"]', 400, -1121],
      ["/api/v3/ticker/24hr?symbols=BTCUSDT", 400, -1102],
      ["/api/v3/ticker/24hr?symbol=BTCUSDT&type=TINY", 400, -1130],
      ["/api/v3/ticker/price?symbol=btcusdt", 400, -1121],
      ["/api/v3/ticker/bookTicker?symbol=NOPEUSDT", 400, -1121],
      ["/api/v3/avgPrice?symbol=NOPEUSDT", 400, -1121],
    ];
    for (const [path, status, code] of cases) {
      const answer = await get(path);
      expect({ path, status: answer.status, code: (answer.body as { code: number }).code }).toEqual({ path, status, code });
    }
    expect((await get("/api/v3/trades?symbol=BTCUSDT&limit=1000")).body).toEqual(before);
  });
});

describe("GET /api/v3/aggTrades", () => {
  type Agg = { a: number; p: string; q: string; f: number; l: number; T: number; m: boolean; M: boolean };
  type Trade = { id: number; price: string; qty: string; time: number; isBuyerMaker: boolean };

  it("aggregates the recorded trades of one taker at one price, with Binance's fields and selection", async () => {
    // One more taker buy across two asks at one price (trades 3 and 4: one aggregate), then a taker
    // sell into the resting bid (trade 5).
    const limit = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC };
    await orders.placeOrder({ ...limit, accountId: "alice", side: Side.SELL, quantity: "0.05", price: "30150" });
    await orders.placeOrder({ ...limit, accountId: "alice", side: Side.SELL, quantity: "0.07", price: "30150" });
    await orders.placeOrder({ ...limit, accountId: "bob", side: Side.BUY, quantity: "0.42", price: "30150" }); // 0.3 @ 30100.5, 0.12 @ 30150
    await orders.placeOrder({ ...limit, accountId: "alice", side: Side.SELL, quantity: "0.01", price: "29000" });
    const deadline = Date.now() + 10_000;
    while (((await get("/api/v3/aggTrades?symbol=BTCUSDT")).body as unknown[]).length < 5 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    const trades = (await get("/api/v3/trades?symbol=BTCUSDT")).body as Trade[];
    expect(trades.map((t) => [t.id, t.price, t.qty, t.isBuyerMaker])).toEqual([
      [1, "30000.00000000", "0.10000000", false],
      [2, "30100.50000000", "0.20000000", false],
      [3, "30100.50000000", "0.30000000", false],
      [4, "30150.00000000", "0.05000000", false],
      [5, "30150.00000000", "0.07000000", false],
      [6, "29000.00000000", "0.01000000", true],
    ]);
    const { status, body } = await get("/api/v3/aggTrades?symbol=BTCUSDT");
    expect(status).toBe(200);
    const time = (id: number) => trades.find((t) => t.id === id)!.time;
    // Trade 2 and 3 share a price but not a taker: two aggregates.
    expect(body).toEqual([
      { a: 1, p: "30000.00000000", q: "0.10000000", f: 1, l: 1, T: time(1), m: false, M: true },
      { a: 2, p: "30100.50000000", q: "0.20000000", f: 2, l: 2, T: time(2), m: false, M: true },
      { a: 3, p: "30100.50000000", q: "0.30000000", f: 3, l: 3, T: time(3), m: false, M: true },
      { a: 4, p: "30150.00000000", q: "0.12000000", f: 4, l: 5, T: time(4), m: false, M: true },
      { a: 5, p: "29000.00000000", q: "0.01000000", f: 6, l: 6, T: time(6), m: true, M: true },
    ]);
    const aggs = body as Agg[];
    const ids = async (query: string) => ((await get(`/api/v3/aggTrades?symbol=BTCUSDT&${query}`)).body as Agg[]).map((a) => a.a);
    expect(await ids("limit=2")).toEqual([4, 5]);
    expect(await ids("fromId=2&limit=2")).toEqual([2, 3]);
    expect(await ids("fromId=0")).toEqual([1, 2, 3, 4, 5]);
    expect(await ids(`startTime=${aggs[3]!.T}&endTime=${aggs[3]!.T + 3_600_000}`)).toEqual(aggs.filter((a) => a.T >= aggs[3]!.T).map((a) => a.a));
    expect(await ids(`startTime=${aggs[0]!.T}&limit=1`)).toEqual([1]);
    expect(await ids(`endTime=${aggs[0]!.T - 1}`)).toEqual([]);
    expect(await weightOf("/api/v3/aggTrades?symbol=BTCUSDT")).toBe(4);

    const cases: [string, number][] = [
      ["fromId=1&startTime=1", -1128],
      ["fromId=1&endTime=1", -1128],
      ["startTime=0&endTime=3600001", -1127],
      ["startTime=2&endTime=1", -1130],
      ["limit=1001", -1130],
      ["limit=0", -1130],
      ["fromId=x", -1102],
    ];
    for (const [query, code] of cases) {
      const answer = await get(`/api/v3/aggTrades?symbol=BTCUSDT&${query}`);
      expect({ query, status: answer.status, code: (answer.body as { code: number }).code }).toEqual({ query, status: 400, code });
    }
    expect((await get("/api/v3/aggTrades?symbol=NOPEUSDT")).body).toMatchObject({ code: -1121 });
    expect((await get("/api/v3/aggTrades")).body).toMatchObject({ code: -1102 });
    expect(await ids("startTime=0&endTime=3600000")).toEqual([]);
  });
});
