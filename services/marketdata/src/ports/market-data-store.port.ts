import type { Interval } from "../domain/intervals.js";
import type { Kline, PublicTrade } from "../domain/market.js";

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
   * Stores a batch's trades, merges its kline aggregates into the stored buckets and records
   * `sequence`, in one transaction; does nothing (false) when `sequence` is not above the last
   * one recorded, so a replayed batch changes nothing.
   */
  applyBatch(symbol: string, sequence: number, trades: readonly PublicTrade[], klines: readonly Kline[]): Promise<boolean>;
  /** The most recent `limit` trades, oldest first. */
  latestTrades(symbol: string, limit: number): Promise<PublicTrade[]>;
  /** Trades with id >= fromId, oldest first. */
  tradesFrom(symbol: string, fromId: number, limit: number): Promise<PublicTrade[]>;
  /** Trades with from <= time < to, oldest first. */
  tradesBetween(symbol: string, from: number, to: number): Promise<PublicTrade[]>;
  /** The last trade with time < `time`. */
  lastTradeBefore(symbol: string, time: number): Promise<PublicTrade | undefined>;
  /** Klines by open time, oldest first; without startTime, the latest `limit` (up to endTime). */
  klines(symbol: string, interval: Interval, query: KlineQuery): Promise<Kline[]>;
}
