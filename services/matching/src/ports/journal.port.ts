import type { Command } from "../domain/commands.js";

/** One journaled command with the sequence id it is applied under. */
export interface JournalRecord {
  seq: number;
  cmd: Command;
}

export interface ReplayResult {
  /** last valid sequence id in the journal (0 when empty). */
  lastSeq: number;
  /** records handed to the callback (seq > afterSeq). */
  replayed: number;
  /** bytes of torn/corrupt tail cut off (never applied). */
  truncatedBytes: number;
}

/**
 * The per-symbol command log. `append` resolves only once every record is durable (one fsync per call: callers
 * batch records for group commit). `replay` streams the valid records in order and cuts a torn/corrupt tail.
 */
export interface Journal {
  /**
   * True when append() may be called again before the previous call resolved: calls are ordered
   * on disk in call order, and each resolves only after it and every earlier call are durable.
   */
  readonly pipelined?: boolean;
  append(records: readonly JournalRecord[]): Promise<void>;
  /**
   * Segmented journals: closes the current segment once every earlier append is durable and starts the next one
   * (the engine calls it after each snapshot, so a segment spans the commands between two snapshots).
   */
  roll?(): Promise<unknown>;
  /** The first seq the journal still holds (older segments archived and deleted); 1 when it holds them all. */
  firstSeq?(): Promise<number>;
  replay(afterSeq: number, onRecord: (r: JournalRecord) => void): Promise<ReplayResult>;
  close(): Promise<void>;
}

/** The journal refused an append because a newer writer took it over (a Kafka transactional id fenced). */
export class JournalFencedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "JournalFencedError";
  }
}
