import type { Redis } from "ioredis";
import { assertConnected, closeRedis, openRedis, throttledReporter } from "#kit/adapters/redis-connection.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { ListenKeyEnd, ListenKeyEndListener, ListenKeyStore } from "./listen-key-store.port.js";

/**
 * ListenKeyStore on Redis (ioredis; ElastiCache with a rediss:// URL), shared by every edge replica:
 * a key made through one replica is kept alive, deleted or connected to through any other, and
 * outlives a restart. Two keys per listen key, both with the key's time to live (PEXPIRE):
 * `<prefix>k:<listenKey>` holds the user, `<prefix>u:<userId>` the user's live key. Each change is
 * one Lua script, so two replicas racing on one user's POST answer the same key, and a PUT or
 * DELETE checks the owner and acts in one step.
 *
 * Ends reach every replica: a DELETE publishes `{listenKey, userId}` on `<prefix>ended` (from the
 * script, so no delete goes unannounced), and every `checkIntervalMs` each replica reads the keys it
 * watches (one MGET) and reports the ones gone as expired. A replica that missed a message (its
 * subscription was reconnecting) still sees the key gone at its next check, as expired.
 *
 * Why not the kit's Cache port: "one live key per user" and "only the owner may keep alive or delete" are
 * check-and-act over two keys (user -> key and key -> user) that two replicas race on; the Cache port's operations
 * are atomic on one key each, so without a script two POSTs of one user could both succeed. And a DELETE must reach
 * every replica's sockets (pub/sub), which no kit port carries. The connection itself is the kit's (redis-connection.ts);
 * the in-memory store and the contract suite keep the port honest on both engines.
 */
export interface RedisListenKeyStoreOptions {
  readonly url: string;
  /** Namespace of every key and of the channel (default `edge:listen-key:`). */
  readonly keyPrefix?: string;
  /** How often the watched keys are checked for expiry (ms, default 2 000). */
  readonly checkIntervalMs?: number;
  /** A command that takes longer fails, and the request with it (ms, default 1 000). */
  readonly commandTimeoutMs?: number;
  /** Connection and command errors; called at most once per 10 s. */
  readonly onError?: (error: Error) => void;
}

export const DEFAULT_LISTEN_KEY_PREFIX = "edge:listen-key:";

/** Keys checked per MGET. */
const CHECK_BATCH = 500;

// KEYS: u:<user>, k:<candidate>. ARGV: prefix, user, candidate, ttl ms.
const OPEN = `
local existing = redis.call('GET', KEYS[1])
if existing then
  local owned = ARGV[1] .. 'k:' .. existing
  if redis.call('GET', owned) == ARGV[2] then
    redis.call('PEXPIRE', owned, ARGV[4])
    redis.call('PEXPIRE', KEYS[1], ARGV[4])
    return existing
  end
end
if redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[4], 'NX') then
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
  return ARGV[3]
end
return false`;

