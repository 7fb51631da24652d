/**
 * How every Redis adapter connects (ioredis; ElastiCache / MemoryDB with a `rediss://` URL): the one place that
 * chooses timeouts, reconnects and shutdown, for the kit's RedisCache and the adapters that need Redis-only
 * commands of their own (the edge's listen keys: Lua over two keys and pub/sub).
 */
import { Redis } from "ioredis";

export interface RedisConnectionOptions {
  readonly url: string;
  /** Namespace of every key this connection names (not of pub/sub channels). */
  readonly keyPrefix?: string;
  /**
   * For callers on a request path: a command that takes longer fails (ms), none is retried, and
   * `assertConnected` fails at once while the connection is known to be down. Unset: commands wait for the
   * connection (3 retries).
   */
  readonly commandTimeoutMs?: number;
  /** Connection and command errors (ioredis keeps reconnecting); unset: ioredis prints them. */
  readonly onError?: (error: Error) => void;
}

/** A connection that reconnects in the background (every 200 ms more, at most 2 s apart). */
export function openRedis(options: RedisConnectionOptions): Redis {
  const failFast = options.commandTimeoutMs !== undefined;
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    connectTimeout: 2_000,
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2_000),
    ...(failFast ? { maxRetriesPerRequest: 0, commandTimeout: options.commandTimeoutMs } : { maxRetriesPerRequest: 3 }),
  });
  if (options.onError) redis.on("error", options.onError);
  return redis;
}

/** Throws when the connection is known to be down, so a request does not wait for a reconnect. */
export function assertConnected(redis: Redis): void {
  const status = redis.status;
  if (status === "reconnecting" || status === "close" || status === "end") throw new Error(`redis is ${status}`);
}

/** QUIT when connected; otherwise drop the connection at once (a QUIT would wait for a reconnect). */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status !== "ready") {
    redis.disconnect();
    return;
  }
  await redis.quit().catch(() => redis.disconnect());
}

/** An error reporter that passes on at most one error per `everyMs` (reconnect attempts come in a stream). */
export function throttledReporter(report: ((error: Error) => void) | undefined, everyMs = 10_000, now: () => number = Date.now): (error: Error) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (error) => {
    if (!report || now() - last < everyMs) return;
    last = now();
    report(error);
  };
}
