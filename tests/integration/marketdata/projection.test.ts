import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { sql } from "kysely";
import { Side } from "#gen/exchange/common/v1/common_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { SqlMarketDataStore, marketDataMigrations, type MarketDataTables } from "../../../services/marketdata/src/adapters/market-data-store.sql.js";
import { freshPgSchema } from "../../support/postgres.js";
import { Matching, orderSymbols, Projection } from "./support.js";

// The projection end to end on each engine: a real matching engine (commands stamped with the
// times the test chooses), marketdata following its event stream into the SQL store, and the
// RPCs read back. BTCUSDT: tick 0.01, step 0.00001, both assets at scale 8.

const at = (iso: string) => Date.parse(iso);
const ticks = (price: string) => BigInt(price.replace(".", "")) * (price.includes(".") ? 10n ** BigInt(2 - price.split(".")[1].length) : 100n);
const lots = (qty: string) => BigInt(Math.round(Number(qty) * 100_000)); // test literals only (0.05 .. 0.3)
const reasonOf = async (promise: Promise<unknown>) => {
  const error = ConnectError.from(await promise.then(() => undefined, (e: unknown) => e));
  return { code: error.code, reason: error.findDetails(ErrorInfoSchema)[0]?.reason };
};

const engines: { name: string; open: () => Promise<{ url: string; drop(): Promise<void> }> }[] = [
  {
    name: "sqlite",
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), "marketdata-"));
      return { url: `sqlite:${join(dir, "marketdata.sqlite")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  { name: "postgres", open: () => freshPgSchema("marketdata") },
];

describe.each(engines)("marketdata projection on $name", ({ open }) => {
  let matchingDir: string;
  let matching: Matching;
  let store: { url: string; drop(): Promise<void> };
  let database: Database<MarketDataTables>;
  let projection: Projection;
  const clock = new ManualClock(at("2024-03-11T00:01:00Z"));

  beforeAll(async () => {
    matchingDir = mkdtempSync(join(tmpdir(), "marketdata-matching-"));
    matching = await Matching.start(matchingDir);
    store = await open();
    database = openDatabase<MarketDataTables>(store.url);
    await migrate(database.db as never, "marketdata", marketDataMigrations);
    await migrate(database.db as never, "marketdata", marketDataMigrations); // idempotent
    projection = new Projection(database.db, matching, clock);
    projection.follow("BTCUSDT");
    // Sunday 23:59 (week of Mar 4) and Monday 00:00 (week of Mar 11), all in March.
    await matching.trade("BTCUSDT", at("2024-03-10T23:59:30Z"), ticks("30000"), lots("0.1"), Side.BUY);
    await matching.rest("BTCUSDT", at("2024-03-10T23:59:40Z"), Side.BUY, ticks("100"), lots("0.1")); // a batch without trades
    await matching.trade("BTCUSDT", at("2024-03-10T23:59:50Z"), ticks("30100"), lots("0.2"), Side.SELL);
    await matching.trade("BTCUSDT", at("2024-03-11T00:00:10Z"), ticks("29900"), lots("0.3"), Side.BUY);
    const last = await matching.trade("BTCUSDT", at("2024-03-11T00:00:40Z"), ticks("30050.5"), lots("0.05"), Side.BUY);
    await projection.caughtUp("BTCUSDT", last);
  });

  afterAll(async () => {
    await projection?.stop();
    await database?.close();
    await store?.drop();
    await matching?.module.stop?.();
    rmSync(matchingDir, { recursive: true, force: true });
  });

  it("lists public trades with exact decimals, latest N or from an id, oldest first", async () => {
    const { trades } = await projection.client.listTrades({ symbol: "BTCUSDT" });
    expect(trades.map((t) => [Number(t.id), t.price, t.qty, t.quoteQty, t.isBuyerMaker, Number(t.time)])).toEqual([
      [1, "30000.00000000", "0.10000000", "3000.00000000", false, at("2024-03-10T23:59:30Z")],
      [2, "30100.00000000", "0.20000000", "6020.00000000", true, at("2024-03-10T23:59:50Z")],
      [3, "29900.00000000", "0.30000000", "8970.00000000", false, at("2024-03-11T00:00:10Z")],
      [4, "30050.50000000", "0.05000000", "1502.52500000", false, at("2024-03-11T00:00:40Z")],
    ]);
    expect((await projection.client.listTrades({ symbol: "BTCUSDT", limit: 2 })).trades.map((t) => Number(t.id))).toEqual([3, 4]);
    expect((await projection.client.listTrades({ symbol: "BTCUSDT", fromId: 2n, limit: 2 })).trades.map((t) => Number(t.id))).toEqual([2, 3]);
    expect((await projection.client.listTrades({ symbol: "ETHUSDT" })).trades).toEqual([]);
  });

  it("aggregates klines per bucket across minute, day, week and month boundaries", async () => {
    const minutes = (await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1m" })).klines;
    expect(minutes.map((k) => ({ ...k, $typeName: undefined }))).toEqual([
      {
        $typeName: undefined,
        openTime: BigInt(at("2024-03-10T23:59:00Z")),
        closeTime: BigInt(at("2024-03-10T23:59:59.999Z")),
        open: "30000.00000000",
        high: "30100.00000000",
        low: "30000.00000000",
        close: "30100.00000000",
        volume: "0.30000000",
        quoteVolume: "9020.00000000",
        tradeCount: 2n,
        takerBuyBaseVolume: "0.10000000",
        takerBuyQuoteVolume: "3000.00000000",
        firstTradeId: 1n,
        lastTradeId: 2n,
      },
      {
        $typeName: undefined,
        openTime: BigInt(at("2024-03-11T00:00:00Z")),
        closeTime: BigInt(at("2024-03-11T00:00:59.999Z")),
        open: "29900.00000000",
        high: "30050.50000000",
        low: "29900.00000000",
        close: "30050.50000000",
        volume: "0.35000000",
        quoteVolume: "10472.52500000",
        tradeCount: 2n,
        takerBuyBaseVolume: "0.35000000",
        takerBuyQuoteVolume: "10472.52500000",
        firstTradeId: 3n,
        lastTradeId: 4n,
      },
    ]);
    const weeks = (await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1w" })).klines;
    expect(weeks.map((k) => [Number(k.openTime), Number(k.closeTime), k.open, k.close, k.volume, Number(k.tradeCount)])).toEqual([
      [at("2024-03-04T00:00:00Z"), at("2024-03-10T23:59:59.999Z"), "30000.00000000", "30100.00000000", "0.30000000", 2],
      [at("2024-03-11T00:00:00Z"), at("2024-03-17T23:59:59.999Z"), "29900.00000000", "30050.50000000", "0.35000000", 2],
    ]);
    const months = (await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1M" })).klines;
    expect(months.map((k) => [Number(k.openTime), Number(k.closeTime), k.open, k.high, k.low, k.close, k.volume, k.quoteVolume, Number(k.tradeCount)])).toEqual([
      [at("2024-03-01T00:00:00Z"), at("2024-03-31T23:59:59.999Z"), "30000.00000000", "30100.00000000", "29900.00000000", "30050.50000000", "0.65000000", "19492.52500000", 4],
    ]);
    const days = (await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1d" })).klines;
    expect(days.map((k) => Number(k.openTime))).toEqual([at("2024-03-10T00:00:00Z"), at("2024-03-11T00:00:00Z")]);
    const seconds = (await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1s" })).klines;
    expect(seconds).toHaveLength(4);
    // start/end select by open time; limit keeps the first ones from a start, the latest ones otherwise
    expect((await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1s", startTime: BigInt(at("2024-03-10T23:59:50Z")), limit: 2 })).klines.map((k) => Number(k.openTime))).toEqual([
      at("2024-03-10T23:59:50Z"),
      at("2024-03-11T00:00:10Z"),
    ]);
    expect((await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1s", endTime: BigInt(at("2024-03-11T00:00:10Z")), limit: 2 })).klines.map((k) => Number(k.openTime))).toEqual([
      at("2024-03-10T23:59:50Z"),
      at("2024-03-11T00:00:10Z"),
    ]);
    expect((await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1s", limit: 1 })).klines.map((k) => Number(k.openTime))).toEqual([at("2024-03-11T00:00:40Z")]);
  });

  it("computes the 24 h ticker from the window's trades and minute klines", async () => {
    clock.set(at("2024-03-11T00:01:00Z"));
    const whole = (await projection.client.getTicker24h({ symbol: "BTCUSDT" })).ticker!;
    expect({ ...whole, $typeName: undefined }).toEqual({
      $typeName: undefined,
      symbol: "BTCUSDT",
      openPrice: "30000.00000000",
      highPrice: "30100.00000000",
      lowPrice: "29900.00000000",
      lastPrice: "30050.50000000",
      lastQty: "0.05000000",
      priceChange: "50.50000000",
      priceChangePercent: "0.168", // 50.5 / 30000 = 0.168333 %
      weightedAvgPrice: "29988.50000000", // 19492.525 / 0.65
      volume: "0.65000000",
      quoteVolume: "19492.52500000",
      openTime: BigInt(at("2024-03-10T00:01:00Z")),
      closeTime: BigInt(at("2024-03-11T00:01:00Z")),
      count: 4n,
      firstId: 1n,
      lastId: 4n,
      prevClosePrice: "",
    });
    // A window from Mar 10 23:59:45 to Mar 11 23:59:45: trade 1 (23:59:30) fell out, trade 2 (23:59:50)
    // is read from the partial first minute, trades 3 and 4 from the 00:00 minute kline.
    clock.set(at("2024-03-11T23:59:45Z"));
    const rolled = (await projection.client.getTicker24h({ symbol: "BTCUSDT" })).ticker!;
    expect(rolled).toMatchObject({
      openPrice: "30100.00000000",
      highPrice: "30100.00000000",
      lowPrice: "29900.00000000",
      lastPrice: "30050.50000000",
      priceChange: "-49.50000000",
      priceChangePercent: "-0.164", // -49.5 / 30100 = -0.16445 %
      weightedAvgPrice: "29986.40909091", // 16492.525 / 0.55 = 29986.409090909...
      volume: "0.55000000",
      quoteVolume: "16492.52500000",
      count: 3n,
      firstId: 2n,
      lastId: 4n,
      prevClosePrice: "30000.00000000",
    });
    clock.set(at("2024-03-13T00:00:00Z"));
    expect((await projection.client.getTicker24h({ symbol: "BTCUSDT" })).ticker).toMatchObject({
      openPrice: "30050.50000000",
      lastPrice: "30050.50000000",
      priceChange: "0.00000000",
      priceChangePercent: "0.000",
      volume: "0.00000000",
      count: 0n,
      firstId: 0n,
      prevClosePrice: "30050.50000000",
    });
  });

  it("computes a rolling ticker over any window from 1 minute to 7 days (windowSize)", async () => {
    clock.set(at("2024-03-11T00:01:00Z"));
    // 1 minute: trades 3 (0.3 @ 29900) and 4 (0.05 @ 30050.5); trade 2 is the close before it.
    expect((await projection.client.getTicker24h({ symbol: "BTCUSDT", windowMs: 60_000n })).ticker).toMatchObject({
      openPrice: "29900.00000000",
      highPrice: "30050.50000000",
      lowPrice: "29900.00000000",
      lastPrice: "30050.50000000",
      priceChange: "150.50000000",
      priceChangePercent: "0.503", // 150.5 / 29900 = 0.50334 %
      weightedAvgPrice: "29921.50000000", // 10472.525 / 0.35
      volume: "0.35000000",
      quoteVolume: "10472.52500000",
      openTime: BigInt(at("2024-03-11T00:00:00Z")),
      closeTime: BigInt(at("2024-03-11T00:01:00Z")),
      count: 2n,
      firstId: 3n,
      lastId: 4n,
      prevClosePrice: "30100.00000000",
    });
    // 2 minutes reach back past trade 1: the whole history, as the 24 h window.
    expect((await projection.client.getTicker24h({ symbol: "BTCUSDT", windowMs: 120_000n })).ticker).toMatchObject({ count: 4n, firstId: 1n, volume: "0.65000000", prevClosePrice: "" });
    expect(await reasonOf(projection.client.getTicker24h({ symbol: "BTCUSDT", windowMs: 59_999n }))).toEqual({ code: Code.InvalidArgument, reason: "-1130" });
    expect((await reasonOf(projection.client.getTicker24h({ symbol: "BTCUSDT", windowMs: 7n * 86_400_000n + 1n }))).code).toBe(Code.InvalidArgument);
  });

  it("averages by volume the trades of every minute that overlaps the last avgPriceMins (5) minutes, else gives the last price", async () => {
    clock.set(at("2024-03-11T00:01:00Z")); // from 23:56: all four trades
    expect(await projection.client.getAvgPrice({ symbol: "BTCUSDT" })).toMatchObject({ mins: 5, price: "29988.50000000", closeTime: BigInt(at("2024-03-11T00:00:40Z")) });
    clock.set(at("2024-03-11T00:05:59.999Z")); // from 00:00: trades 3 and 4, 10472.525 / 0.35
    expect(await projection.client.getAvgPrice({ symbol: "BTCUSDT" })).toMatchObject({ price: "29921.50000000" });
    // No trade since 00:01: the last trade's price, and its time.
    for (const now of ["2024-03-11T00:06:00Z", "2024-03-11T01:00:00Z"]) {
      clock.set(at(now));
      expect(await projection.client.getAvgPrice({ symbol: "BTCUSDT" })).toMatchObject({ mins: 5, price: "30050.50000000", closeTime: BigInt(at("2024-03-11T00:00:40Z")) });
    }
    // A symbol with no trade has no average.
    expect(await projection.client.getAvgPrice({ symbol: "ETHUSDT" })).toMatchObject({ price: "", closeTime: 0n });
  });

  it("takes each symbol's avgPriceMins from the registry, changes included (0: the last price)", async () => {
    try {
      clock.set(at("2024-03-11T00:01:00Z"));
      orderSymbols.avgPriceMins.set("BTCUSDT", 1); // from 00:00: trades 3 and 4
      await projection.marketData.loadSymbols();
      expect(await projection.client.getAvgPrice({ symbol: "BTCUSDT" })).toMatchObject({ mins: 1, price: "29921.50000000" });
      orderSymbols.avgPriceMins.set("BTCUSDT", 0);
      await projection.marketData.loadSymbols();
      expect(await projection.client.getAvgPrice({ symbol: "BTCUSDT" })).toMatchObject({ mins: 0, price: "30050.50000000", closeTime: BigInt(at("2024-03-11T00:00:40Z")) });
    } finally {
      orderSymbols.avgPriceMins.clear();
      await projection.marketData.loadSymbols();
    }
  });


  it("reads depth and the best prices from matching's book", async () => {
    const depth = await projection.client.getDepth({ symbol: "BTCUSDT", limit: 5 });
    expect(depth.bids).toEqual([expect.objectContaining({ price: "100.00000000", quantity: "0.10000000" })]);
    expect(depth.asks).toEqual([]);
    expect(Number(depth.lastUpdateId)).toBe(matching.batches.length);
    expect(await projection.client.getBookTicker({ symbol: "BTCUSDT" })).toMatchObject({ symbol: "BTCUSDT", bidPrice: "100.00000000", bidQty: "0.10000000", askPrice: "", askQty: "" });
  });

  it("refuses unknown symbols and intervals with the table's errors", async () => {
    for (const call of [
      () => projection.client.listTrades({ symbol: "NOPEUSDT" }),
      () => projection.client.listKlines({ symbol: "NOPEUSDT", interval: "1m" }),
      () => projection.client.getTicker24h({ symbol: "NOPEUSDT" }),
      () => projection.client.getBookTicker({ symbol: "NOPEUSDT" }),
      () => projection.client.getDepth({ symbol: "NOPEUSDT" }),
      () => projection.client.getAvgPrice({ symbol: "NOPEUSDT" }),
    ]) {
      expect(await reasonOf(call())).toEqual({ code: Code.InvalidArgument, reason: "-1121" });
    }
    await expect(projection.marketData.listKlines("BTCUSDT", "2m", 0, 0, 0)).rejects.toMatchObject({ key: "BAD_INTERVAL", spec: { binance: -1120 } });
    expect((await reasonOf(projection.client.listKlines({ symbol: "BTCUSDT", interval: "2m" }))).code).toBe(Code.InvalidArgument);
    expect((await reasonOf(projection.client.listTrades({ symbol: "BTCUSDT", limit: 1001 }))).code).toBe(Code.InvalidArgument);
  });

  it("changes nothing when a batch is applied again, in this process or another", async () => {
    const before = await snapshot(projection);
    for (const batch of matching.batches) await projection.marketData.apply("BTCUSDT", batch);
    const other = new Projection(database.db, matching, clock);
    for (const batch of matching.batches) await other.marketData.apply("BTCUSDT", batch);
    // and straight at the store, below the use case's own check
    const direct = new SqlMarketDataStore(database.db);
    expect(await direct.applyBatch("BTCUSDT", matching.batches.length, [], [])).toBe(false);
    expect(await snapshot(projection)).toEqual(before);
  });

  it("resumes from the stored sequence after a restart", async () => {
    await projection.stop();
    const stored = await new SqlMarketDataStore(database.db).lastSequence("BTCUSDT");
    expect(stored).toBe(matching.batches.length);
    const next = await matching.trade("BTCUSDT", at("2024-03-11T00:00:50Z"), ticks("30000"), lots("0.1"), Side.SELL);
    projection = new Projection(database.db, matching, clock);
    projection.follow("BTCUSDT");
    await projection.caughtUp("BTCUSDT", next);
    const { trades } = await projection.client.listTrades({ symbol: "BTCUSDT" });
    expect(trades.map((t) => Number(t.id))).toEqual([1, 2, 3, 4, 5]);
    const minute = (await projection.client.listKlines({ symbol: "BTCUSDT", interval: "1m", limit: 1 })).klines[0];
    expect(minute).toMatchObject({ open: "29900.00000000", close: "30000.00000000", volume: "0.45000000", quoteVolume: "13472.52500000", tradeCount: 3n, takerBuyBaseVolume: "0.35000000" });
  });

  it("rebuilds the same projection from sequence 0 after its tables are dropped", async () => {
    const before = await snapshot(projection);
    await projection.stop();
    for (const table of ["marketdata_trades", "marketdata_klines", "marketdata_consumers"]) await database.db.schema.dropTable(table).execute();
    await sql`delete from migrations_marketdata`.execute(database.db);
    await migrate(database.db as never, "marketdata", marketDataMigrations);
    projection = new Projection(database.db, matching, clock);
    projection.follow("BTCUSDT");
    await projection.caughtUp("BTCUSDT", matching.batches.at(-1)!);
    expect(await snapshot(projection)).toEqual(before);
  });

  it("streams trades as the projection applies them", async () => {
    const abort = new AbortController();
    const received: string[] = [];
    const reading = (async () => {
      for await (const { trade } of projection.client.streamTrades({ symbol: "BTCUSDT" }, { signal: abort.signal })) {
        received.push(`${trade!.id}:${trade!.price}:${trade!.qty}`);
        if (received.length === 2) break;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50)); // subscribed
    await matching.trade("BTCUSDT", at("2024-03-11T00:00:55Z"), ticks("30001"), lots("0.2"), Side.BUY);
    await matching.trade("BTCUSDT", at("2024-03-11T00:00:56Z"), ticks("30002.01"), lots("0.01"), Side.SELL);
    await reading;
    abort.abort();
    expect(received).toEqual(["6:30001.00000000:0.20000000", "7:30002.01000000:0.01000000"]);
  });
});

async function snapshot(projection: Projection) {
  const client = projection.client;
  const klines = [];
  for (const interval of ["1s", "1m", "1h", "1d", "1w", "1M"]) klines.push((await client.listKlines({ symbol: "BTCUSDT", interval })).klines);
  return { trades: (await client.listTrades({ symbol: "BTCUSDT" })).trades, klines };
}
