/**
 * Engine runner for one symbol: journal-then-apply with group commit, periodic snapshots, recovery.
 *
 * submit()/submitBatch() queue commands; everything queued becomes one group: it gets the next sequence ids and is
 * appended to the journal in ONE durable write (one fsync); only once that append resolved is the group applied to
 * the book and are its callers resolved (acknowledgement = durable). Commands queued meanwhile form the next group.
 * With a journal that supports pipelining (FileJournal: `pipelined`), the next group is started (encoded and
 * written) while the previous one is still being synced, and groups are applied strictly in order, each only after
 * its own append resolved; other journals get one group at a time.
 * Recovery: latest snapshot (if any) + replay of the journal records after its seq; a torn tail is cut by the
 * journal. The book is pure: the same journal always rebuilds the same state and the same last seq.
 */
import type { Command } from "./domain/commands.js";
import { CollectingSink, NullSink, type EventBatch, type EventSink } from "./domain/events.js";
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
  /**
   * Runs after each snapshot is saved and the journal rolled to a new segment (archiving, retention), in the
   * background of the hot path; its failure is its own to report, never the engine's.
   */
  afterSnapshot?: (seq: number) => Promise<void>;
}

interface Pending {
  cmds: readonly Command[];
  sink: EventSink | null; // null: collect objects for the caller
  resolve: (b: EventBatch[]) => void;
  reject: (e: unknown) => void;
}


/** a group of queued submissions whose journal append has been started. */
interface Group {
  pending: Pending[];
  recs: JournalRecord[];
  durable: Promise<void>;
}

/** groups journaled at once with a pipelining journal: one being synced while the next one is encoded. */
const PIPELINED_GROUPS = 2;

export class MatchingEngine {
  private queue: Pending[] = [];
  private queued = 0;
  private readonly inFlight: Group[] = [];
  private draining = false;
  private nextSeq: number;
  private sinceSnapshot = 0;
  private snapshotting: Promise<void> | null = null;
  private failed: unknown = null;
  /** reusable record arrays (with their record objects) for groups. */
  private readonly recPool: JournalRecord[][] = [];
  private readonly maxInFlight: number;

  private constructor(
    private readonly opts: EngineOptions,
    readonly book: OrderBook,
    readonly recovery: { fromSnapshotSeq: number; replayed: number; truncatedBytes: number },
  ) {
    this.nextSeq = book.seq + 1;
    this.maxInFlight = opts.journal.pipelined === true ? PIPELINED_GROUPS : 1;
  }
  static async open(opts: EngineOptions): Promise<MatchingEngine> {
    const snap = opts.snapshots ? await opts.snapshots.loadLatest() : null;
    const book = snap ? OrderBook.fromState(snap) : new OrderBook();
    const sink = new NullSink();
    const from = book.seq;
    const r = await opts.journal.replay(from, (rec) => {
      if (rec.seq !== book.seq + 1) throw new Error(`journal gap: expected seq ${book.seq + 1}, got ${rec.seq}`);
      book.apply(rec.cmd, sink);
    });
    if (r.lastSeq > 0 && r.lastSeq < from) throw new Error(`journal ends at ${r.lastSeq}, before snapshot ${from}`);
    return new MatchingEngine(opts, book, { fromSnapshotSeq: from, replayed: r.replayed, truncatedBytes: r.truncatedBytes });
  }

