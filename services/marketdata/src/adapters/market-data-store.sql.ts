import type { Kysely, Migration } from "kysely";
import type { Interval } from "../domain/intervals.js";
import { mergeKlines, type AggTrade, type AggTradeDraft, type Kline, type PublicTrade } from "../domain/market.js";
import type { KlineQuery, MarketDataStore } from "../ports/market-data-store.port.js";

// One implementation for SQLite and PostgreSQL through Kysely (as order's stores). Integer
// units are TEXT so 18-decimal assets' volumes beyond 2^63 survive both engines; the
// arithmetic happens in bigint here, never in SQL. Ids and times are BIGINT.

interface TradesTable {
  symbol: string;
  trade_id: number | string;
  price: string;
  qty: string;
  quote_qty: string;
  time: number | string;
  is_buyer_maker: number;
}

interface KlinesTable {
  symbol: string;
  interval: string;
  open_time: number | string;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
  quote_volume: string;
  trade_count: number | string;
  taker_buy_volume: string;
  taker_buy_quote_volume: string;
  first_trade_id: number | string;
  last_trade_id: number | string;
}

interface AggTradesTable {
  symbol: string;
  agg_id: number | string;
  price: string;
  qty: string;
  first_trade_id: number | string;
  last_trade_id: number | string;
  time: number | string;
  is_buyer_maker: number;
}

export interface MarketDataTables {
  marketdata_trades: TradesTable;
  marketdata_agg_trades: AggTradesTable;
  marketdata_klines: KlinesTable;
  marketdata_consumers: { symbol: string; last_sequence: number | string };
}

