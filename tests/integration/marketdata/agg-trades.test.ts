import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError } from "@connectrpc/connect";
import { Side } from "#gen/exchange/common/v1/common_pb.js";
import type { AggTrade } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { SqlMarketDataStore, marketDataMigrations, type MarketDataTables } from "../../../services/marketdata/src/adapters/market-data-store.sql.js";
import { freshPgSchema } from "../../support/postgres.js";
import { Matching, Projection } from "./support.js";

// Aggregate trades (Binance's aggTrades) projected from a real matching engine: a taker's
// consecutive trades at one price are one aggregate, ids are consecutive and never change (a
// restart continues them, a rebuild from matching's stream gives the same ones), the live stream
// sends each aggregate once, complete. BTCUSDT: tick 0.01, step 0.00001, both assets at scale 8.

const T0 = Date.parse("2024-03-11T10:00:00Z");
const MIN = 60_000;
const row = (a: AggTrade) => [Number(a.id), a.price, a.qty, Number(a.firstTradeId), Number(a.lastTradeId), Number(a.time), a.isBuyerMaker];
const reasonOf = async (promise: Promise<unknown>) => {
  const error = ConnectError.from(await promise.then(() => undefined, (e: unknown) => e));
  return { code: error.code, reason: error.findDetails(ErrorInfoSchema)[0]?.reason };
};

