/**
 * Engine runner for one symbol: journal-then-apply with group commit, periodic snapshots, recovery.
 *
 * submit()/submitBatch() queue commands; one flush at a time takes everything queued, assigns the next sequence
 * ids, appends them to the journal in ONE durable write (one fsync), and only then applies them to the book and
 * resolves the callers (acknowledgement = durable). Commands queued while a flush is in flight form the next group.
 * Recovery: latest snapshot (if any) + replay of the journal records after its seq; a torn tail is cut by the
 * journal. The book is pure: the same journal always rebuilds the same state and the same last seq.
 */
import type { Command } from "./domain/commands.js";
import { CollectingSink, type EventBatch, type EventSink } from "./domain/events.js";
import { OrderBook } from "./domain/order-book.js";
import { stateHash } from "./domain/state-hash.js";
import type { Journal, JournalRecord } from "./ports/journal.port.js";
import type { SnapshotStore } from "./ports/snapshot-store.port.js";

export interface EngineOptions {
  symbol: string;
  journal: Journal;
  snapshots?: SnapshotStore;
  /** take a snapshot after this many applied commands (0 = never). */
  snapshotEvery?: number;
}

interface Pending {
  cmds: readonly Command[];
  sink: EventSink | null; // null: collect objects for the caller
  resolve: (b: EventBatch[]) => void;
  reject: (e: unknown) => void;
}

class DiscardSink implements EventSink {
  begin(): void {}
  accepted(): void {}
  rejected(): void {}
  trade(): void {}
  orderUpdate(): void {}
  bookDelta(): void {}
  end(): void {}
}

export class MatchingEngine {
  private queue: Pending[] = [];
  private flushing = false;
  private sinceSnapshot = 0;
  private snapshotting: Promise<void> | null = null;
  private failed: unknown = null;
  private readonly records: JournalRecord[] = [];

  private constructor(
    private readonly opts: EngineOptions,
    readonly book: OrderBook,
    readonly recovery: { fromSnapshotSeq: number; replayed: number; truncatedBytes: number },
  ) {}

  static async open(opts: EngineOptions): Promise<MatchingEngine> {
    const snap = opts.snapshots ? await opts.snapshots.loadLatest() : null;
    const book = snap ? OrderBook.fromState(snap) : new OrderBook();
    const sink = new DiscardSink();
    const from = book.seq;
    const r = await opts.journal.replay(from, (rec) => {
      if (rec.seq !== book.seq + 1) throw new Error(`journal gap: expected seq ${book.seq + 1}, got ${rec.seq}`);
      book.apply(rec.cmd, sink);
    });
    if (r.lastSeq > 0 && r.lastSeq < from) throw new Error(`journal ends at ${r.lastSeq}, before snapshot ${from}`);
    return new MatchingEngine(opts, book, { fromSnapshotSeq: from, replayed: r.replayed, truncatedBytes: r.truncatedBytes });
  }

  get symbol(): string {
    return this.opts.symbol;
  }
  get lastSeq(): number {
    return this.book.seq;
  }
  stateHash(): string {
    return stateHash(this.book.state());
  }

  /** Journals then applies one command; resolves with its event batch once durable. */
  async submit(cmd: Command): Promise<EventBatch> {
    const [b] = await this.enqueue([cmd], null);
    return b;
  }
  /** Journals then applies commands in order (one group); resolves with one batch per command. */
  submitBatch(cmds: readonly Command[]): Promise<EventBatch[]> {
    return this.enqueue(cmds, null);
  }
  /** Allocation-light variant: events go to `sink` after the group is durable. */
  async submitInto(cmds: readonly Command[], sink: EventSink): Promise<void> {
    await this.enqueue(cmds, sink);
  }

  private enqueue(cmds: readonly Command[], sink: EventSink | null): Promise<EventBatch[]> {
    if (this.failed) return Promise.reject(this.failed);
    for (const c of cmds) {
      // the journal codec needs the command's shape; field VALUES are validated (and rejected) by the book
      if (typeof c !== "object" || c === null || (c.type === "CANCEL_REPLACE" && (typeof c.order !== "object" || c.order === null))) {
        return Promise.reject(new TypeError("malformed command"));
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ cmds, sink, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue;
        this.queue = [];
        const recs = this.records;
        recs.length = 0;
        let seq = this.book.seq;
        for (const p of group) for (const cmd of p.cmds) recs.push({ seq: ++seq, cmd });
        try {
          await this.opts.journal.append(recs);
        } catch (e) {
          // not durable: nothing applied; the engine refuses further work (restart recovers from the journal)
          this.failed = e;
          for (const p of group) p.reject(e);
          for (const p of this.queue) p.reject(e);
          this.queue = [];
          return;
        }
        for (const p of group) {
          if (p.sink) {
            for (const cmd of p.cmds) this.book.apply(cmd, p.sink);
            p.resolve([]);
          } else {
            const s = new CollectingSink(this.opts.symbol);
            for (const cmd of p.cmds) this.book.apply(cmd, s);
            p.resolve(s.take());
          }
        }
        this.sinceSnapshot += recs.length;
        const every = this.opts.snapshotEvery ?? 0;
        if (every > 0 && this.opts.snapshots && this.sinceSnapshot >= every && !this.snapshotting) {
          this.sinceSnapshot = 0;
          // state is captured synchronously (consistent at this seq); the write happens in the background
          const st = this.book.state();
          this.snapshotting = this.opts.snapshots.save(st).finally(() => (this.snapshotting = null));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** Writes a snapshot of the current state now. */
  async snapshot(): Promise<void> {
    await this.snapshotting;
    if (this.opts.snapshots) await this.opts.snapshots.save(this.book.state());
  }

  async close(): Promise<void> {
    while (this.flushing || this.queue.length) await new Promise((r) => setImmediate(r));
    await this.snapshotting;
    await this.opts.journal.close();
  }
}
