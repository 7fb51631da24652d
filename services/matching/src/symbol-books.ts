import { join } from "node:path";
import type { EventBatch as EventBatchMessage, Command as CommandMessage } from "#gen/exchange/matching/v1/matching_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { Wakeups } from "#kit/lifecycle/wakeups.js";
import { currentTraceParent, tracingEnabled } from "#kit/telemetry/tracing.js";
import { FileAccountIds } from "./adapters/account-ids.file.js";
import { FileJournal } from "./adapters/journal.file.js";
import { TimedJournal } from "./adapters/journal.timed.js";
import type { MatchingMetrics } from "./adapters/matching.metrics.js";
import { FileSnapshotStore } from "./adapters/snapshot-store.file.js";
import { CollectingSink } from "./domain/events.js";
import { OrderBook } from "./domain/order-book.js";
import { MatchingEngine, type EngineOptions } from "./engine.js";
import type { Journal, JournalRecord } from "./ports/journal.port.js";
import { isEmpty, JournalArchive, type SymbolFiles } from "./journal-archive.js";
import { PlacedIds } from "./placed-ids.js";
import type { ObjectStore } from "#kit/ports/object-store.port.js";
import { placedOrderIds, toDomainCommand, toEventBatchMessage } from "./rpc/matching.mapper.js";
import { StandbyFailedError, WarmStandby, type FollowableLog, type Leadership } from "./warm-standby.js";
import { publishEvents, type EventPublishing } from "./event-publisher.js";

export interface SymbolBooksOptions {
  /** Journals, snapshots and account numbers live under <dataDir>/<SYMBOL>/. */
  readonly dataDir: string;
  /** Where a symbol's command log lives: a file under its directory (default) or Kafka. */
  readonly journal?: (symbol: string, dir: string) => Journal;
  readonly snapshotEvery?: number;
  /** How many recent event batches each symbol keeps for subscribers that fall behind. */
  readonly retainBatches?: number;
  /** Counts orders, trades and journal latency (the process's /metrics). */
  readonly metrics?: MatchingMetrics;
  /**
   * Archives closed journal segments, snapshots and account numbers here (journal-archive.ts), and restores a
   * symbol from here when the node holds nothing of it (a new node, a lost disk).
   */
  readonly archive?: { readonly objects: ObjectStore; readonly prefix?: string };
  /**
   * Publishes each symbol's event batches to the events topic once journaled (event-publisher.ts): from the last
   * sequence published (a checkpoint beside the journal) when the symbol opens, then live, in order.
   */
  readonly publish?: EventPublishing;
  /** Hears background failures (archiving) that do not stop matching. */
  readonly onError?: (error: unknown, context: string) => void;
  /**
   * Leader and warm standbys (distributed mode, with leases): a replica that does not lead a symbol answers
   * NotLeader at once, follows the symbol's log from then on, and takes the symbol over when its lease is free. Needs
   * the archive (a standby learns the account numbers the leader assigned from it when it takes over).
   */
  readonly standby?: StandbyOptions;
}

export interface StandbyOptions {
  /** The symbol's log, to follow (read only). */
  readonly follow: (symbol: string) => FollowableLog;
  /** A journal behind the symbol's lease that tries the lease once (NotLeaderError when another replica holds it). */
  readonly lead: (symbol: string) => Journal & Leadership;
  /** The symbols some replica leads (or led): this replica follows those it does not lead. */
  readonly discover: () => Promise<readonly string[]>;
  /** How often a standby tries the lease, and looks for symbols to follow. */
  readonly retryMs: number;
  /** How long a standby that took the lease may take to read its own fence. */
  readonly promoteTimeoutMs: number;
  /** Hears that this replica follows a symbol as a standby, and that it leads one it followed. */
  readonly onChange?: (symbol: string, role: "standby" | "leader") => void;
}

/** A symbol this replica follows while another leads it: what its log has built so far. */
interface Following {
  readonly standby: WarmStandby;
  readonly log: ReplayedLog;
  readonly retry: NodeJS.Timeout;
}

/**
 * What a symbol's log builds when it is read before its engine opens (a replay at start, or a standby following it):
 * the book, the order ids placed (a retried placement is a no-op) and the recent event batches, re-derived byte for
 * byte, so consumers that were behind can catch up: the event stream is a function of the command log.
 */
