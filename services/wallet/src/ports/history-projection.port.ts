import type { BalanceRow, LedgerEntry, Page } from "../domain/ledger.js";
import type { FeedPosition, LedgerEvent } from "./ledger-events.port.js";
import type { PageRequest } from "./ledger-store.port.js";

/**
 * A read model of the ledger built from the store of record's events (history and per-account
 * balances for reports). Never written by commands: only by applying events.
 */
export interface HistoryProjection {
  /** The feed position the projection reflects (empty: nothing applied yet). */
  position(): Promise<FeedPosition>;
  /**
   * Applies events and stores `position` in one transaction. Events already applied change
   * nothing (rows are keyed by transfer id and entry index), and the stored position never moves
   * back. Returns how many transfers were new.
   */
  apply(events: readonly LedgerEvent[], position: FeedPosition): Promise<number>;
  /** Same order and cursor as the DynamoDB store's own history (domain/history-cursor.ts). */
  entries(account: string, asset: string, page: PageRequest): Promise<Page<LedgerEntry>>;
  /** Every projected balance (the external account excluded) and the position they reflect, read together. */
  balances(): Promise<{ readonly rows: BalanceRow[]; readonly position: FeedPosition }>;
  close(): Promise<void>;
}
