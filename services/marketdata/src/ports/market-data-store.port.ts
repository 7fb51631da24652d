import type { Interval } from "../domain/intervals.js";
import type { AggTrade, AggTradeDraft, Kline, PublicTrade } from "../domain/market.js";

export interface KlineQuery {
  /** Inclusive bounds on the open time. */
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit: number;
}

/** The projection of matching's events: public trades, klines and how far each symbol got. */
export interface MarketDataStore {
  /** The last batch sequence applied for the symbol; 0 before the first. */
  lastSequence(symbol: string): Promise<number>;
  /**
   * Stores a batch's trades, merges its kline aggregates into the stored buckets, numbers and
   * stores its aggregate trades (after the symbol's last aggregate id) and records `sequence`, in
   * one transaction; does nothing (false) when `sequence` is not above the last one recorded, so
   * a replayed batch changes nothing and an aggregate id, once stored, is never given again.
   * Several consecutive batches firstSequence..sequence may be stored at once (nothing is
   * written when the recorded sequence is at or past `firstSequence`).
   */
  applyBatch(symbol: string, sequence: number, trades: readonly PublicTrade[], klines: readonly Kline[], aggTrades?: readonly AggTradeDraft[], firstSequence?: number): Promise<boolean>;
  /** The most recent `limit` trades, oldest first. */
  latestTrades(symbol: string, limit: number): Promise<PublicTrade[]>;
  /** Trades with id >= fromId, oldest first. */
  tradesFrom(symbol: string, fromId: number, limit: number): Promise<PublicTrade[]>;
  /** Trades with from <= time < to, oldest first. */
  tradesBetween(symbol: string, from: number, to: number): Promise<PublicTrade[]>;
  /** The last trade with time < `time`. */
  lastTradeBefore(symbol: string, time: number): Promise<PublicTrade | undefined>;
  /** The most recent `limit` aggregate trades, oldest first. */
  latestAggTrades(symbol: string, limit: number): Promise<AggTrade[]>;
  /** Aggregate trades with id >= fromId, oldest first. */
  aggTradesFrom(symbol: string, fromId: number, limit: number): Promise<AggTrade[]>;
  /** The first `limit` aggregate trades with from <= time <= to, oldest first. */
  aggTradesBetween(symbol: string, from: number, to: number, limit: number): Promise<AggTrade[]>;
  /** The aggregate trades whose first trade id is in [firstTradeId, lastTradeId], oldest first. */
  aggTradesOfTrades(symbol: string, firstTradeId: number, lastTradeId: number): Promise<AggTrade[]>;
  /** Klines by open time, oldest first; without startTime, the latest `limit` (up to endTime). */
  klines(symbol: string, interval: Interval, query: KlineQuery): Promise<Kline[]>;
}
