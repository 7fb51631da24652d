import type { BalanceRow, LedgerEntry, TransferRecord } from "../domain/ledger.js";

/** One command as the store of record committed it: its idempotency record and its entries. */
export interface LedgerEvent {
  readonly transfer: TransferRecord;
  readonly entries: readonly LedgerEntry[];
}

/**
 * Where a reader stands in the feed, per shard: the sequence number of the last record taken
 * ("done" once a closed shard is read to its end). Opaque outside the feed's adapter except for
 * merging (domain/projection.ts); a projection stores it with the rows it applied.
 */
export type FeedPosition = Readonly<Record<string, string>>;

export interface FeedBatch {
  readonly events: readonly LedgerEvent[];
  /** The position after these events. */
  readonly position: FeedPosition;
  /** The reader reached the end of what the feed holds now. */
  readonly caughtUp: boolean;
}

/** The store of record's change feed (DynamoDB Streams on the transfers table): in commit order per key. */
export interface LedgerEventFeed {
  /** Events after `position`, about `limit` at most. Reading does not move anything: the caller keeps the position. */
  read(position: FeedPosition, limit: number): Promise<FeedBatch>;
  close(): Promise<void>;
}

/** The store of record's balances, read in full for reconciliation. */
export interface RecordedBalances {
  allBalances(): Promise<BalanceRow[]>;
}
