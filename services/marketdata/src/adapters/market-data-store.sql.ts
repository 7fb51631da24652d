import type { Kysely, Migration } from "kysely";
import type { Interval } from "../domain/intervals.js";
import { mergeKlines, type Kline, type PublicTrade } from "../domain/market.js";
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

export interface MarketDataTables {
  marketdata_trades: TradesTable;
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

  async applyBatch(symbol: string, sequence: number, trades: readonly PublicTrade[], klines: readonly Kline[]): Promise<boolean> {
    return this.db.transaction().execute(async (tx) => {
      await tx.insertInto("marketdata_consumers").values({ symbol, last_sequence: 0 }).onConflict((c) => c.column("symbol").doNothing()).execute();
      // Claims the sequence first: on PostgreSQL the row lock makes a second replica applying
      // the same batch wait, then find the sequence taken and skip (no double-counted klines).
      const claimed = await tx
        .updateTable("marketdata_consumers")
        .set({ last_sequence: sequence })
        .where("symbol", "=", symbol)
        .where("last_sequence", "<", sequence)
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

  async klines(symbol: string, interval: Interval, query: KlineQuery): Promise<Kline[]> {
    let select = this.db.selectFrom("marketdata_klines").selectAll().where("symbol", "=", symbol).where("interval", "=", interval);
    if (query.startTime !== undefined) select = select.where("open_time", ">=", query.startTime);
    if (query.endTime !== undefined) select = select.where("open_time", "<=", query.endTime);
    if (query.startTime !== undefined) return (await select.orderBy("open_time").limit(query.limit).execute()).map(toKline);
    return (await select.orderBy("open_time", "desc").limit(query.limit).execute()).reverse().map(toKline);
  }
}
