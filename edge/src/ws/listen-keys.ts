import { randomBytes } from "node:crypto";
import { DomainError } from "#kit/errors/domain-error.js";

// Binance's listen keys: one per user (POST answers the user's live key and extends it), valid
// for `ttlMs` after the last POST or PUT, gone after DELETE. A key names its user only: nothing
// is ever looked up by key for anyone else.

export type ListenKeyEnd = "expired" | "deleted";

export interface ListenKeysOptions {
  /** Validity after creation or the last keepalive (Binance: 60 minutes). */
  readonly ttlMs: number;
  /** Called once when a key ends, after it is forgotten (its sockets are closed there). */
  readonly onEnd: (listenKey: string, userId: string, why: ListenKeyEnd) => void;
}

interface Entry {
  readonly userId: string;
  timer: NodeJS.Timeout;
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

/** A path segment that names a listen key rather than a stream (stream names always have an '@'). */
export const looksLikeListenKey = (segment: string): boolean => /^[A-Za-z0-9]{1,128}$/.test(segment);

/** The live listen keys of this edge replica (in memory). */
export class ListenKeys {
  private readonly byKey = new Map<string, Entry>();
  private readonly byUser = new Map<string, string>();

  constructor(private readonly options: ListenKeysOptions) {}

  /** The user's live key, extended; a new one when there is none. */
  open(userId: string): string {
    const existing = this.byUser.get(userId);
    if (existing !== undefined) {
      this.extend(existing);
      return existing;
    }
    let key = newListenKey();
    while (this.byKey.has(key)) key = newListenKey();
    this.byKey.set(key, { userId, timer: this.expiry(key) });
    this.byUser.set(userId, key);
    return key;
  }

  /** PUT: extends the user's own key; anyone else's, or an unknown one, is -1125. */
  keepAlive(listenKey: string, userId: string): void {
    this.owned(listenKey, userId);
    this.extend(listenKey);
  }

  /** DELETE: ends the user's own key; anyone else's, or an unknown one, is -1125. */
  delete(listenKey: string, userId: string): void {
    this.owned(listenKey, userId);
    this.end(listenKey, "deleted");
  }

  /** The user a live key belongs to. */
  userOf(listenKey: string): string | undefined {
    return this.byKey.get(listenKey)?.userId;
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Forgets every key without ending anything (shutdown). */
  clear(): void {
    for (const entry of this.byKey.values()) clearTimeout(entry.timer);
    this.byKey.clear();
    this.byUser.clear();
  }

  private owned(listenKey: string, userId: string): void {
    if (this.byKey.get(listenKey)?.userId !== userId) throw new DomainError("INVALID_LISTEN_KEY");
  }

  private extend(listenKey: string): void {
    const entry = this.byKey.get(listenKey)!;
    clearTimeout(entry.timer);
    entry.timer = this.expiry(listenKey);
  }

  private expiry(listenKey: string): NodeJS.Timeout {
    const timer = setTimeout(() => this.end(listenKey, "expired"), this.options.ttlMs);
    timer.unref();
    return timer;
  }

  private end(listenKey: string, why: ListenKeyEnd): void {
    const entry = this.byKey.get(listenKey);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.byKey.delete(listenKey);
    if (this.byUser.get(entry.userId) === listenKey) this.byUser.delete(entry.userId);
    this.options.onEnd(listenKey, entry.userId, why);
  }
}