export const marketDataMigrations: Record<string, Migration> = {
  "001_projection": {
    up: async (db: Kysely<unknown>) => {
      // The primary key (symbol, trade_id) serves "latest N" (backwards) and "from id" (forwards).
      await db.schema
        .createTable("marketdata_trades")
        .ifNotExists()
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("trade_id", "bigint", (c) => c.notNull())
        .addColumn("price", "text", (c) => c.notNull())
        .addColumn("qty", "text", (c) => c.notNull())
        .addColumn("quote_qty", "text", (c) => c.notNull())
        .addColumn("time", "bigint", (c) => c.notNull())
        .addColumn("is_buyer_maker", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("marketdata_trades_pk", ["symbol", "trade_id"])
        .execute();
      // Rolling windows: the trades of a time range (tickers' first partial minute, prevClose).
      await db.schema.createIndex("marketdata_trades_time").ifNotExists().on("marketdata_trades").columns(["symbol", "time"]).execute();
      // The primary key (symbol, interval, open_time) serves klines by range and the latest N.
      await db.schema
        .createTable("marketdata_klines")
        .ifNotExists()
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("interval", "text", (c) => c.notNull())
        .addColumn("open_time", "bigint", (c) => c.notNull())
        .addColumn("open", "text", (c) => c.notNull())
        .addColumn("high", "text", (c) => c.notNull())
        .addColumn("low", "text", (c) => c.notNull())
        .addColumn("close", "text", (c) => c.notNull())
        .addColumn("volume", "text", (c) => c.notNull())
        .addColumn("quote_volume", "text", (c) => c.notNull())
        .addColumn("trade_count", "bigint", (c) => c.notNull())
        .addColumn("taker_buy_volume", "text", (c) => c.notNull())
        .addColumn("taker_buy_quote_volume", "text", (c) => c.notNull())
        .addColumn("first_trade_id", "bigint", (c) => c.notNull())
        .addColumn("last_trade_id", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("marketdata_klines_pk", ["symbol", "interval", "open_time"])
        .execute();
      await db.schema
        .createTable("marketdata_consumers")
        .ifNotExists()
        .addColumn("symbol", "text", (c) => c.primaryKey())
        .addColumn("last_sequence", "bigint", (c) => c.notNull())
        .execute();
    },
  },
  "002_agg_trades": {
    up: async (db: Kysely<unknown>) => {
      // The primary key (symbol, agg_id) serves "latest N" and "from id"; the indexes serve time
      // ranges and the live stream (a batch's aggregates by their first trade id).
      await db.schema
        .createTable("marketdata_agg_trades")
        .ifNotExists()
        .addColumn("symbol", "text", (c) => c.notNull())
        .addColumn("agg_id", "bigint", (c) => c.notNull())
        .addColumn("price", "text", (c) => c.notNull())
        .addColumn("qty", "text", (c) => c.notNull())
        .addColumn("first_trade_id", "bigint", (c) => c.notNull())
        .addColumn("last_trade_id", "bigint", (c) => c.notNull())
        .addColumn("time", "bigint", (c) => c.notNull())
        .addColumn("is_buyer_maker", "integer", (c) => c.notNull())
        .addPrimaryKeyConstraint("marketdata_agg_trades_pk", ["symbol", "agg_id"])
        .execute();
      await db.schema.createIndex("marketdata_agg_trades_time").ifNotExists().on("marketdata_agg_trades").columns(["symbol", "time"]).execute();
      await db.schema.createIndex("marketdata_agg_trades_first").ifNotExists().on("marketdata_agg_trades").columns(["symbol", "first_trade_id"]).execute();
      // Trades projected before this migration kept no taker order: each becomes its own aggregate,
      // numbered in trade id order, so aggTrades covers the whole history (rebuild the projection to
      // aggregate it exactly).
      const tx = db as Kysely<MarketDataTables>;
      let after = { symbol: "", tradeId: -1 };
      const next = new Map<string, number>();
      for (;;) {
        const rows = await tx
          .selectFrom("marketdata_trades")
          .selectAll()
          .where((eb) => eb.or([eb("symbol", ">", after.symbol), eb.and([eb("symbol", "=", after.symbol), eb("trade_id", ">", after.tradeId)])]))
          .orderBy("symbol")
          .orderBy("trade_id")
          .limit(500)
          .execute();
        if (rows.length === 0) break;
        await tx
          .insertInto("marketdata_agg_trades")
          .values(
            rows.map((row) => {
              const aggId = (next.get(row.symbol) ?? 0) + 1;
              next.set(row.symbol, aggId);
              return { symbol: row.symbol, agg_id: aggId, price: row.price, qty: row.qty, first_trade_id: row.trade_id, last_trade_id: row.trade_id, time: row.time, is_buyer_maker: row.is_buyer_maker };
            }),
          )
          .execute();
        const last = rows[rows.length - 1];
        after = { symbol: last.symbol, tradeId: Number(last.trade_id) };
      }
    },
  },
};

function toTrade(row: TradesTable): PublicTrade {
  return {
    tradeId: Number(row.trade_id),
    price: BigInt(row.price),
    qty: BigInt(row.qty),
    quoteQty: BigInt(row.quote_qty),
    time: Number(row.time),
    isBuyerMaker: Number(row.is_buyer_maker) === 1,
  };
}

function toAggTrade(row: AggTradesTable): AggTrade {
  return {
    aggId: Number(row.agg_id),
    price: BigInt(row.price),
    qty: BigInt(row.qty),
    firstTradeId: Number(row.first_trade_id),
    lastTradeId: Number(row.last_trade_id),
    time: Number(row.time),
    isBuyerMaker: Number(row.is_buyer_maker) === 1,
  };
}

function toKline(row: KlinesTable): Kline {
  return {
    interval: row.interval as Interval,
    openTime: Number(row.open_time),
    open: BigInt(row.open),
    high: BigInt(row.high),
    low: BigInt(row.low),
    close: BigInt(row.close),
    volume: BigInt(row.volume),
    quoteVolume: BigInt(row.quote_volume),
    count: Number(row.trade_count),
    takerBuyVolume: BigInt(row.taker_buy_volume),
    takerBuyQuoteVolume: BigInt(row.taker_buy_quote_volume),
    firstTradeId: Number(row.first_trade_id),
    lastTradeId: Number(row.last_trade_id),
  };
}

function klineColumns(kline: Kline) {
  return {
    open: String(kline.open),
    high: String(kline.high),
    low: String(kline.low),
    close: String(kline.close),
    volume: String(kline.volume),
    quote_volume: String(kline.quoteVolume),
    trade_count: kline.count,
    taker_buy_volume: String(kline.takerBuyVolume),
    taker_buy_quote_volume: String(kline.takerBuyQuoteVolume),
    first_trade_id: kline.firstTradeId,
    last_trade_id: kline.lastTradeId,
  };
}

export class SqlMarketDataStore implements MarketDataStore {
  constructor(private readonly db: Kysely<MarketDataTables>) {}

  async lastSequence(symbol: string): Promise<number> {
    const row = await this.db.selectFrom("marketdata_consumers").select("last_sequence").where("symbol", "=", symbol).executeTakeFirst();
    return row ? Number(row.last_sequence) : 0;
  }

  async applyBatch(symbol: string, sequence: number, trades: readonly PublicTrade[], klines: readonly Kline[], aggTrades: readonly AggTradeDraft[] = [], firstSequence = sequence): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.insertInto("marketdata_consumers").values({ symbol, last_sequence: 0 }).onConflict((c) => c.column("symbol").doNothing()).execute();
      // Claims the sequence first: on PostgreSQL the row lock makes a second replica applying
      // the same batch wait, then find the sequence taken and skip (no double-counted klines).
      const claimed = await tx
        .updateTable("marketdata_consumers")
        .set({ last_sequence: sequence })
        .where("symbol", "=", symbol)
        .where("last_sequence", "<", firstSequence)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0) return false;
      // In chunks: SQLite bounds the variables of one statement.
      for (let at = 0; at < trades.length; at += 500) {
        await tx
          .insertInto("marketdata_trades")
          .values(
            trades.slice(at, at + 500).map((trade) => ({
              symbol,
              trade_id: trade.tradeId,
              price: String(trade.price),
              qty: String(trade.qty),
              quote_qty: String(trade.quoteQty),
              time: trade.time,
              is_buyer_maker: trade.isBuyerMaker ? 1 : 0,
            })),
          )
          .onConflict((c) => c.columns(["symbol", "trade_id"]).doNothing())
          .execute();
      }
      if (aggTrades.length > 0) {
        // Numbered after the symbol's last one, read after the claim: the batches of a symbol are
        // stored one at a time, in sequence order, so the numbering is a function of the stream.
        const last = await tx.selectFrom("marketdata_agg_trades").select("agg_id").where("symbol", "=", symbol).orderBy("agg_id", "desc").limit(1).executeTakeFirst();
        const first = (last ? Number(last.agg_id) : 0) + 1;
        for (let at = 0; at < aggTrades.length; at += 500) {
          await tx
            .insertInto("marketdata_agg_trades")
            .values(
              aggTrades.slice(at, at + 500).map((agg, index) => ({
                symbol,
                agg_id: first + at + index,
                price: String(agg.price),
                qty: String(agg.qty),
                first_trade_id: agg.firstTradeId,
                last_trade_id: agg.lastTradeId,
                time: agg.time,
                is_buyer_maker: agg.isBuyerMaker ? 1 : 0,
              })),
            )
            .execute();
        }
      }
      for (const kline of klines) {
        const row = await tx
          .selectFrom("marketdata_klines")
          .selectAll()
          .where("symbol", "=", symbol)
          .where("interval", "=", kline.interval)
          .where("open_time", "=", kline.openTime)
          .executeTakeFirst();
        if (row) {
          await tx
            .updateTable("marketdata_klines")
            .set(klineColumns(mergeKlines(toKline(row), kline)))
            .where("symbol", "=", symbol)
            .where("interval", "=", kline.interval)
            .where("open_time", "=", kline.openTime)
            .execute();
        } else {
          await tx
            .insertInto("marketdata_klines")
            .values({ symbol, interval: kline.interval, open_time: kline.openTime, ...klineColumns(kline) })
            .execute();
        }
      }
      return true;
    });
  }

  async latestTrades(symbol: string, limit: number): Promise<PublicTrade[]> {
    const rows = await this.db.selectFrom("marketdata_trades").selectAll().where("symbol", "=", symbol).orderBy("trade_id", "desc").limit(limit).execute();
    return rows.reverse().map(toTrade);
  }

  async tradesFrom(symbol: string, fromId: number, limit: number): Promise<PublicTrade[]> {
    const rows = await this.db.selectFrom("marketdata_trades").selectAll().where("symbol", "=", symbol).where("trade_id", ">=", fromId).orderBy("trade_id").limit(limit).execute();
    return rows.map(toTrade);
  }

  async tradesBetween(symbol: string, from: number, to: number): Promise<PublicTrade[]> {
    if (to <= from) return [];
    const rows = await this.db
      .selectFrom("marketdata_trades")
      .selectAll()
      .where("symbol", "=", symbol)
      .where("time", ">=", from)
      .where("time", "<", to)
      .orderBy("trade_id")
      .execute();
    return rows.map(toTrade);
  }

  async lastTradeBefore(symbol: string, time: number): Promise<PublicTrade | undefined> {
    const row = await this.db
      .selectFrom("marketdata_trades")
      .selectAll()
      .where("symbol", "=", symbol)
      .where("time", "<", time)
      .orderBy("time", "desc")
      .orderBy("trade_id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && toTrade(row);
  }

  async latestAggTrades(symbol: string, limit: number): Promise<AggTrade[]> {
    const rows = await this.db.selectFrom("marketdata_agg_trades").selectAll().where("symbol", "=", symbol).orderBy("agg_id", "desc").limit(limit).execute();
    return rows.reverse().map(toAggTrade);
  }

  async aggTradesFrom(symbol: string, fromId: number, limit: number): Promise<AggTrade[]> {
    const rows = await this.db.selectFrom("marketdata_agg_trades").selectAll().where("symbol", "=", symbol).where("agg_id", ">=", fromId).orderBy("agg_id").limit(limit).execute();
    return rows.map(toAggTrade);
  }

  async aggTradesBetween(symbol: string, from: number, to: number, limit: number): Promise<AggTrade[]> {
    if (to < from) return [];
    const rows = await this.db
      .selectFrom("marketdata_agg_trades")
      .selectAll()
      .where("symbol", "=", symbol)
      .where("time", ">=", from)
      .where("time", "<=", to)
      .orderBy("agg_id")
      .limit(limit)
      .execute();
    return rows.map(toAggTrade);
  }

  async aggTradesOfTrades(symbol: string, firstTradeId: number, lastTradeId: number): Promise<AggTrade[]> {
    const rows = await this.db
      .selectFrom("marketdata_agg_trades")
      .selectAll()
      .where("symbol", "=", symbol)
      .where("first_trade_id", ">=", firstTradeId)
      .where("first_trade_id", "<=", lastTradeId)
      .orderBy("agg_id")
      .execute();
    return rows.map(toAggTrade);
  }

  async klines(symbol: string, interval: Interval, query: KlineQuery): Promise<Kline[]> {
    let select = this.db.selectFrom("marketdata_klines").selectAll().where("symbol", "=", symbol).where("interval", "=", interval);
    if (query.startTime !== undefined) select = select.where("open_time", ">=", query.startTime);
    if (query.endTime !== undefined) select = select.where("open_time", "<=", query.endTime);
    if (query.startTime !== undefined) return (await select.orderBy("open_time").limit(query.limit).execute()).map(toKline);
    return (await select.orderBy("open_time", "desc").limit(query.limit).execute()).reverse().map(toKline);
  }
}
