// Where listen keys live: key -> user with a time to live, and user -> key (one live key per
// user). The embedded default is per process (listen-key-store.memory.ts); with several edge
// replicas they share one Redis (listen-key-store.redis.ts), so a key made through one replica
// works on every other and outlives a restart.

export type ListenKeyEnd = "expired" | "deleted";

/** Told when a key ends: its user, and whether it expired or was deleted. */
export type ListenKeyEndListener = (listenKey: string, userId: string, why: ListenKeyEnd) => void;

export interface ListenKeyStore {
  /**
   * The user's live key, its time to live reset to `ttlMs`; when the user has none, `candidate`
   * becomes it. Undefined only when `candidate` is already some other user's key (try another).
   */
  open(userId: string, candidate: string, ttlMs: number): Promise<string | undefined>;
  /** Resets the time to live of the user's own live key; false for anyone else's, or an unknown or ended one. */
  keepAlive(listenKey: string, userId: string, ttlMs: number): Promise<boolean>;
  /** Ends the user's own live key now; false for anyone else's, or an unknown or ended one. */
  delete(listenKey: string, userId: string): Promise<boolean>;
  /** The user a live key belongs to. */
  userOf(listenKey: string): Promise<string | undefined>;
  /**
   * Asks to hear when this key ends, wherever it is deleted or however it expires (this replica
   * has sockets on it). The listener hears each watched key's end once; it may hear of others.
   */
  watch(listenKey: string, userId: string): void;
  unwatch(listenKey: string): void;
  /** The one listener of ends (set before any watch). */
  onEnd(listener: ListenKeyEndListener): void;
  /** Stops watching and releases connections; keys in a shared store stay. */
  close(): Promise<void>;
}
