import { randomBytes } from "node:crypto";
import type { Cache } from "#kit/ports/cache.port.js";
import type { BalanceRow } from "../domain/ledger.js";
import type { BalanceCache, BalanceLookup } from "../ports/balance-cache.port.js";

/**
 * BalanceCache on the kit's Cache port (RedisCache shared by replicas, MemoryCache in one process). One key per
 * account, `bal:{<account>}`, holding either a generation token alone (looked up, not filled yet) or
 * "<generation> <rows>". A lookup of an absent key creates a token with setIfAbsent; a fill is a compareAndSet from
 * the bare token to the token with rows, so it succeeds only while nobody invalidated (deleted) the key or filled it
 * since; an invalidation deletes the key. Each operation is one atomic command on one key.
 *
 * Tokens are unique (this process's random id + a counter), never counters: a key that expired or was evicted and
 * is then created again can never come back equal to a token some reader still holds, so an old read is never
 * stored.
 */
export interface CacheBalanceCacheOptions {
  /** Where entries live; closed with this cache. */
  readonly cache: Cache;
  /** How long an entry lives: the staleness bound when an invalidation is lost (default 30 s). */
  readonly ttlMs?: number;
}

/** Lookups that find the key gone between setIfAbsent and get (deleted meanwhile) try again this often. */
const LOOKUP_ATTEMPTS = 3;

export class CacheBalanceCache implements BalanceCache {
  readonly ttlMs: number;
  private readonly cache: Cache;
  private readonly processId = randomBytes(6).toString("base64url");
  private sequence = 0;

  constructor(options: CacheBalanceCacheOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    if (!(this.ttlMs > 0)) throw new RangeError("ttlMs must be > 0");
    this.cache = options.cache;
  }

  async lookup(account: string): Promise<BalanceLookup> {
    const key = entryKey(account);
    for (let attempt = 1; ; attempt++) {
      // The common case, a filled entry, is one GET; an absent key gets this reader's token.
      const found = await this.cache.get(key);
      if (found !== undefined) return parse(account, found);
      const token = this.token();
      if (await this.cache.setIfAbsent(key, token, { ttlMs: this.ttlMs })) return { rows: undefined, generation: token };
      // Another reader created it first (or it was filled): read theirs. Gone again means deleted meanwhile.
      const theirs = await this.cache.get(key);
      if (theirs !== undefined) return parse(account, theirs);
      // A token nobody holds: this reader's fill is refused, as after any invalidation.
      if (attempt >= LOOKUP_ATTEMPTS) return { rows: undefined, generation: token };
    }
  }

  async fill(account: string, generation: string, rows: readonly BalanceRow[]): Promise<boolean> {
    return this.cache.compareAndSet(entryKey(account), generation, `${generation} ${encodeRows(rows)}`, { ttlMs: this.ttlMs });
  }

  async invalidate(accounts: readonly string[]): Promise<void> {
    // Sent back to back without waiting for each reply: one round trip for a batch's accounts.
    await Promise.all([...new Set(accounts)].map((account) => this.cache.delete(entryKey(account))));
  }

  close(): Promise<void> {
    return this.cache.close();
  }

  private token(): string {
    this.sequence += 1;
    return `${this.processId}.${this.sequence.toString(36)}`;
  }
}

// The key the Lua-scripted adapter this replaces kept its entries under, so during a rolling upgrade either version's
// invalidation deletes the other's entries.
export const entryKey = (account: string) => `bal:{${account}}`;

function parse(account: string, value: string): BalanceLookup {
  const space = value.indexOf(" ");
  if (space < 0) return { rows: undefined, generation: value };
  return { rows: decodeRows(account, value.slice(space + 1)), generation: value.slice(0, space) };
}

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
