import { Counter, Gauge, Registry } from "prom-client";

/** Counters of the balance read cache, registered in the service's registry (served at /metrics). */
export class BalanceCacheMetrics {
  readonly hits: Counter;
  readonly misses: Counter;
  /** Reads that skipped the cache: the account has an invalidation that has not reached the cache yet. */
  readonly bypassed: Counter;
  readonly fills: Counter;
  /** Fills refused because the account was invalidated while the store was read (the race, prevented). */
  readonly fillsRefused: Counter;
  readonly invalidations: Counter;
  readonly errors: Counter<"operation">;
  readonly pendingInvalidations: Gauge;

  constructor(readonly registry: Registry = new Registry()) {
    const registers = [registry];
    const counter = (name: string, help: string) => new Counter({ name: `wallet_balance_cache_${name}_total`, help, registers });
    this.hits = counter("hits", "Balance reads answered from the cache");
    this.misses = counter("misses", "Balance reads that went to the store and tried to fill the cache");
    this.bypassed = counter("bypassed", "Balance reads sent to the store because an invalidation of the account is still pending");
    this.fills = counter("fills", "Cache entries stored after a miss");
    this.fillsRefused = counter("fills_refused", "Fills refused: the account was invalidated while its balances were read");
    this.invalidations = counter("invalidations", "Accounts invalidated after a committed write");
    this.errors = new Counter({ name: "wallet_balance_cache_errors_total", help: "Cache operations that failed (the store answered instead)", labelNames: ["operation"] as const, registers });
    this.pendingInvalidations = new Gauge({ name: "wallet_balance_cache_pending_invalidations", help: "Accounts whose invalidation failed and is being retried", registers });
  }
}
