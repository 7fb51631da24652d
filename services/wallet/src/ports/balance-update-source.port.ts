import type { BalanceCursor, BalanceUpdate } from "../domain/balance-updates.js";

export interface BalanceUpdateRead {
  /** Oldest first, each after the cursor read from. */
  readonly updates: readonly BalanceUpdate[];
  /** Where the read ended (at or after the cursor read from): the next read starts there. */
  readonly position: BalanceCursor;
  /** The read stopped at its limit: more may follow at once. */
  readonly more: boolean;
}

/**
 * Where balance updates are read from: the ledger's history, shared by every replica, never a
 * process's memory. Only history that can no longer change is served (on PostgreSQL a sequence
 * number is taken before its transaction commits, so a lower one can appear after a higher one).
 */
export interface BalanceUpdateSource {
  /** The newest position before which history is final: where a stream "from now" starts. */
  head(): Promise<BalanceCursor>;
  /** `account`'s updates after `after`, reading at most `limit` history rows. */
  read(account: string, after: BalanceCursor, limit: number): Promise<BalanceUpdateRead>;
}
