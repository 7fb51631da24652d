/**
 * Cache on Redis (ioredis): works with ElastiCache / MemoryDB (pass a `rediss://` URL for TLS).
 * increment and compareAndSet are one Lua script each (INCRBY, then PEXPIRE only if the key has no expiry yet; GET,
 * then SET only if it matched): one round trip, atomic, so clients on several processes sharing one key never lose a
 * count or overwrite a newer value.
 * `keyPrefix` namespaces every key (one Redis shared by several services or test runs).
 */
import type { Redis } from "ioredis";
import type { Cache, CacheSetOptions, Counter } from "../ports/cache.port.js";
import { assertConnected, closeRedis, openRedis, type RedisConnectionOptions } from "./redis-connection.js";

/** `commandTimeoutMs` set: fail fast, for callers on a request path (redis-connection.ts). */
export type RedisCacheOptions = RedisConnectionOptions;

const INCREMENT = `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {value, ttl}
`;

// ARGV: expected, value, TTL in ms ('' for none).
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1
`;

type RedisWithScripts = Redis & {
  exchangeIncrement(key: string, by: number, ttlMs: number): Promise<[number, number]>;
  exchangeCompareAndSet(key: string, expected: string, value: string, ttlMs: number | ""): Promise<number>;
};

export class RedisCache implements Cache {
  private readonly redis: RedisWithScripts;
  private readonly failFast: boolean;

  constructor(options: RedisCacheOptions) {
    this.failFast = options.commandTimeoutMs !== undefined;
    const redis = openRedis(options);
    redis.defineCommand("exchangeIncrement", { numberOfKeys: 1, lua: INCREMENT });
    redis.defineCommand("exchangeCompareAndSet", { numberOfKeys: 1, lua: COMPARE_AND_SET });
    this.redis = redis as RedisWithScripts;
  }

  async get(key: string): Promise<string | undefined> {
    this.assertReachable();
    return (await this.redis.get(key)) ?? undefined;
  }

  async set(key: string, value: string, options?: CacheSetOptions): Promise<void> {
    const ttl = ttlOf(options);
    this.assertReachable();
    if (ttl === undefined) await this.redis.set(key, value);
    else await this.redis.set(key, value, "PX", ttl);
  }

  async setIfAbsent(key: string, value: string, options?: CacheSetOptions): Promise<boolean> {
    const ttl = ttlOf(options);
    this.assertReachable();
    const result = ttl === undefined ? await this.redis.set(key, value, "NX") : await this.redis.set(key, value, "PX", ttl, "NX");
    return result === "OK";
  }

  async compareAndSet(key: string, expected: string, value: string, options?: CacheSetOptions): Promise<boolean> {
    const ttl = ttlOf(options);
    this.assertReachable();
    return (await this.redis.exchangeCompareAndSet(key, expected, value, ttl ?? "")) === 1;
  }

  async delete(key: string): Promise<boolean> {
    this.assertReachable();
    return (await this.redis.del(key)) > 0;
  }

  async increment(key: string, ttlMs: number, by = 1): Promise<Counter> {
    if (!(ttlMs > 0)) throw new RangeError("ttlMs must be > 0");
    this.assertReachable();
    const [value, ttl] = await this.redis.exchangeIncrement(key, by, Math.ceil(ttlMs));
    return { value: Number(value), ttlMs: Number(ttl) };
  }

  /** The server's maxmemory-policy (from INFO, which ElastiCache allows), or undefined if it cannot tell. */
  async evictionPolicy(): Promise<string | undefined> {
    try {
      const info = await this.redis.info("memory");
      return /^maxmemory_policy:(\S+)/m.exec(info)?.[1];
    } catch {
      return undefined;
    }
  }

  close(): Promise<void> {
    return closeRedis(this.redis);
  }

  /** Fail-fast mode: no command waits on a connection known to be down (it reconnects in the background). */
  private assertReachable(): void {
    if (this.failFast) assertConnected(this.redis);
  }
}

function ttlOf(options?: CacheSetOptions): number | undefined {
  const ttl = options?.ttlMs;
  if (ttl === undefined) return undefined;
  if (!(ttl > 0)) throw new RangeError("ttlMs must be > 0");
  return Math.ceil(ttl);
}