  /**
   * An engine over a book already current with its journal (a warm standby that followed the log up to its own
   * fence: warm-standby.ts): nothing is read; the next command gets book.seq + 1.
   */
  static resume(opts: EngineOptions, book: OrderBook): MatchingEngine {
    return new MatchingEngine(opts, book, { fromSnapshotSeq: book.seq, replayed: 0, truncatedBytes: 0 });
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
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i];
      // the journal codec needs the command's shape; field VALUES are validated (and rejected) by the book
      if (
        typeof c !== "object" ||
        c === null ||
        (c.type === "CANCEL_REPLACE" && (typeof c.order !== "object" || c.order === null)) ||
        (c.type === "PLACE_LIST" && (!Array.isArray(c.orders) || c.orders.length > 3 || c.orders.some((o) => typeof o !== "object" || o === null))) ||
        (c.type === "FUND_PENDING" && c.budgets !== undefined && (!Array.isArray(c.budgets) || c.budgets.length > 3))
      ) {
        return Promise.reject(new TypeError("malformed command"));
      }
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ cmds, sink, resolve, reject });
      this.queued += cmds.length;
      this.pump();
    });
  }

  /**
   * Starts a journal append for everything queued when fewer than maxInFlight groups are in flight (pipelined: the
   * next group is encoded and written while the previous one syncs), and runs the drain loop.
   */
  private pump(): void {
    while (this.queue.length > 0 && this.inFlight.length < this.maxInFlight && !this.failed) {
      const pending = this.queue;
      this.queue = [];
      const n = this.queued;
      this.queued = 0;
      const recs = this.recPool.pop() ?? [];
      let k = 0;
      let seq = this.nextSeq;
      for (const p of pending) {
        const cmds = p.cmds;
        for (let i = 0; i < cmds.length; i++) {
          const r = recs[k];
          if (r === undefined) recs.push({ seq: seq++, cmd: cmds[i] });
          else {
            r.seq = seq++;
            r.cmd = cmds[i];
          }
          k++;
        }
      }
      recs.length = n;
      this.nextSeq = seq;
      const durable = this.opts.journal.append(recs);
      durable.catch(() => {}); // observed by the drain loop; avoid an unhandled rejection while it waits on another group
      this.inFlight.push({ pending, recs, durable });
    }
    if (!this.draining && this.inFlight.length > 0) void this.drain();
  }

  /** Applies groups in order once each is durable, then acknowledges their submissions. */
  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.inFlight.length > 0) {
        const g = this.inFlight[0];
        try {
          await g.durable;
        } catch (e) {
          // not durable: nothing of it applied; the engine refuses further work (restart recovers from the journal)
          this.failed = e;
          for (const x of this.inFlight.splice(0)) for (const p of x.pending) p.reject(e);
          for (const p of this.queue) p.reject(e);
          this.queue = [];
          this.queued = 0;
          return;
        }
        this.inFlight.shift();
        // start the next group (if any is queued) before applying this one: its encode/write/sync overlaps
        this.pump();
        for (const p of g.pending) {
          if (p.sink) {
            const cmds = p.cmds;
            for (let i = 0; i < cmds.length; i++) this.book.apply(cmds[i], p.sink);
            p.resolve([]);
          } else {
            const s = new CollectingSink(this.opts.symbol);
            for (const cmd of p.cmds) this.book.apply(cmd, s);
            p.resolve(s.take());
          }
        }
        const applied = g.recs.length;
        for (let i = 0; i < applied; i++) g.recs[i].cmd = null as unknown as Command; // do not retain commands
        this.recPool.push(g.recs);
        this.sinceSnapshot += applied;
        const every = this.opts.snapshotEvery ?? 0;
        if (every > 0 && this.opts.snapshots && this.sinceSnapshot >= every && !this.snapshotting) {
          this.sinceSnapshot = 0;
          // state is captured synchronously (consistent at this seq); the write happens in the background
          const st = this.book.state();
          this.snapshotting = this.saveSnapshot(st).finally(() => (this.snapshotting = null));
        }
        this.pump();
      }
    } finally {
      this.draining = false;
    }
  }

  /** Saves a snapshot, then rolls the journal to a new segment and runs afterSnapshot. */
  private async saveSnapshot(state: ReturnType<OrderBook["state"]>): Promise<void> {
    await this.opts.snapshots!.save(state);
    await this.opts.journal.roll?.();
    await this.opts.afterSnapshot?.(state.seq).catch(() => undefined);
  }

  /** Writes a snapshot of the current state now (and rolls the journal). */
  async snapshot(): Promise<void> {
    await this.snapshotting;
    if (this.opts.snapshots) await this.saveSnapshot(this.book.state());
  }

  /** Closes the journal's current segment (segmented journals), once every command queued so far is journaled. */
  async rollJournal(): Promise<void> {
    while (this.draining || this.inFlight.length > 0 || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    await this.opts.journal.roll?.();
  }

  async close(): Promise<void> {
    while (this.draining || this.inFlight.length > 0 || this.queue.length > 0) await new Promise((r) => setImmediate(r));
    await this.snapshotting;
    await this.opts.journal.close();
  }
}
