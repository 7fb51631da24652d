/**
 * Embedded Cache: a Map in this process with millisecond expiry (checked on access, swept every `sweepMs`).
 * Every operation is synchronous inside, so increment is atomic within the process.
 */
import type { Cache, CacheSetOptions, Counter } from "../ports/cache.port.js";

interface Entry {
  value: string;
  /** ms since epoch; Infinity = no expiry */
  expiresAt: number;
}

export interface MemoryCacheOptions {
  readonly now?: () => number;
  /** how often expired keys are removed (default 10 s; 0 disables the timer) */
  readonly sweepMs?: number;
}

export class MemoryCache implements Cache {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(options: MemoryCacheOptions = {}) {
    this.now = options.now ?? Date.now;
    const sweepMs = options.sweepMs ?? 10_000;
    if (sweepMs > 0) {
      this.timer = setInterval(() => this.sweep(), sweepMs);
      this.timer.unref();
    }
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private expiry(options?: CacheSetOptions): number {
    const ttl = options?.ttlMs;
    if (ttl === undefined) return Infinity;
    if (!(ttl > 0)) throw new RangeError("ttlMs must be > 0");
    return this.now() + ttl;
  }

  async get(key: string): Promise<string | undefined> {
    return this.live(key)?.value;
  }

  async set(key: string, value: string, options?: CacheSetOptions): Promise<void> {
    this.entries.set(key, { value, expiresAt: this.expiry(options) });
  }

  async setIfAbsent(key: string, value: string, options?: CacheSetOptions): Promise<boolean> {
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt: this.expiry(options) });
    return true;
  }

  async compareAndSet(key: string, expected: string, value: string, options?: CacheSetOptions): Promise<boolean> {
    const expiresAt = this.expiry(options);
    if (this.live(key)?.value !== expected) return false;
    this.entries.set(key, { value, expiresAt });
    return true;
  }

  async delete(key: string): Promise<boolean> {
    const existed = this.live(key) !== undefined;
    this.entries.delete(key);
    return existed;
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<Counter> {
    if (!(ttlMs > 0)) throw new RangeError("ttlMs must be > 0");
    const entry = this.live(key);
    const current = entry ? Number(entry.value) : 0;
    if (!Number.isSafeInteger(current)) throw new Error(`value of ${key} is not an integer`);
    const value = current + by;
    const expiresAt = entry && entry.expiresAt !== Infinity ? entry.expiresAt : this.now() + ttlMs;
    this.entries.set(key, { value: String(value), expiresAt });
    return { value, ttlMs: expiresAt - this.now() };
  }

  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.entries.clear();
  }
}
