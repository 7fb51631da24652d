import type { Registry } from "prom-client";
import type { Logger } from "#kit/telemetry/logger.js";
import { balanceAccounts } from "../domain/balance-accounts.js";
import type { BalanceRow, Command, Outcome } from "../domain/ledger.js";
import type { BalanceCache } from "../ports/balance-cache.port.js";
import type { LedgerStore } from "../ports/ledger-store.port.js";
import { BalanceCacheMetrics } from "./balance-cache.metrics.js";

export interface CachedLedgerStoreOptions {
  readonly store: LedgerStore;
  readonly cache: BalanceCache;
  /** The cache's entry TTL: how long a failed invalidation is retried is derived from it. */
  readonly ttlMs: number;
  readonly registry?: Registry;
  readonly logger?: Pick<Logger, "warn">;
  /** How often failed invalidations are retried (default 1 s). */
  readonly retryEveryMs?: number;
  readonly now?: () => number;
}

/**
 * A LedgerStore whose `balances` reads go through a shared BalanceCache; everything else, and
 * every write, goes straight to the store of record.
 *
 * - Writes commit in the store first; then every account whose balance the successful commands
 *   may have changed is invalidated, before the caller is answered (so it reads its own writes).
 *   Duplicates are invalidated too: a retry after a crash between commit and invalidation heals it.
 *   A failed `execute` may still have committed, so all its commands' accounts are invalidated.
 * - A miss fills the cache only under the generation looked up before the store was read, so a
 *   read that raced a write never stores the old balance (see BalanceCache).
 * - The cache can never fail a read or a write: any cache error falls back to the store. A failed
 *   invalidation is retried every second for twice the TTL, and meanwhile this replica reads the
 *   account from the store; other replicas may serve the old entry until its TTL ends.
 */
export class CachedLedgerStore implements LedgerStore {
  readonly engine: string;
  readonly metrics: BalanceCacheMetrics;
  private readonly store: LedgerStore;
  private readonly cache: BalanceCache;
  private readonly now: () => number;
  private readonly retryForMs: number;
  private readonly retryEveryMs: number;
  /** Accounts whose invalidation failed, with when it last failed (the object identifies the failure). */
  private readonly pending = new Map<string, { readonly at: number }>();
  private retryTimer: NodeJS.Timeout | undefined;
  private retrying = false;
  private readonly lastWarning = new Map<string, number>();

  constructor(private readonly options: CachedLedgerStoreOptions) {
    this.store = options.store;
    this.cache = options.cache;
    this.engine = options.store.engine;
    this.metrics = new BalanceCacheMetrics(options.registry);
    this.now = options.now ?? Date.now;
    this.retryForMs = 2 * options.ttlMs;
    this.retryEveryMs = options.retryEveryMs ?? 1_000;
  }

  /** Overlapping batches stay ordered if the store keeps them so (invalidation follows each commit). */
  get appliesInCallOrder(): boolean {
    return (this.store as { appliesInCallOrder?: boolean }).appliesInCallOrder === true;
  }

  async balances(account: string): Promise<BalanceRow[]> {
    if (this.isPending(account)) {
      this.metrics.bypassed.inc();
      return this.store.balances(account);
    }
    let generation: string;
    try {
      const found = await this.cache.lookup(account);
      if (found.rows) {
        this.metrics.hits.inc();
        return found.rows;
      }
      generation = found.generation;
    } catch (error) {
      this.failed("lookup", error);
      return this.store.balances(account);
    }
    this.metrics.misses.inc();
    const rows = await this.store.balances(account);
    try {
      if (await this.cache.fill(account, generation, rows)) this.metrics.fills.inc();
      else this.metrics.fillsRefused.inc();
    } catch (error) {
      this.failed("fill", error);
    }
    return rows;
  }

  async execute(commands: readonly Command[]): Promise<Outcome[]> {
    let outcomes: Outcome[];
    try {
      outcomes = await this.store.execute(commands);
    } catch (error) {
      await this.invalidateAfter(commands);
      throw error;
    }
    // Failed commands changed nothing.
    await this.invalidateAfter(commands.filter((_command, index) => outcomes[index]?.ok));
    return outcomes;
  }

