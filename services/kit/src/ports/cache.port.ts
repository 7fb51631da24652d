/**
 * Cache: a hot key/value cache (depth, tickers, sessions) with TTLs and atomic counters for rate limits.
 * Values are strings (callers encode JSON themselves). TTLs are milliseconds; a key without TTL never expires.
 */

export interface CacheSetOptions {
  /** time to live in milliseconds; omitted = no expiry */
  readonly ttlMs?: number;
}

export interface Counter {
  /** the value after the increment */
  readonly value: number;
  /** milliseconds until the counter expires */
  readonly ttlMs: number;
}

export interface Cache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: CacheSetOptions): Promise<void>;
  /** Sets only if the key is absent (or expired); true if it was set. For dedupe marks and locks. */
  setIfAbsent(key: string, value: string, options?: CacheSetOptions): Promise<boolean>;
  /**
   * Replaces the value only while the key holds `expected` (live); true if replaced. The new value gets the new TTL
   * (none: no expiry). For an update that must not overwrite a change made since the caller read the key (a fill
   * that loses to an invalidation). An absent key never matches.
   */
  compareAndSet(key: string, expected: string, value: string, options?: CacheSetOptions): Promise<boolean>;
  /** true if a key was removed */
  delete(key: string): Promise<boolean>;
  /**
   * Atomically adds `by` (default 1) and returns the new value. A counter that has no expiry yet (a new key) gets
   * `ttlMs`; an existing expiry is kept (fixed windows do not slide on each hit).
   */
  increment(key: string, ttlMs: number, by?: number): Promise<Counter>;
  close(): Promise<void>;
}

export interface RateLimitDecision {
  readonly allowed: boolean;
  /** requests counted in the window, this one included */
  readonly count: number;
  readonly limit: number;
  readonly remaining: number;
  /** milliseconds until the current window ends */
  readonly resetMs: number;
}

export interface RateLimitRule {
  /** what is limited, e.g. `ip:1.2.3.4` or `uid:42:orders` */
  readonly key: string;
  readonly limit: number;
  readonly windowMs: number;
  /** request weight (Binance's request weights); default 1 */
  readonly weight?: number;
}

/**
 * Fixed window: one counter per (key, window index). `now` comes from the caller's Clock so the window is the same on
 * every replica; the counter's TTL only frees memory.
 */
export async function fixedWindowRateLimit(cache: Cache, rule: RateLimitRule, now: number): Promise<RateLimitDecision> {
  const window = Math.floor(now / rule.windowMs);
  const resetMs = (window + 1) * rule.windowMs - now;
  const counter = await cache.increment(`rl:${rule.key}:${rule.windowMs}:${window}`, rule.windowMs + 1000, rule.weight ?? 1);
  return decision(counter.value, rule.limit, resetMs);
}

/**
 * Sliding window, approximated from two fixed windows (the previous window's count weighted by how much of it still
 * overlaps the sliding window), as Cloudflare and nginx do. A request that is refused is not counted.
 */
export async function slidingWindowRateLimit(cache: Cache, rule: RateLimitRule, now: number): Promise<RateLimitDecision> {
  const window = Math.floor(now / rule.windowMs);
  const elapsed = now - window * rule.windowMs;
  const prefix = `rl:${rule.key}:${rule.windowMs}s:`;
  const weight = rule.weight ?? 1;
  const previous = Number((await cache.get(prefix + (window - 1))) ?? "0");
  const carried = Math.floor((previous * (rule.windowMs - elapsed)) / rule.windowMs);
  const currentKey = prefix + window;
  const counter = await cache.increment(currentKey, 2 * rule.windowMs + 1000, weight);
  const count = carried + counter.value;
  if (count > rule.limit) {
    await cache.increment(currentKey, 2 * rule.windowMs + 1000, -weight);
    return { ...decision(count, rule.limit, rule.windowMs - elapsed), allowed: false };
  }
  return decision(count, rule.limit, rule.windowMs - elapsed);
}

function decision(count: number, limit: number, resetMs: number): RateLimitDecision {
  return { allowed: count <= limit, count, limit, remaining: Math.max(0, limit - count), resetMs };
}