class ReplayedLog {
  readonly sink: CollectingSink;
  readonly placed = new PlacedIds();

  constructor(
    readonly book: OrderBook,
    symbol: string,
    private readonly retain: number,
  ) {
    this.sink = new CollectingSink(symbol);
  }

  readonly apply = (record: JournalRecord): void => {
    for (const id of placedOrderIds(record.cmd)) this.placed.add(id);
    this.book.apply(record.cmd, this.sink);
    if (this.sink.batches.length > this.retain * 2) this.sink.batches.splice(0, this.sink.batches.length - this.retain);
  };

  /** The retained batches as messages, with the accounts' names. */
  recent(accounts: FileAccountIds): EventBatchMessage[] {
    return this.sink.batches.slice(-this.retain).map((batch) => toEventBatchMessage(batch, accounts));
  }
}

/** One command's fate in a batch: its events, a retried placement, or why it was refused. */
export type BatchResult = EventBatchMessage | "duplicate" | { readonly error: unknown };

interface SymbolBook {
  readonly engine: MatchingEngine;
  readonly accounts: FileAccountIds;
  readonly archive?: JournalArchive;
  readonly files: SymbolFiles;
  /** Order ids placed: a placement of one of them is a retry (several order replicas deliver out of id order). */
  readonly placed: PlacedIds;
  readonly recent: EventBatchMessage[];
  readonly batches: Wakeups;
  /** The publisher of its batches to the events topic, while the book is open. */
  publisher?: { readonly stop: AbortController; readonly running: Promise<void> };
}

/**
 * One matching engine per symbol, opened on first use (journal replay + snapshot), with
 * idempotent placement, and a fan-out of each symbol's event batches to live subscribers.
 */
export class SymbolBooks {
  private readonly books = new Map<string, Promise<SymbolBook>>();
  private readonly following = new Map<string, Following>();
  private discovering: NodeJS.Timeout | null = null;

  constructor(private readonly options: SymbolBooksOptions) {}

  /**
   * Standby mode: from now on, follows every symbol another replica leads (polled every retryMs), so each is warm
   * here before its leader fails. A symbol this replica is asked for first is followed from then on anyway.
   */
  startStandby(): void {
    const standby = this.options.standby;
    if (!standby || !this.options.archive || this.discovering) return;
    const look = async () => {
      for (const symbol of await standby.discover()) if (!this.books.has(symbol) && !this.following.has(symbol)) this.follow(symbol, standby);
    };
    const tick = () => void look().catch((error: unknown) => this.options.onError?.(error, "looking for symbols to follow"));
    tick();
    this.discovering = setInterval(tick, standby.retryMs);
    this.discovering.unref();
  }

  private book(symbol: string): Promise<SymbolBook> {
    let book = this.books.get(symbol);
    if (!book) {
      book = this.open(symbol);
      this.books.set(symbol, book);
      book.then(
        (opened) => this.startPublishing(symbol, opened),
        () => this.books.delete(symbol),
      );
    }
    return book;
  }

  /** Opens the symbol's book now (its publisher starts with it), rather than on first use. */
  async warm(symbol: string): Promise<void> {
    await this.book(symbol);
  }

