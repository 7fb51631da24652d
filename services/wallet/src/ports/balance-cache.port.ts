import type { BalanceRow } from "../domain/ledger.js";

/** What a lookup found: the cached rows, if any, and the generation a fill must present. */
export interface BalanceLookup {
  readonly rows: BalanceRow[] | undefined;
  readonly generation: string;
}

/**
 * A shared cache of each account's balance rows, safe against the fill race: every account has
 * a generation that changes on each invalidation, a lookup returns the current one, and a fill
 * succeeds only while the generation is still the one looked up (an atomic compare-and-set).
 * So a reader that loaded the store before a writer's commit and invalidation can never store
 * what it read. Entries expire after a TTL, the bound on staleness if an invalidation is lost.
 * Every method may reject (cache down); callers fall back to the store.
 */
export interface BalanceCache {
  lookup(account: string): Promise<BalanceLookup>;
  /** Stores `rows` if the account's generation is still `generation`; true if stored. */
  fill(account: string, generation: string, rows: readonly BalanceRow[]): Promise<boolean>;
  /** Gives each account a new generation and drops its entry. Call after the store committed. */
  invalidate(accounts: readonly string[]): Promise<void>;
  close(): Promise<void>;
}
