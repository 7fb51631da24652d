import type { FeeTierAssignment, FeeTierOverride } from "../domain/fee-tier-assignment.js";

/** The fee tier of an account, as settlement charges it (read once per account per batch: keep it cheap). */
export interface FeeTierSource {
  tier(account: string): Promise<number>;
}

/** One side's share of a settled trade: the quote volume it traded on a UTC day. */
export interface TradedVolume {
  readonly tradeId: string;
  /** YYYY-MM-DD (UTC, ledger clock). */
  readonly day: string;
  readonly quoteAsset: string;
  /** Both sides; the same account twice when it traded with itself. */
  readonly accounts: readonly [string, string];
  /** Smallest units of the quote asset. */
  readonly quote: bigint;
}

/**
 * Where fee tiers are kept (wallet's back-office database): per account per day per quote asset the volume traded,
 * and per account its volume tier and override.
 */
export interface FeeTierStore {
  /** Adds each trade's quote volume to both sides' day, once per trade id (a trade seen again adds nothing). */
  recordTrades(trades: readonly TradedVolume[]): Promise<void>;
  /** Every account's volume in `asset` from day `from` on (inclusive); accounts without any are absent. */
  volumes(asset: string, from: string): Promise<Map<string, bigint>>;
  /** One account's daily volumes in `asset` from day `from` on. */
  dailyVolumes(account: string, asset: string, from: string): Promise<{ day: string; volume: bigint }[]>;
  /** Every stored assignment. */
  assignments(): Promise<FeeTierAssignment[]>;
  assignment(account: string): Promise<FeeTierAssignment | undefined>;
  setVolumeTiers(changes: readonly { account: string; volumeTier: number }[], now: number): Promise<void>;
  /** Sets (or, undefined, clears) the account's override. */
  setOverride(account: string, override: FeeTierOverride | undefined, now: number): Promise<void>;
  /** Forgets volume and trade ids of days before `day`. */
  forgetBefore(day: string): Promise<void>;
  close(): Promise<void>;
}
