/** One operator action to record: who, why, what it was done to, and the state before and after. */
export interface AuditRecord {
  /** Milliseconds since the epoch (the caller's clock). */
  readonly time: number;
  /** The operator's user id. */
  readonly actor: string;
  /** What was done, e.g. "symbol.halt". */
  readonly action: string;
  /** What it was done to, e.g. "BTCUSDT". */
  readonly target: string;
  readonly reason: string;
  /** JSON-serialisable states (bigints become decimal strings); undefined: none. */
  readonly before?: unknown;
  readonly after?: unknown;
}

/** A recorded action, with its place in the log (ids increase from 1) and its states as JSON ("" for none). */
export interface AuditEntry {
  readonly id: number;
  readonly time: number;
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly reason: string;
  readonly beforeJson: string;
  readonly afterJson: string;
}

export interface AuditQuery {
  /** Only entries with an id below this one (0 or undefined: from the newest). */
  readonly beforeId?: number;
  /** At most this many. */
  readonly limit: number;
}

/** An append-only log of operator actions: entries are added and read, never changed or removed. */
export interface AuditLog {
  append(record: AuditRecord): Promise<AuditEntry>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}

/** The state as the log stores it: JSON with bigints as decimal strings, "" for none. */
export function auditJson(state: unknown): string {
  if (state === undefined) return "";
  return JSON.stringify(state, (_key, value: unknown) => (typeof value === "bigint" ? value.toString() : value));
}
