import { withSpan } from "#kit/telemetry/tracing.js";
import type { Journal, JournalRecord, ReplayResult } from "../ports/journal.port.js";
import type { MatchingMetrics } from "./matching.metrics.js";

/** A journal whose appends are timed (one clock read per group, not per command) and, with tracing, spans. */
export class TimedJournal implements Journal {
  readonly pipelined?: boolean;

  constructor(
    private readonly inner: Journal,
    private readonly kind: "file" | "kafka",
    private readonly metrics: MatchingMetrics,
  ) {
    this.pipelined = inner.pipelined;
  }

  async append(records: readonly JournalRecord[]): Promise<void> {
    const start = process.hrtime.bigint();
    const count = records.length; // the engine reuses the array once the append resolved
    await withSpan("matching.journal.append", { "exchange.journal": this.kind, "exchange.journal.records": count }, () => this.inner.append(records));
    this.metrics.journalAppend.observe({ journal: this.kind }, Number(process.hrtime.bigint() - start) / 1e9);
    this.metrics.journalRecords.inc({ journal: this.kind }, count);
  }

  roll(): Promise<unknown> {
    return this.inner.roll ? this.inner.roll() : Promise.resolve(null);
  }

  firstSeq(): Promise<number> {
    return this.inner.firstSeq ? this.inner.firstSeq() : Promise.resolve(1);
  }

  replay(afterSeq: number, onRecord: (r: JournalRecord) => void): Promise<ReplayResult> {
    return this.inner.replay(afterSeq, onRecord);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
