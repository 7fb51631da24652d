import type { ListenKeyEnd, ListenKeyEndListener, ListenKeyStore } from "./listen-key-store.port.js";

// The embedded default: listen keys in this process's memory, each with an expiry timer. One edge
// replica only (another replica, or this one after a restart, knows none of them). It reports the
// end of every key, watched or not.

interface Entry {
  readonly userId: string;
  timer: NodeJS.Timeout;
}

export class MemoryListenKeyStore implements ListenKeyStore {
  private readonly byKey = new Map<string, Entry>();
  private readonly byUser = new Map<string, string>();
  private listener: ListenKeyEndListener = () => {};

  async open(userId: string, candidate: string, ttlMs: number): Promise<string | undefined> {
    const existing = this.byUser.get(userId);
    if (existing !== undefined) {
      this.extend(existing, ttlMs);
      return existing;
    }
    if (this.byKey.has(candidate)) return undefined;
    this.byKey.set(candidate, { userId, timer: this.expiry(candidate, ttlMs) });
    this.byUser.set(userId, candidate);
    return candidate;
  }

  async keepAlive(listenKey: string, userId: string, ttlMs: number): Promise<boolean> {
    if (this.byKey.get(listenKey)?.userId !== userId) return false;
    this.extend(listenKey, ttlMs);
    return true;
  }

  async delete(listenKey: string, userId: string): Promise<boolean> {
    if (this.byKey.get(listenKey)?.userId !== userId) return false;
    this.end(listenKey, "deleted");
    return true;
  }

  async userOf(listenKey: string): Promise<string | undefined> {
    return this.byKey.get(listenKey)?.userId;
  }

  watch(): void {}

  unwatch(): void {}

  onEnd(listener: ListenKeyEndListener): void {
    this.listener = listener;
  }

  /** Live keys (for tests). */
  get size(): number {
    return this.byKey.size;
  }

  /** Forgets every key without ending anything (shutdown). */
  async close(): Promise<void> {
    for (const entry of this.byKey.values()) clearTimeout(entry.timer);
    this.byKey.clear();
    this.byUser.clear();
  }

  private extend(listenKey: string, ttlMs: number): void {
    const entry = this.byKey.get(listenKey)!;
    clearTimeout(entry.timer);
    entry.timer = this.expiry(listenKey, ttlMs);
  }

  private expiry(listenKey: string, ttlMs: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.end(listenKey, "expired"), ttlMs);
    timer.unref();
    return timer;
  }

  private end(listenKey: string, why: ListenKeyEnd): void {
    const entry = this.byKey.get(listenKey);
    if (!entry) return;
    clearTimeout(entry.timer);
    this.byKey.delete(listenKey);
    if (this.byUser.get(entry.userId) === listenKey) this.byUser.delete(entry.userId);
    this.listener(listenKey, entry.userId, why);
  }
}
