import { randomBytes } from "node:crypto";
import { DomainError } from "#kit/errors/domain-error.js";
import { MemoryListenKeyStore } from "./listen-key-store.memory.js";
import type { ListenKeyEnd, ListenKeyStore } from "./listen-key-store.port.js";

// Binance's listen keys: one per user (POST answers the user's live key and extends it), valid
// for `ttlMs` after the last POST or PUT, gone after DELETE. A key names its user only: nothing
// is ever looked up by key for anyone else. Where they live is the store's business: this
// process's memory by default, or one Redis shared by every edge replica.

export type { ListenKeyEnd } from "./listen-key-store.port.js";

export interface ListenKeysOptions {
  /** Validity after creation or the last keepalive (Binance: 60 minutes). */
  readonly ttlMs: number;
  /** Called once when a key ends, after it is forgotten (its sockets are closed there). */
  readonly onEnd: (listenKey: string, userId: string, why: ListenKeyEnd) => void;
  /** Where the keys live (default: this process's memory). */
  readonly store?: ListenKeyStore;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** 60 random letters and digits, as Binance's (unbiased: bytes past the last whole multiple of 62 are skipped). */
export function newListenKey(): string {
  let key = "";
  while (key.length < 60) {
    for (const byte of randomBytes(64)) if (byte < 248 && key.length < 60) key += ALPHABET[byte % 62];
  }
  return key;
}

/**
 * A path segment that names a listen key: 60 letters and digits, as newListenKey makes them. Stream
 * names always have an '@'; anything else after /ws/ (ccxt's `/ws/0`) opens a market stream
 * connection without streams, as on Binance.
 */
export const looksLikeListenKey = (segment: string): boolean => /^[A-Za-z0-9]{60}$/.test(segment);

/** The listen keys this edge replica serves, over a store; unknown keys and anyone else's are -1125. */
export class ListenKeys {
  readonly store: ListenKeyStore;

  constructor(private readonly options: ListenKeysOptions) {
    this.store = options.store ?? new MemoryListenKeyStore();
    this.store.onEnd(options.onEnd);
  }

  /** The user's live key, extended; a new one when there is none. */
  async open(userId: string): Promise<string> {
    for (;;) {
      const key = await this.store.open(userId, newListenKey(), this.options.ttlMs);
      if (key !== undefined) return key;
    }
  }

  /** PUT: extends the user's own key; anyone else's, or an unknown one, is -1125. */
  async keepAlive(listenKey: string, userId: string): Promise<void> {
    if (!(await this.store.keepAlive(listenKey, userId, this.options.ttlMs))) throw new DomainError("INVALID_LISTEN_KEY");
  }

  /** DELETE: ends the user's own key (its sockets on every replica hear it); anyone else's, or an unknown one, is -1125. */
  async delete(listenKey: string, userId: string): Promise<void> {
    if (!(await this.store.delete(listenKey, userId))) throw new DomainError("INVALID_LISTEN_KEY");
  }

  /** The user a live key belongs to. */
  userOf(listenKey: string): Promise<string | undefined> {
    return this.store.userOf(listenKey);
  }

  /** This replica has sockets on the key: onEnd must hear when it ends, wherever that happens. */
  watch(listenKey: string, userId: string): void {
    this.store.watch(listenKey, userId);
  }

  /** The key's last socket here closed. */
  unwatch(listenKey: string): void {
    this.store.unwatch(listenKey);
  }

  /** Stops watching; a memory store forgets every key without ending anything (shutdown). */
  close(): Promise<void> {
    return this.store.close();
  }
}
