import { createHash } from "node:crypto";
import { RedisCache } from "#kit/adapters/cache.redis.js";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { ReplayCache } from "../ports/replay-cache.port.js";

/**
 * ReplayCache on Redis (the kit's Cache port on Redis, fail-fast; ElastiCache with a rediss:// URL), shared by every auth replica: a
 * signed request one replica accepted is a replay on all of them. Each check is one atomic
 * `SET <prefix><key> 1 PX <ttl> NX`: whichever replica sets the key first accepts, every other
 * attempt (same or another replica, concurrent or later) finds it and refuses.
 *
 * The key lives until `expiresAt` by the auth clock plus `clockSkewMs`, so a replica whose clock runs
 * a little behind still finds it while it would judge the timestamp fresh. Redis must not evict these
 * keys before they expire (maxmemory-policy `noeviction`): `evictionPolicy()` reports the server's.
 */
export interface RedisReplayCacheOptions {
  readonly url: string;
  /** The auth clock: `expiresAt` is on it. */
  readonly clock: Clock;
  /** Namespace of every key (default `auth:replay:`). */
  readonly keyPrefix?: string;
  /** Extra lifetime past `expiresAt`, for clock differences between replicas (ms, default 1 000, at least 1). */
  readonly clockSkewMs?: number;
  /** A command that takes longer fails, and the request with it (ms, default 500). */
  readonly commandTimeoutMs?: number;
  /** Connection and command errors; called at most once per 10 s. */
  readonly onError?: (error: Error) => void;
}

export const DEFAULT_REPLAY_KEY_PREFIX = "auth:replay:";

/** Keys up to this length are stored as they are (readable in redis-cli); longer ones as their SHA-256. */
const MAX_PLAIN_KEY_LENGTH = 64;

export class RedisReplayCache implements ReplayCache {
  private readonly cache: RedisCache;
  private readonly clock: Clock;
  private readonly clockSkewMs: number;
  private lastErrorReport = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: RedisReplayCacheOptions) {
    this.clock = options.clock;
    this.clockSkewMs = options.clockSkewMs ?? 1_000;
    if (!Number.isSafeInteger(this.clockSkewMs) || this.clockSkewMs < 1) throw new RangeError("clockSkewMs must be an integer >= 1");
    // No retries of a command and a short timeout: a request waits at most commandTimeoutMs for its
    // check, then is refused (see firstSeen); while the connection is down a check fails at once.
    this.cache = new RedisCache({
      url: options.url,
      keyPrefix: options.keyPrefix ?? DEFAULT_REPLAY_KEY_PREFIX,
      commandTimeoutMs: options.commandTimeoutMs ?? 500,
      onError: (error) => this.report(error),
    });
  }

  async firstSeen(key: string, expiresAt: number): Promise<boolean> {
    // Authenticator.signed checked the timestamp before asking, so a window that has passed by now
    // only means the request was slow to get here: it is still recorded (for clockSkewMs at least),
    // so a duplicate of it racing on another replica is refused too.
    const ttlMs = Math.ceil(Math.max(expiresAt - this.clock.now(), 0)) + this.clockSkewMs;
    try {
      return await this.cache.setIfAbsent(storedKey(key), "1", { ttlMs });
    } catch (error) {
      // Fail closed. Without the shared record this replica cannot tell a first request from one
      // another replica already accepted, and accepting would let a captured request be replayed
      // for as long as Redis is away. Refusing costs an honest client one retry (a new timestamp
      // and signature); the error says so (UNAVAILABLE, Binance -1001 "please try again").
      this.report(error instanceof Error ? error : new Error(String(error)));
      throw new DomainError("DISCONNECTED", "Replay protection is unavailable, so this signed request was refused; please sign it again with a new timestamp and retry.", [], { cause: "replay_cache_unavailable" });
    }
  }

  /** The server's maxmemory-policy (from INFO, which ElastiCache allows), or undefined if it cannot tell. */
  evictionPolicy(): Promise<string | undefined> {
    return this.cache.evictionPolicy();
  }

  async close(): Promise<void> {
    await this.cache.close();
  }

  private report(error: Error): void {
    const now = Date.now();
    if (now - this.lastErrorReport < 10_000) return;
    this.lastErrorReport = now;
    this.options.onError?.(error);
  }
}

/** `k:<key>` when short, else `h:<SHA-256 of key, base64url>`: bounded key size, and the two forms never collide. */
export function storedKey(key: string): string {
  return key.length <= MAX_PLAIN_KEY_LENGTH ? `k:${key}` : `h:${createHash("sha256").update(key, "utf8").digest("base64url")}`;
}
