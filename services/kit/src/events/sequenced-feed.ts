/**
 * Per-key streams of sequenced records read from an EventLog topic as a consumer group, committed only once applied.
 *
 * The topic holds, per key (a symbol), records numbered by a sequence (the `exchange-sequence` header) in increasing
 * order, possibly with copies of earlier ones (a publisher that republished after a crash). The feed delivers each
 * key's records to `events(key, from)` in sequence order, each sequence once, and holds the group's commit until
 * the key's consumer said it applied them (`acknowledge`): a consumer that dies between delivery and its store gets
 * the records again, and skips, by its own stored sequence, what it had stored. A record whose sequence is not the
 * next one expected is a gap (`SequenceGap`): the consumer fills it from elsewhere (matching's retained window).
 * A key nobody follows holds its partition until someone does: nothing is committed past what was not applied.
 */
import { Wakeups } from "../lifecycle/wakeups.js";
import type { EventLog, LogRecord, Subscription } from "../ports/event-log.port.js";

export const SEQUENCE_HEADER = "exchange-sequence";

/** Records between `expected` and `available` are not in the topic (or were committed before this consumer stored them). */
export class SequenceGap extends Error {
  constructor(
    readonly key: string,
    readonly expected: number,
    readonly available: number,
  ) {
    super(`${key}: sequences ${expected}..${available - 1} are not in the log`);
    this.name = "SequenceGap";
  }
}

export interface SequencedFeedOptions<T> {
  readonly log: EventLog;
  readonly topic: string;
  readonly group: string;
  /** The topic is created with this many partitions when missing (the publisher may start later); default 12. */
  readonly partitions?: number;
  /** where a group with no committed offset starts (default "earliest") */
  readonly start?: "earliest" | "latest";
  readonly decode: (record: LogRecord) => T;
  readonly onError?: (error: unknown) => void;
}

interface KeyState {
  /** delivered, not yet acknowledged, in sequence order */
  readonly items: { readonly sequence: number; readonly record: LogRecord }[];
  /** the highest sequence buffered or acknowledged */
  last: number;
  acknowledged: number;
  readonly arrived: Wakeups;
  readonly applied: Wakeups;
}

export class SequencedFeed<T> {
  private readonly keys = new Map<string, KeyState>();
  private subscription: Subscription | null = null;
  private closed = false;
  private readonly closing = new AbortController();

  constructor(private readonly options: SequencedFeedOptions<T>) {}

  /** Joins the group; resolves once it consumes. */
  async start(): Promise<void> {
    await this.options.log.ensureTopics([{ name: this.options.topic, partitions: this.options.partitions ?? 12 }]);
    this.subscription = await this.options.log.subscribe({
      group: this.options.group,
      topics: [this.options.topic],
      start: this.options.start ?? "earliest",
      // A partition waits for its symbols' consumers; the others need not wait behind it.
      concurrentPartitions: this.options.partitions ?? 12,
      onError: this.options.onError,
      handler: (records) => this.deliver(records),
    });
  }

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { items: [], last: 0, acknowledged: 0, arrived: new Wakeups(), applied: new Wakeups() }));
    return state;
  }

  /** Hands the records to their keys and resolves once every key applied them (then the group commits). */
  private async deliver(records: readonly LogRecord[]): Promise<void> {
    const highest = new Map<string, number>();
    for (const record of records) {
      const sequence = Number(record.headers[SEQUENCE_HEADER]);
      if (!Number.isSafeInteger(sequence) || sequence < 1) {
        this.options.onError?.(new Error(`${record.topic}/${record.partition}@${record.offset}: no ${SEQUENCE_HEADER} header; skipped`));
        continue;
      }
      const state = this.state(record.key);
      // Copies (a republish, a redelivery after a rebalance) of what is buffered or applied are dropped.
      if (sequence > state.last) {
        state.items.push({ sequence, record });
        state.last = sequence;
      }
      highest.set(record.key, Math.max(highest.get(record.key) ?? 0, sequence));
    }
    for (const key of highest.keys()) this.state(key).arrived.wakeAll();
    for (const [key, sequence] of highest) {
      const state = this.state(key);
      while (state.acknowledged < sequence) {
        if (this.closed) throw new Error("feed closed");
        await state.applied.wait({ signal: this.closing.signal });
      }
    }
  }

  /** The consumer of `key` stored everything up to `sequence` (the group may commit past it). */
  acknowledge(key: string, sequence: number): void {
    const state = this.state(key);
    if (sequence <= state.acknowledged) return;
    state.acknowledged = sequence;
    state.last = Math.max(state.last, sequence);
    let drop = 0;
    while (drop < state.items.length && state.items[drop]!.sequence <= sequence) drop++;
    if (drop > 0) state.items.splice(0, drop);
    state.applied.wakeAll();
  }

  /**
   * `key`'s records from `from` on, in sequence order, then live ones, until `signal` aborts. Asking from `from`
   * says everything before it is stored. Throws SequenceGap when the next record there is beyond the next expected
   * (the caller fetches the missing ones elsewhere, applies them, and asks again from after them).
   */
  async *events(key: string, from: number, signal: AbortSignal): AsyncGenerator<T> {
    const state = this.state(key);
    this.acknowledge(key, from - 1);
    let next = Math.max(from, state.acknowledged + 1);
    while (!signal.aborted && !this.closed) {
      next = Math.max(next, state.acknowledged + 1);
      const item = state.items.find((i) => i.sequence >= next);
      if (!item) {
        await state.arrived.wait({ signal });
        continue;
      }
      if (item.sequence > next) throw new SequenceGap(key, next, item.sequence);
      next = item.sequence + 1;
      yield this.options.decode(item.record);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closing.abort();
    for (const state of this.keys.values()) state.arrived.wakeAll();
    await this.subscription?.close();
    this.subscription = null;
  }
}

/**
 * `key`'s items from the feed, the gaps filled from `fallback` (a source that serves any recent sequence, e.g.
 * matching's own stream): on a SequenceGap, the missing items are read from the fallback, then the feed goes on.
 */
export async function* withGapsFilled<T>(
  feed: SequencedFeed<T>,
  fallback: (key: string, from: number, signal: AbortSignal) => AsyncIterable<T>,
  sequenceOf: (item: T) => number,
  key: string,
  from: number,
  signal: AbortSignal,
): AsyncGenerator<T> {
  let next = from;
  while (!signal.aborted) {
    let gap: SequenceGap;
    try {
      for await (const item of feed.events(key, next, signal)) {
        next = sequenceOf(item) + 1;
        yield item;
      }
      return;
    } catch (error) {
      if (!(error instanceof SequenceGap)) throw error;
      gap = error;
    }
    for await (const item of fallback(key, next, signal)) {
      const sequence = sequenceOf(item);
      if (sequence < next) continue;
      next = sequence + 1;
      yield item;
      if (next >= gap.available) break;
    }
  }
}
