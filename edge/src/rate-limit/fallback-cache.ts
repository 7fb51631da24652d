import type { Cache, CacheSetOptions, Counter } from "#kit/ports/cache.port.js";

/**
 * The rate-limit counters: the ones every edge replica shares (Redis), failing open to this
 * replica's own (memory) while the shared ones fail. A client then gets its budget per replica
 * rather than once overall, which still bounds the load, and trading goes on while Redis is away
 * (a gateway that refuses everything because its counter store is down turns a cache outage into
 * an exchange outage). After a failure the shared counters are left alone for `retryMs`, so no
 * request waits on a dead Redis, then tried again; counts made locally meanwhile are not carried
 * over.
 */
export interface FallbackCacheOptions {
  readonly shared: Cache;
  readonly local: Cache;
  readonly now: () => number;
  /** How long after a failure the shared cache is skipped (ms, default 1 000). */
  readonly retryMs?: number;
  /** Called for each operation served by the local cache (the metric). */
  readonly onFallback?: () => void;
  /** A failure of the shared cache (at most one per `retryMs`). */
  readonly onError?: (error: unknown) => void;
}

export class FallbackCache implements Cache {
  private skipSharedUntil = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: FallbackCacheOptions) {}

  get(key: string): Promise<string | undefined> {
    return this.use((cache) => cache.get(key));
  }

  set(key: string, value: string, options?: CacheSetOptions): Promise<void> {
    return this.use((cache) => cache.set(key, value, options));
  }

  setIfAbsent(key: string, value: string, options?: CacheSetOptions): Promise<boolean> {
    return this.use((cache) => cache.setIfAbsent(key, value, options));
  }

  compareAndSet(key: string, expected: string, value: string, options?: CacheSetOptions): Promise<boolean> {
    return this.use((cache) => cache.compareAndSet(key, expected, value, options));
  }

  delete(key: string): Promise<boolean> {
    return this.use((cache) => cache.delete(key));
  }

  increment(key: string, ttlMs: number, by?: number): Promise<Counter> {
    return this.use((cache) => cache.increment(key, ttlMs, by));
  }

  async close(): Promise<void> {
    await Promise.all([this.options.shared.close(), this.options.local.close()]);
  }

  private async use<T>(operation: (cache: Cache) => Promise<T>): Promise<T> {
    const now = this.options.now();
    if (now >= this.skipSharedUntil) {
      try {
        return await operation(this.options.shared);
      } catch (error) {
        this.skipSharedUntil = now + (this.options.retryMs ?? 1_000);
        this.options.onError?.(error);
      }
    }
    this.options.onFallback?.();
    return operation(this.options.local);
  }
}
