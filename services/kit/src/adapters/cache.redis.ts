/**
 * Cache on Redis (ioredis): works with ElastiCache / MemoryDB (pass a `rediss://` URL for TLS).
 * increment is one Lua script (INCRBY, then PEXPIRE only if the key has no expiry yet), so it is atomic.
 * `keyPrefix` namespaces every key (one Redis shared by several services or test runs).
 */
import { Redis } from "ioredis";
import type { Cache, CacheSetOptions, Counter } from "../ports/cache.port.js";

export interface RedisCacheOptions {
  readonly url: string;
  readonly keyPrefix?: string;
}

const INCREMENT = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {value, ttl}
`;

type RedisWithIncrement = Redis & {
  exchangeIncrement(key: string, by: number, ttlMs: number): Promise<[number, number]>;
};

export class RedisCache implements Cache {
  private readonly redis: RedisWithIncrement;

  constructor(options: RedisCacheOptions) {
    const redis = new Redis(options.url, { keyPrefix: options.keyPrefix, lazyConnect: false, maxRetriesPerRequest: 3 });
    redis.defineCommand("exchangeIncrement", { numberOfKeys: 1, lua: INCREMENT });
    this.redis = redis as RedisWithIncrement;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(key)) ?? undefined;
  }

  async set(key: string, value: string, options?: CacheSetOptions): Promise<void> {
    const ttl = ttlOf(options);
    if (ttl === undefined) await this.redis.set(key, value);
    else await this.redis.set(key, value, "PX", ttl);
  }

  async setIfAbsent(key: string, value: string, options?: CacheSetOptions): Promise<boolean> {
    const ttl = ttlOf(options);
    const result = ttl === undefined ? await this.redis.set(key, value, "NX") : await this.redis.set(key, value, "PX", ttl, "NX");
    return result === "OK";
  }

  async delete(key: string): Promise<boolean> {
    return (await this.redis.del(key)) > 0;
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<Counter> {
    if (!(ttlMs > 0)) throw new RangeError("ttlMs must be > 0");
    const [value, ttl] = await this.redis.exchangeIncrement(key, by, Math.ceil(ttlMs));
    return { value: Number(value), ttlMs: Number(ttl) };
  }

  async close(): Promise<void> {
    await this.redis.quit();
  }
}

function ttlOf(options?: CacheSetOptions): number | undefined {
  const ttl = options?.ttlMs;
  if (ttl === undefined) return undefined;
  if (!(ttl > 0)) throw new RangeError("ttlMs must be > 0");
  return Math.ceil(ttl);
}