  /**
   * The publisher of an opened book: from the checkpoint on, through events() (the retained and live batches, in
   * sequence order). Batches older than the retained window cannot be published again: that is reported and the
   * publisher goes on from the oldest retained one.
   */
  private startPublishing(symbol: string, book: SymbolBook): void {
    const publishing = this.options.publish;
    if (!publishing || this.books.get(symbol) === undefined) return;
    const stop = new AbortController();
    const checkpoint = join(this.options.dataDir, symbol, "events-published");
    const events = async function* (this: SymbolBooks, from: number, signal: AbortSignal) {
      const oldest = book.recent.length > 0 ? Number(book.recent[0]!.sequence) : book.engine.lastSeq + 1;
      if (from < oldest) publishing.onError?.(new Error(`${symbol}: batches ${from}..${oldest - 1} are no longer retained and were not published`), "publishing events");
      yield* this.events(symbol, Math.max(from, oldest), signal);
    }.bind(this);
    const running = (async () => {
      while (!stop.signal.aborted) {
        try {
          await publishEvents(symbol, checkpoint, events, publishing, stop.signal);
        } catch (error) {
          if (stop.signal.aborted) return;
          publishing.onError?.(error, `publishing ${symbol}'s events`);
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 1_000);
            stop.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
          });
        }
      }
    })();
    book.publisher = { stop, running };
  }

  private async stopPublishing(book: SymbolBook): Promise<void> {
    book.publisher?.stop.abort();
    await book.publisher?.running;
  }

  private async open(symbol: string): Promise<SymbolBook> {
    const dir = join(this.options.dataDir, symbol);
    const files: SymbolFiles = { journalDir: join(dir, "journal"), snapshotDir: join(dir, "snapshots"), accountsFile: join(dir, "accounts.tsv") };
    const archived = this.options.archive;
    const archive = archived ? new JournalArchive(archived.objects, symbol, archived.prefix) : undefined;
    if (this.options.standby && archive) return this.takeOver(symbol, files, archive, this.options.standby);
    // A node that holds nothing of the symbol (new, or its disk lost) starts from the archive: the newest
    // snapshots, the closed segments after them, the account numbers; the log's tail (Kafka) does the rest.
    if (archive && (await isEmpty(files))) await archive.restore(files);
    // The journal is replayed once into a scratch book (ReplayedLog) before the engine opens it (no writer yet), from
    // the oldest snapshot the journal on disk follows (from the start while it holds every segment).
    const accounts = new FileAccountIds(files.accountsFile, archive ? (number, name) => archive.putAccount(number, name) : undefined);
    const metrics = this.options.metrics;
    const onSync = metrics ? (seconds: number) => metrics.journalFsync.observe(seconds) : undefined;
    const journal = this.options.journal ?? ((_: string, home: string) => new FileJournal(join(home, "journal"), { onSync }));
    const snapshots = new FileSnapshotStore(files.snapshotDir);
    const scan = journal(symbol, dir);
    const first = scan.firstSeq ? await scan.firstSeq() : 1;
    const base = first > 1 ? await snapshots.loadOldestFrom(first - 1) : null;
    if (first > 1 && !base) throw new Error(`${symbol}: the journal on disk starts at seq ${first} and no snapshot precedes it`);
    const log = new ReplayedLog(base ? OrderBook.fromState(base) : new OrderBook(), symbol, this.options.retainBatches ?? 100_000);
    if (base) for (const order of [...base.bids, ...base.asks, ...base.stops]) log.placed.add(order.orderId);
    await scan.replay(log.book.seq, log.apply);
    await scan.close();
    const engine = await MatchingEngine.open(this.engineOptions(symbol, journal(symbol, dir), this.options.journal ? "kafka" : "file", files, snapshots, archive));
    if (engine.lastSeq !== log.book.seq) throw new Error(`${symbol}: engine recovered to ${engine.lastSeq} but the journal replays to ${log.book.seq}`);
    return { engine, accounts, archive, files, placed: log.placed, recent: log.recent(accounts), batches: new Wakeups() };
  }

  /** How a symbol's engine journals (timed when there are metrics), snapshots, and archives after each snapshot. */
  private engineOptions(symbol: string, journal: Journal, kind: "kafka" | "file", files: SymbolFiles, snapshots: FileSnapshotStore, archive: JournalArchive | undefined): EngineOptions {
    const { metrics, onError } = this.options;
    return {
      symbol,
      journal: metrics ? new TimedJournal(journal, kind, metrics) : journal,
      snapshots,
      snapshotEvery: this.options.snapshotEvery ?? 100_000,
      afterSnapshot: archive
        ? (seq) =>
            archive.sync(files).then(
              () => undefined,
              (error) => onError?.(error, `archiving ${symbol}'s journal after snapshot ${seq}`),
            )
        : undefined,
    };
  }

  /**
   * Leads `symbol` with the book its log built while this replica followed it (warm-standby.ts): one attempt at the
   * lease; while another replica holds it, NotLeaderError, and this replica follows the symbol from now on (trying the
   * lease every retryMs, so it takes over once the leader is gone).
   */
  private async takeOver(symbol: string, files: SymbolFiles, archive: JournalArchive, options: StandbyOptions): Promise<SymbolBook> {
    const following = this.following.get(symbol) ?? this.follow(symbol, options);
    const journal = options.lead(symbol);
    try {
      await following.standby.promote(journal, options.promoteTimeoutMs);
    } catch (error) {
      await journal.close().catch(() => undefined); // stops renewing a lease it may have taken
      if (error instanceof StandbyFailedError) this.unfollow(symbol); // the next attempt follows afresh
      throw error;
    }
    this.unfollow(symbol);
    options.onChange?.(symbol, "leader");
    // The leader before this one may have numbered new accounts: every number is archived before it is handed out.
    await archive.restoreAccounts(files.accountsFile);
    const accounts = new FileAccountIds(files.accountsFile, (number, name) => archive.putAccount(number, name));
    const { log } = following;
    const engine = MatchingEngine.resume(this.engineOptions(symbol, journal, "kafka", files, new FileSnapshotStore(files.snapshotDir), archive), log.book);
    return { engine, accounts, archive, files, placed: log.placed, recent: log.recent(accounts), batches: new Wakeups() };
  }

  /** Follows the symbol's log into a scratch book, trying its lease every retryMs until this replica leads it. */
  private follow(symbol: string, options: StandbyOptions): Following {
    const log = new ReplayedLog(new OrderBook(), symbol, this.options.retainBatches ?? 100_000);
    const standby = new WarmStandby(options.follow(symbol), log.apply, symbol);
    const retry = setInterval(() => void this.book(symbol).catch(() => undefined), options.retryMs);
    retry.unref();
    const following: Following = { standby, log, retry };
    this.following.set(symbol, following);
    options.onChange?.(symbol, "standby");
    return following;
  }

  private unfollow(symbol: string): void {
    const following = this.following.get(symbol);
    if (!following) return;
    this.following.delete(symbol);
    clearInterval(following.retry);
    void following.standby.stop();
  }

  /** Journals and applies one command; a retried placement (id already placed) fails with AlreadyExists. */
  async submit(message: CommandMessage): Promise<EventBatchMessage> {
    const book = await this.book(message.symbol);
    const retain = this.options.retainBatches ?? 100_000;
    const command = await toDomainCommand(message, book.accounts);
    const ids = placedOrderIds(command);
    for (const id of ids) {
      if (book.placed.has(id)) {
        throw new DomainError("ALREADY_EXISTS", `order ${id} was already submitted to ${message.symbol}`, [], { orderId: String(id) });
      }
    }
    for (const id of ids) book.placed.add(id);
    // Through submitBatch like a batch: the same number of steps after the engine answers, so
    // lone commands and batches resolved by one engine group are recorded in the group's order.
    const [applied] = await this.journaled(message.symbol, book, [command]);
    const batch = toEventBatchMessage(applied!, book.accounts);
    if (tracingEnabled()) batch.traceParent = currentTraceParent();
    this.record(book, [batch], retain);
    return batch;
  }

  /**
   * Journals and applies commands of one symbol in the order given, in one durable write. Each
   * command gets its own result: its batch, "duplicate" (a placement already placed: nothing
   * journaled) or, for a malformed command, the error (nothing of it journaled); the others go on.
   */
  async submitBatch(symbol: string, messages: readonly CommandMessage[]): Promise<BatchResult[]> {
    const book = await this.book(symbol);
    const retain = this.options.retainBatches ?? 100_000;
    const results: BatchResult[] = new Array(messages.length);
    const commands: Awaited<ReturnType<typeof toDomainCommand>>[] = [];
    const slots: number[] = [];
    const converted = await Promise.allSettled(messages.map((message) => toDomainCommand(message, book.accounts)));
    // From here on nothing awaits until the engine has queued the group: ids are checked and
    // claimed in the order given.
    converted.forEach((outcome, index) => {
      if (outcome.status === "rejected") {
        results[index] = { error: outcome.reason };
        return;
      }
      const ids = placedOrderIds(outcome.value);
      if (ids.some((id) => book.placed.has(id))) {
        results[index] = "duplicate";
        return;
      }
      for (const id of ids) book.placed.add(id);
      commands.push(outcome.value);
      slots.push(index);
    });
    if (commands.length === 0) return results;
    const batches = await this.journaled(symbol, book, commands);
    const recorded = batches.map((batch, k) => (results[slots[k]!] = toEventBatchMessage(batch, book.accounts)));
    // Consumers continue the submitting call's trace (settlement, market data).
    if (tracingEnabled()) {
      const traceParent = currentTraceParent();
      for (const batch of recorded) batch.traceParent = traceParent;
    }
    this.record(book, recorded, retain);
    return results;
  }

  /**
   * The engine's batches for `commands`, once durable. If the engine failed (its journal could
   * not be written), the ids claimed for these commands were never journaled: the book is
   * dropped, so the next call reopens it from the journal (which knows only what was written),
   * and the caller hears Unavailable, to try again.
   */
  private async journaled(symbol: string, book: SymbolBook, commands: Parameters<MatchingEngine["submitBatch"]>[0]) {
    try {
      return await book.engine.submitBatch(commands);
    } catch (error) {
      const current = this.books.get(symbol);
      if (current && (await current.catch(() => undefined)) === book) {
        this.books.delete(symbol);
        await this.stopPublishing(book);
        await book.engine.close().catch(() => undefined);
        book.accounts.close();
      }
      throw new DomainError("DISCONNECTED", `matching could not journal ${symbol}'s commands; try again`, [], { cause: String(error) });
    }
  }

  /**
   * Keeps recent batches in sequence order (subscribers read them by position) and wakes the
   * subscribers. Calls resolved by one engine group may record out of order; a late one is
   * put in its place.
   */
  private record(book: SymbolBook, batches: readonly EventBatchMessage[], retain: number): void {
    for (const batch of batches) {
      let at = book.recent.length;
      while (at > 0 && book.recent[at - 1]!.sequence > batch.sequence) at--;
      book.recent.splice(at, 0, batch);
    }
    if (book.recent.length > retain * 2) book.recent.splice(0, book.recent.length - retain);
    book.batches.wakeAll();
    this.options.metrics?.applied(book.engine.symbol, batches);
  }

  /** The symbol's last applied sequence and the hash of its book (state-hash.ts): equal books, equal hashes. */
  async state(symbol: string): Promise<{ sequence: number; hash: string }> {
    const book = await this.book(symbol);
    return { sequence: book.engine.lastSeq, hash: book.engine.stateHash() };
  }

  async depth(symbol: string, levels: number) {
    const book = await this.book(symbol);
    return {
      sequence: book.engine.lastSeq,
      bids: book.engine.book.depth(0, levels),
      asks: book.engine.book.depth(1, levels),
    };
  }

  /**
   * Event batches from `fromSequence` on, then live ones as they happen. Only recent batches
   * are retained; a subscriber asking for older ones is told so (OutOfRange) and should
   * rebuild from GetBook, whose sequence says where to resume.
   */
  async *events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncGenerator<EventBatchMessage> {
    const book = await this.book(symbol);
    let next = Math.max(fromSequence, 1);
    while (!signal.aborted) {
      const oldest = book.recent.length > 0 ? Number(book.recent[0].sequence) : book.engine.lastSeq + 1;
      if (next < oldest) throw new DomainError("INVALID_PARAMETER", `events before sequence ${oldest} are no longer retained for ${symbol}`, [{ field: "from_sequence", description: `must be >= ${oldest}` }]);
      while (next <= book.engine.lastSeq && next - oldest < book.recent.length) {
        const batch = book.recent[next - oldest]!;
        // One before it is still being recorded: wait for it rather than skip it.
        if (Number(batch.sequence) !== next) break;
        yield batch;
        next++;
      }
      await book.batches.wait({ signal });
    }
  }

  async close(): Promise<void> {
    if (this.discovering) clearInterval(this.discovering);
    this.discovering = null;
    for (const symbol of [...this.following.keys()]) this.unfollow(symbol);
    for (const pending of this.books.values()) {
      const book = await pending.catch(() => undefined);
      if (!book) continue;
      await this.stopPublishing(book);
      // With an archive, a clean stop leaves everything in it: the journal's last segment is closed and
      // uploaded (a node replacing this one then needs nothing from this disk).
      if (book.archive) await book.engine.rollJournal().catch((error) => this.options.onError?.(error, `closing ${book.engine.symbol}'s journal segment at stop`));
      await book.engine.close();
      if (book.archive) await book.archive.sync(book.files).catch((error) => this.options.onError?.(error, `archiving ${book.engine.symbol}'s journal at stop`));
      book.accounts.close();
    }
    this.books.clear();
  }
}