// KEYS: k:<key>, u:<user>. ARGV: user, ttl ms, key.
const KEEP_ALIVE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
return 1`;

// KEYS: k:<key>, u:<user>. ARGV: user, key, channel, message.
const DELETE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

type Scripted = Redis & {
  listenKeyOpen(userKey: string, candidateKey: string, prefix: string, userId: string, candidate: string, ttlMs: number): Promise<string | null>;
  listenKeyKeepAlive(key: string, userKey: string, userId: string, ttlMs: number, listenKey: string): Promise<number>;
  listenKeyDelete(key: string, userKey: string, userId: string, listenKey: string, channel: string, message: string): Promise<number>;
};

export class RedisListenKeyStore implements ListenKeyStore {
  private readonly redis: Scripted;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly watched = new Map<string, string>();
  private readonly checker: NodeJS.Timeout;
  private checking = false;
  private listener: ListenKeyEndListener = () => {};
  private readonly report: (error: Error) => void;

  constructor(options: RedisListenKeyStoreOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_LISTEN_KEY_PREFIX;
    this.channel = `${this.prefix}ended`;
    this.report = throttledReporter(options.onError);
    // No retries of a command and a short timeout: a request waits at most commandTimeoutMs, then
    // fails (-1001, try again). ioredis keeps reconnecting in the background.
    const redis = openRedis({ url: options.url, keyPrefix: this.prefix, commandTimeoutMs: options.commandTimeoutMs ?? 1_000, onError: this.report });
    redis.defineCommand("listenKeyOpen", { numberOfKeys: 2, lua: OPEN });
    redis.defineCommand("listenKeyKeepAlive", { numberOfKeys: 2, lua: KEEP_ALIVE });
    redis.defineCommand("listenKeyDelete", { numberOfKeys: 2, lua: DELETE });
    this.redis = redis as Scripted;
    // A connection of its own (one in subscriber mode runs no other command); it resubscribes after a reconnect.
    this.subscriber = openRedis({ url: options.url, onError: this.report });
    this.subscriber.on("message", (channel: string, message: string) => {
      if (channel === this.channel) this.announced(message);
    });
    this.subscriber.subscribe(this.channel).catch((error: unknown) => this.report(asError(error)));
    this.checker = setInterval(() => void this.check(), options.checkIntervalMs ?? 2_000);
    this.checker.unref();
  }

  /** Resolves once the channel subscription is in place (tests: a DELETE published before it is not heard). */
  async ready(): Promise<void> {
    if (this.subscriber.status !== "ready") await new Promise<void>((resolve) => this.subscriber.once("ready", () => resolve()));
    await this.subscriber.subscribe(this.channel);
  }

  async open(userId: string, candidate: string, ttlMs: number): Promise<string | undefined> {
    const key = await this.call(() => this.redis.listenKeyOpen(`u:${userId}`, `k:${candidate}`, this.prefix, userId, candidate, ttlMs));
    return key ?? undefined;
  }

  async keepAlive(listenKey: string, userId: string, ttlMs: number): Promise<boolean> {
    return (await this.call(() => this.redis.listenKeyKeepAlive(`k:${listenKey}`, `u:${userId}`, userId, ttlMs, listenKey))) === 1;
  }

  async delete(listenKey: string, userId: string): Promise<boolean> {
    const message = JSON.stringify({ listenKey, userId });
    const deleted = (await this.call(() => this.redis.listenKeyDelete(`k:${listenKey}`, `u:${userId}`, userId, listenKey, this.channel, message))) === 1;
    // This replica's sockets end now; the message, when it comes back, finds the key unwatched.
    if (deleted) this.ended(listenKey, userId, "deleted");
    return deleted;
  }

  async userOf(listenKey: string): Promise<string | undefined> {
    return (await this.call(() => this.redis.get(`k:${listenKey}`))) ?? undefined;
  }

  watch(listenKey: string, userId: string): void {
    this.watched.set(listenKey, userId);
  }

  unwatch(listenKey: string): void {
    this.watched.delete(listenKey);
  }

  onEnd(listener: ListenKeyEndListener): void {
    this.listener = listener;
  }

  /** Reads every watched key once and reports those gone as expired (also run every `checkIntervalMs`). */
  async check(): Promise<void> {
    if (this.checking || this.watched.size === 0) return;
    this.checking = true;
    try {
      const keys = [...this.watched.keys()];
      for (let i = 0; i < keys.length; i += CHECK_BATCH) {
        const batch = keys.slice(i, i + CHECK_BATCH);
        const owners = await this.redis.mget(batch.map((key) => `k:${key}`));
        batch.forEach((key, n) => {
          const userId = this.watched.get(key);
          if (userId !== undefined && owners[n] !== userId) this.ended(key, userId, "expired");
        });
      }
    } catch (error) {
      // Redis is away: the keys may well be alive, so no socket is ended for it.
      this.report(asError(error));
    } finally {
      this.checking = false;
    }
  }

  async close(): Promise<void> {
    clearInterval(this.checker);
    this.watched.clear();
    await Promise.all([closeRedis(this.subscriber), closeRedis(this.redis)]);
  }

  private announced(message: string): void {
    let parsed: { listenKey?: unknown; userId?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (typeof parsed.listenKey !== "string") return;
    const userId = this.watched.get(parsed.listenKey);
    if (userId !== undefined && userId === parsed.userId) this.ended(parsed.listenKey, userId, "deleted");
  }

  private ended(listenKey: string, userId: string, why: ListenKeyEnd): void {
    if (this.watched.get(listenKey) === userId) this.watched.delete(listenKey);
    this.listener(listenKey, userId, why);
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      // Known to be down: fail now rather than after a timeout.
      assertConnected(this.redis);
      return await command();
    } catch (error) {
      this.report(asError(error));
      throw new DomainError("DISCONNECTED", "Listen keys are unavailable; please try again.", [], { cause: "listen_key_store_unavailable" });
    }
  }
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