  doc: LedgerStore["doc"] = (id) => this.store.doc(id);
  transfer: LedgerStore["transfer"] = (id) => this.store.transfer(id);
  listDocs: LedgerStore["listDocs"] = (account, type, page) => this.store.listDocs(account, type, page);
  dueDocs: LedgerStore["dueDocs"] = (type, now, limit) => this.store.dueDocs(type, now, limit);
  awaitingApproval: LedgerStore["awaitingApproval"] = (page) => this.store.awaitingApproval(page);
  entries: LedgerStore["entries"] = (account, asset, page) => this.store.entries(account, asset, page);
  audit: LedgerStore["audit"] = () => this.store.audit();

  async close(): Promise<void> {
    if (this.retryTimer) clearInterval(this.retryTimer);
    try {
      await this.store.close();
    } finally {
      await this.cache.close().catch(() => undefined);
    }
  }

  /** Invalidates the accounts of `commands`; never throws. */
  private async invalidateAfter(commands: readonly Command[]): Promise<void> {
    if (commands.length === 0) return;
    const accounts = new Set<string>();
    const docIds = new Set<string>();
    for (const command of commands) {
      const touched = balanceAccounts(command);
      for (const account of touched.accounts) accounts.add(account);
      for (const id of touched.docAccounts) docIds.add(id);
    }
    // Voids and withdrawal steps name a document; its owner is read from the store (just committed).
    await Promise.all(
      [...docIds].map(async (id) => {
        try {
          const found = await this.store.doc(id);
          if (found && "account" in found.doc) accounts.add(found.doc.account);
        } catch (error) {
          this.failed("resolve", error);
        }
      }),
    );
    await this.invalidate([...accounts]);
  }

  private async invalidate(accounts: readonly string[]): Promise<void> {
    if (accounts.length === 0) return;
    try {
      await this.cache.invalidate(accounts);
      this.metrics.invalidations.inc(accounts.length);
    } catch (error) {
      this.failed("invalidate", error);
      const at = this.now();
      for (const account of accounts) this.pending.set(account, { at });
      this.metrics.pendingInvalidations.set(this.pending.size);
      this.scheduleRetry();
    }
  }

  private isPending(account: string): boolean {
    const failure = this.pending.get(account);
    return failure !== undefined && this.now() - failure.at < this.retryForMs;
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setInterval(() => void this.retryPending(), this.retryEveryMs);
    this.retryTimer.unref();
  }

  /** Retries failed invalidations; gives up on those older than the retry window (their entries have expired). */
  async retryPending(): Promise<void> {
    if (this.retrying) return;
    this.retrying = true;
    try {
      const now = this.now();
      const attempt = new Map<string, { readonly at: number }>();
      for (const [account, failure] of this.pending) {
        if (now - failure.at >= this.retryForMs) this.pending.delete(account);
        else attempt.set(account, failure);
      }
      if (attempt.size > 0) {
        try {
          await this.cache.invalidate([...attempt.keys()]);
          this.metrics.invalidations.inc(attempt.size);
          // Keep accounts whose invalidation failed again meanwhile: that failure may be newer.
          for (const [account, failure] of attempt) if (this.pending.get(account) === failure) this.pending.delete(account);
        } catch (error) {
          this.failed("invalidate", error);
        }
      }
      this.metrics.pendingInvalidations.set(this.pending.size);
      if (this.pending.size === 0 && this.retryTimer) {
        clearInterval(this.retryTimer);
        this.retryTimer = undefined;
      }
    } finally {
      this.retrying = false;
    }
  }

  /** Counts every cache failure; logs one warning per operation per 10 s. */
  private failed(operation: "lookup" | "fill" | "invalidate" | "resolve", error: unknown): void {
    this.metrics.errors.inc({ operation });
    const now = this.now();
    if (now - (this.lastWarning.get(operation) ?? -Infinity) < 10_000) return;
    this.lastWarning.set(operation, now);
    this.options.logger?.warn({ err: error, operation }, "wallet balance cache failed; the store answers");
  }
}