const engines: { name: string; open: () => Promise<{ url: string; drop(): Promise<void> }> }[] = [
  {
    name: "sqlite",
    open: async () => {
      const dir = mkdtempSync(join(tmpdir(), "marketdata-agg-"));
      return { url: `sqlite:${join(dir, "marketdata.sqlite")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  { name: "postgres", open: () => freshPgSchema("marketdata_agg") },
];

/** What the flow below must project, whatever the process history. */
const EXPECTED = [
  // One taker buy walking three makers: 100.00 x2 (trades 1-2) then 100.50 (trade 3).
  [1, "100.00000000", "0.30000000", 1, 2, T0, false],
  [2, "100.50000000", "0.05000000", 3, 3, T0, false],
  // Another taker at the same price right after: its own aggregate.
  [3, "100.50000000", "0.10000000", 4, 4, T0 + MIN, false],
  // A taker sell across two bids at 99.00.
  [4, "99.00000000", "0.40000000", 5, 6, T0 + 2 * MIN, true],
];

describe.each(engines)("aggregate trades on $name", ({ open }) => {
  let dir: string;
  let matching: Matching;
  let store: { url: string; drop(): Promise<void> };
  let database: Database<MarketDataTables>;
  let projection: Projection;
  const clock = new ManualClock(T0 + 10 * MIN);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "marketdata-agg-matching-"));
    matching = await Matching.start(dir);
    store = await open();
    database = openDatabase<MarketDataTables>(store.url);
    await migrate(database.db as never, "marketdata", marketDataMigrations);
    projection = new Projection(database.db, matching, clock);
    projection.follow("BTCUSDT");
  });

  afterAll(async () => {
    await projection?.stop();
    await database?.close();
    await store?.drop();
    await matching?.module.stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("aggregates a taker's consecutive trades at one price and streams each aggregate once, complete", async () => {
    const stream = new AbortController();
    const heard: AggTrade[] = [];
    const listening = (async () => {
      for await (const { aggTrade } of projection.client.streamAggTrades({ symbol: "BTCUSDT" }, { signal: stream.signal })) heard.push(aggTrade!);
    })().catch(() => undefined);
    while (projection.marketData.subscribers("BTCUSDT").aggTrades === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    await matching.place("BTCUSDT", T0, "m1", Side.SELL, 10_000n, 10_000n);
    await matching.place("BTCUSDT", T0, "m2", Side.SELL, 10_000n, 20_000n);
    await matching.place("BTCUSDT", T0, "m3", Side.SELL, 10_050n, 15_000n);
    await matching.place("BTCUSDT", T0, "t1", Side.BUY, 10_050n, 35_000n);
    await matching.place("BTCUSDT", T0 + MIN, "t2", Side.BUY, 10_050n, 10_000n);
    await matching.place("BTCUSDT", T0 + 2 * MIN, "b1", Side.BUY, 9_900n, 15_000n);
    await matching.place("BTCUSDT", T0 + 2 * MIN, "b2", Side.BUY, 9_900n, 25_000n);
    const last = await matching.place("BTCUSDT", T0 + 2 * MIN, "t3", Side.SELL, 9_900n, 40_000n);
    await projection.caughtUp("BTCUSDT", last);

    const { aggTrades } = await projection.client.listAggTrades({ symbol: "BTCUSDT" });
    expect(aggTrades.map(row)).toEqual(EXPECTED);
    // Every public trade is in exactly one aggregate, with the same quantities.
    const { trades } = await projection.client.listTrades({ symbol: "BTCUSDT" });
    expect(trades.map((t) => Number(t.id))).toEqual([1, 2, 3, 4, 5, 6]);

    const deadline = Date.now() + 5_000;
    while (heard.length < EXPECTED.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    stream.abort();
    await listening;
    expect(heard.map(row)).toEqual(EXPECTED);
    expect(heard.every((a) => a.symbol === "BTCUSDT")).toBe(true);
  });

  it("selects by id, by time (inclusive, at most an hour) or the latest, as Binance", async () => {
    const ids = async (request: { fromId?: bigint; startTime?: bigint; endTime?: bigint; limit?: number }) =>
      (await projection.client.listAggTrades({ symbol: "BTCUSDT", ...request })).aggTrades.map((a) => Number(a.id));
    expect(await ids({ limit: 2 })).toEqual([3, 4]);
    expect(await ids({ fromId: 2n, limit: 2 })).toEqual([2, 3]);
    expect(await ids({ fromId: 0n })).toEqual([1, 2, 3, 4]);
    expect(await ids({ fromId: 9n })).toEqual([]);
    expect(await ids({ startTime: BigInt(T0 + MIN), endTime: BigInt(T0 + 2 * MIN) })).toEqual([3, 4]);
    expect(await ids({ startTime: BigInt(T0), endTime: BigInt(T0 + MIN - 1) })).toEqual([1, 2]);
    expect(await ids({ startTime: BigInt(T0 + 1), limit: 1 })).toEqual([3]);
    expect(await ids({ endTime: BigInt(T0) })).toEqual([1, 2]);
    // endTime alone looks back one hour; startTime alone forward one hour.
    expect(await ids({ endTime: BigInt(T0 + 62 * MIN) })).toEqual([4]);
    expect(await ids({ startTime: BigInt(T0 - 60 * MIN) })).toEqual([1, 2]);
    expect(await ids({ startTime: BigInt(T0), endTime: BigInt(T0 + 60 * MIN) })).toEqual([1, 2, 3, 4]);

    expect(await reasonOf(ids({ startTime: BigInt(T0), endTime: BigInt(T0 + 60 * MIN + 1) }))).toEqual({ code: Code.InvalidArgument, reason: "-1127" });
    expect(await reasonOf(ids({ fromId: 1n, startTime: BigInt(T0) }))).toEqual({ code: Code.InvalidArgument, reason: "-1128" });
    expect(await reasonOf(ids({ fromId: 1n, endTime: BigInt(T0) }))).toEqual({ code: Code.InvalidArgument, reason: "-1128" });
    expect(await reasonOf(ids({ startTime: BigInt(T0 + 1), endTime: BigInt(T0) }))).toEqual({ code: Code.InvalidArgument, reason: "-1130" });
    expect(await reasonOf(projection.client.listAggTrades({ symbol: "NOPEUSDT" }))).toEqual({ code: Code.InvalidArgument, reason: "-1121" });
  });

  it("keeps every id across a restart and numbers the next aggregates after them; a rebuild gives the same ids", async () => {
    await projection.stop();
    // Trades while the projection is down.
    await matching.place("BTCUSDT", T0 + 3 * MIN, "m4", Side.SELL, 10_100n, 10_000n);
    await matching.place("BTCUSDT", T0 + 3 * MIN, "m5", Side.SELL, 10_100n, 10_000n);
    const down = await matching.place("BTCUSDT", T0 + 3 * MIN, "t4", Side.BUY, 10_100n, 20_000n);

    projection = new Projection(database.db, matching, clock);
    projection.follow("BTCUSDT");
    await projection.caughtUp("BTCUSDT", down);
    await matching.place("BTCUSDT", T0 + 4 * MIN, "m6", Side.SELL, 10_200n, 10_000n);
    const after = await matching.place("BTCUSDT", T0 + 4 * MIN, "t5", Side.BUY, 10_200n, 10_000n);
    await projection.caughtUp("BTCUSDT", after);
    const all = [
      ...EXPECTED,
      [5, "101.00000000", "0.20000000", 7, 8, T0 + 3 * MIN, false],
      [6, "102.00000000", "0.10000000", 9, 9, T0 + 4 * MIN, false],
    ];
    expect((await projection.client.listAggTrades({ symbol: "BTCUSDT" })).aggTrades.map(row)).toEqual(all);

    // Rebuilt from matching's stream (sequence 0, as docs/marketdata.md's rebuild): the same ids.
    await projection.stop();
    for (const table of ["marketdata_trades", "marketdata_klines", "marketdata_agg_trades", "marketdata_consumers"] as const) await database.db.deleteFrom(table).execute();
    projection = new Projection(database.db, matching, clock);
    projection.follow("BTCUSDT");
    await projection.caughtUp("BTCUSDT", after);
    expect((await projection.client.listAggTrades({ symbol: "BTCUSDT" })).aggTrades.map(row)).toEqual(all);
  });
});

describe("aggregate trades of a database projected before them", () => {
  it("are one per stored trade, numbered per symbol in trade id order, and new batches continue after them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "marketdata-agg-upgrade-"));
    const database = openDatabase<MarketDataTables>(`sqlite:${join(dir, "marketdata.sqlite")}`);
    try {
      await migrate(database.db as never, "marketdata", { "001_projection": marketDataMigrations["001_projection"] });
      const trade = (symbol: string, id: number, price: string, time: number, maker: number) => ({ symbol, trade_id: id, price, qty: "1000", quote_qty: "1", time, is_buyer_maker: maker });
      await database.db
        .insertInto("marketdata_trades")
        .values([trade("BTCUSDT", 1, "3000000000000", T0, 0), trade("BTCUSDT", 2, "3000000000000", T0, 0), trade("ETHUSDT", 1, "200000000000", T0 + 1, 1), trade("BTCUSDT", 3, "3000100000000", T0 + 2, 1)])
        .execute();
      await migrate(database.db as never, "marketdata", marketDataMigrations);
      const rows = await database.db.selectFrom("marketdata_agg_trades").selectAll().orderBy("symbol").orderBy("agg_id").execute();
      expect(rows.map((r) => [r.symbol, Number(r.agg_id), r.price, r.qty, Number(r.first_trade_id), Number(r.last_trade_id), Number(r.time), Number(r.is_buyer_maker)])).toEqual([
        ["BTCUSDT", 1, "3000000000000", "1000", 1, 1, T0, 0],
        ["BTCUSDT", 2, "3000000000000", "1000", 2, 2, T0, 0],
        ["BTCUSDT", 3, "3000100000000", "1000", 3, 3, T0 + 2, 1],
        ["ETHUSDT", 1, "200000000000", "1000", 1, 1, T0 + 1, 1],
      ]);
      const store = new SqlMarketDataStore(database.db);
      const agg = { price: 1n, qty: 2n, firstTradeId: 4, lastTradeId: 5, time: T0 + 3, isBuyerMaker: false };
      expect(await store.applyBatch("BTCUSDT", 10, [], [], [agg])).toBe(true);
      expect((await store.latestAggTrades("BTCUSDT", 1)).map((a) => a.aggId)).toEqual([4]);
    } finally {
      await database.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
