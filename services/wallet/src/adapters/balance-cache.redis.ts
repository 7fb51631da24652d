import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import type { BalanceRow } from "../domain/ledger.js";
import type { BalanceCache, BalanceLookup } from "../ports/balance-cache.port.js";

/**
 * BalanceCache on Redis (ioredis; ElastiCache with a rediss:// URL). Per account two keys in one
 * hash slot: `gen:{account}` (a generation token) and `bal:{account}` ("<generation> <rows>").
 * Each operation is one Lua script, so the compare-and-set of a fill is atomic.
 *
 * Generations are unique tokens (this process's random id + a counter), not counters: a gen key
 * that expired or was evicted and is then recreated can never come back equal to a token some
 * reader still holds, so an old read is never stored.
 */
export interface RedisBalanceCacheOptions {
  readonly url: string;
  /** Namespace of every key (default `wallet:`). */
  readonly keyPrefix?: string;
  /** How long an entry lives: the staleness bound when an invalidation is lost (default 30 s). */
  readonly ttlMs?: number;
  /** A command that takes longer fails (and the caller falls back to the store); default 250 ms. */
  readonly commandTimeoutMs?: number;
  /** Connection errors (ioredis keeps reconnecting); called at most once per 10 s. */
  readonly onConnectionError?: (error: Error) => void;
}

// KEYS: gen, entry. ARGV: a new token (used if the account has no generation yet), its TTL.
const LOOKUP = `
local gen = redis.call('GET', KEYS[1])
if not gen then
  gen = ARGV[1]
  redis.call('SET', KEYS[1], gen, 'PX', ARGV[2])
end
return {gen, redis.call('GET', KEYS[2])}
`;

// KEYS: gen, entry. ARGV: the generation looked up, the rows, entry TTL, generation TTL.
const FILL = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[1] .. ' ' .. ARGV[2], 'PX', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1
`;

// KEYS: gen, entry. ARGV: a new token, its TTL.
const INVALIDATE = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`;

interface Scripts {
  walletBalanceLookup(gen: string, entry: string, token: string, genTtlMs: number): Promise<[string, string | null]>;
  walletBalanceFill(gen: string, entry: string, generation: string, rows: string, ttlMs: number, genTtlMs: number): Promise<number>;
  walletBalanceInvalidate(gen: string, entry: string, token: string, genTtlMs: number): Promise<number>;
}

export class RedisBalanceCache implements BalanceCache {
  readonly ttlMs: number;
  private readonly genTtlMs: number;
  private readonly redis: Redis & Scripts;
  private readonly processId = randomBytes(6).toString("base64url");
  private sequence = 0;
  private lastErrorReport = 0;

  constructor(options: RedisBalanceCacheOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    if (!(this.ttlMs > 0)) throw new RangeError("ttlMs must be > 0");
    // A generation outlives the entries filled under it (a fill refreshes it).
    this.genTtlMs = 2 * this.ttlMs;
    const redis = new Redis(options.url, {
      keyPrefix: options.keyPrefix ?? "wallet:",
      // Commands wait for the first connection (bounded by commandTimeout); a failed connection
      // attempt fails them at once, and so does `client()` while reconnecting.
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 250,
      connectTimeout: 2_000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    redis.on("error", (error: Error) => {
      const now = Date.now();
      if (now - this.lastErrorReport < 10_000) return;
      this.lastErrorReport = now;
      options.onConnectionError?.(error);
    });
    redis.defineCommand("walletBalanceLookup", { numberOfKeys: 2, lua: LOOKUP });
    redis.defineCommand("walletBalanceFill", { numberOfKeys: 2, lua: FILL });
    redis.defineCommand("walletBalanceInvalidate", { numberOfKeys: 2, lua: INVALIDATE });
    this.redis = redis as Redis & Scripts;
  }

  async lookup(account: string): Promise<BalanceLookup> {
    const [generation, entry] = await this.client().walletBalanceLookup(genKey(account), entryKey(account), this.token(), this.genTtlMs);
    if (entry === null) return { rows: undefined, generation };
    const space = entry.indexOf(" ");
    // An entry is only ever written under the current generation; checked anyway.
    if (entry.slice(0, space) !== generation) return { rows: undefined, generation };
    return { rows: decodeRows(account, entry.slice(space + 1)), generation };
  }

  async fill(account: string, generation: string, rows: readonly BalanceRow[]): Promise<boolean> {
    return (await this.client().walletBalanceFill(genKey(account), entryKey(account), generation, encodeRows(rows), this.ttlMs, this.genTtlMs)) === 1;
  }

  async invalidate(accounts: readonly string[]): Promise<void> {
    if (accounts.length === 0) return;
    // Sent back to back without waiting for each reply: one round trip for a batch's accounts.
    await Promise.all([...new Set(accounts)].map((account) => this.client().walletBalanceInvalidate(genKey(account), entryKey(account), this.token(), this.genTtlMs)));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** The connection, unless it is known to be down: then fail now rather than after a timeout. */
  private client(): Redis & Scripts {
    const status = this.redis.status;
    if (status === "reconnecting" || status === "close" || status === "end") throw new Error(`redis is ${status}`);
    return this.redis;
  }

  private token(): string {
    this.sequence += 1;
    return `${this.processId}.${this.sequence.toString(36)}`;
  }
}

// A hash tag keeps both keys of an account in one cluster slot (Lua scripts need that).
const genKey = (account: string) => `gen:{${account}}`;
const entryKey = (account: string) => `bal:{${account}}`;

/** Exact: every amount travels as a decimal string. */
function encodeRows(rows: readonly BalanceRow[]): string {
  return JSON.stringify(rows.map((row) => [row.asset, row.available.toString(), row.locked.toString(), row.pending.toString()]));
}

function decodeRows(account: string, text: string): BalanceRow[] {
  return (JSON.parse(text) as [string, string, string, string][]).map(([asset, available, locked, pending]) => ({
    account,
    asset,
    available: BigInt(available),
    locked: BigInt(locked),
    pending: BigInt(pending),
  }));
}
