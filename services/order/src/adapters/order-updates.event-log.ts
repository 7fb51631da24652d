/**
 * Order updates shared by every order replica through one topic (`exchange.order.user-data.v1`) of the kit's
 * EventLog port (Kafka distributed; the file log in one process works too, for tests).
 *
 * - publish() appends the updates of a batch this process stored, keyed by account (so one account's updates share a
 *   partition), then an end-of-batch marker keyed by symbol. It runs after the batch is stored and never blocks the
 *   caller: a failed append loses stream messages only (the stored orders are the record; Binance's user data stream
 *   is best-effort as well).
 * - Every replica reads the whole topic from where it was when the adapter started (its own consumer group, nothing
 *   committed: `start: "latest", commit: false`) and hands each update to its in-process emitter, which serves StreamOrderUpdates. The replica that
 *   appended an update hears it back like the others and does not emit it otherwise, so each replica emits it once.
 * - A symbol's batches may be stored by different replicas (whichever applies matching's batch first). Before
 *   appending batch N, a replica whose previous batch of the symbol was stored elsewhere waits (bounded) for that
 *   batch's marker: the other replica appends its marker after its updates are acknowledged, so batch N-1's updates
 *   are in the log before N's. Consumers deliver a symbol's batches per partition in increasing sequence and skip a
 *   batch older than one already delivered (a late append after the wait ran out) or a second copy from another
 *   replica.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { AppendRecord, EventLog, LogRecord, Subscription } from "#kit/ports/event-log.port.js";
import { contextFromHeaders, currentTraceParent, tracingEnabled, withSpan } from "#kit/telemetry/tracing.js";
import { SpanKind } from "@opentelemetry/api";
import type { Order } from "../domain/order.js";
import type { OrderUpdate } from "../domain/order-update.event.js";
import type { BatchRef, OrderUpdateFeed, OrderUpdatePublisher } from "../ports/order-updates.port.js";
import { MemoryOrderUpdates, ORDER_UPDATE_BACKLOG } from "./order-updates.memory.js";

export const USER_DATA_TOPIC = "exchange.order.user-data.v1";

export interface EventLogOrderUpdatesOptions {
  /** The log every replica shares (not closed by this adapter). */
  readonly log: EventLog;
  readonly topic?: string;
  /** Partitions when this adapter creates the topic (migrate normally has). */
  readonly partitions?: number;
  /** The log's engine, for the delivery span's `messaging.system` (default "kafka"). */
  readonly engine?: string;
  /** How long a batch waits for the previous batch's marker from another replica (default 2000 ms). */
  readonly markerWaitMs?: number;
  /** Updates a local subscriber may fall behind by (default 10000). */
  readonly backlog?: number;
  /** Appends that failed, and records that could not be read: the stream loses them. */
  readonly onError?: (error: unknown) => void;
}

const KIND = "exchange-kind";
const SYMBOL = "exchange-symbol";
const SEQUENCE = "exchange-sequence";
const ORIGIN = "exchange-origin";

interface Pending {
  readonly updates: readonly OrderUpdate[];
  readonly batch?: BatchRef;
  /** Sequence of the previous batch, stored by another replica, whose marker must be in the log first. */
  readonly after?: number;
  /** With tracing on: the publishing span's traceparent, sent in the records' headers. */
  readonly traceParent?: string;
}

interface SymbolChain {
  /** The last batch of the symbol this process applied, and whether it stored it. */
  previous?: { readonly sequence: number; readonly own: boolean };
  pending: Pending[];
  draining: Promise<void> | null;
}

export class EventLogOrderUpdates implements OrderUpdatePublisher, OrderUpdateFeed {
  /** This replica's id: the consumer group and the origin header of what it appends. */
  readonly origin = `${hostname()}-${randomUUID()}`;
  private readonly log: EventLog;
  private readonly topic: string;
  private readonly local: MemoryOrderUpdates;
  private readonly chains = new Map<string, SymbolChain>();
  /** Highest marker seen per symbol, and who waits for one. */
  private readonly markers = new Map<string, number>();
  private readonly markerWaiters = new Set<{ symbol: string; sequence: number; resolve: () => void }>();
  /** Per partition: the next offset to deliver, and per symbol the last batch delivered (sequence, origin). */
  private readonly nextOffset = new Map<number, bigint>();
  private readonly delivered = new Map<number, Map<string, { sequence: number; origin: string }>>();
  private subscription: Subscription | null = null;
  private started = false;
  private stopped = false;

  constructor(private readonly options: EventLogOrderUpdatesOptions) {
    this.log = options.log;
    this.topic = options.topic ?? USER_DATA_TOPIC;
    this.local = new MemoryOrderUpdates(options.backlog ?? ORDER_UPDATE_BACKLOG);
  }

  /**
   * Creates the topic if missing and subscribes this replica's own group at the topic's end. Resolves once
   * consuming: everything appended after start() was called is delivered.
   */
  async start(): Promise<void> {
    await this.log.ensureTopics([{ name: this.topic, partitions: this.options.partitions ?? 12 }]);
    this.subscription = await this.log.subscribe({
      group: `order-user-data-${this.origin}`,
      topics: [this.topic],
      start: "latest",
      commit: false,
      handler: async (records) => {
        for (const record of records) {
          try {
            this.receive(record);
          } catch (error) {
            this.options.onError?.(error);
          }
        }
      },
      onError: this.options.onError,
    });
    this.started = true;
  }

  publish(updates: readonly OrderUpdate[], batch?: BatchRef): void {
    const symbol = batch?.symbol ?? updates[0]?.order.symbol;
    if (symbol === undefined || this.stopped) return;
    const chain = this.chainOf(symbol);
    const previous = chain.previous;
    if (batch) chain.previous = { sequence: batch.sequence, own: true };
    chain.pending.push({ updates, batch, after: batch && previous && !previous.own ? previous.sequence : undefined, traceParent: tracingEnabled() ? currentTraceParent() : undefined });
    chain.draining ??= this.drain(symbol, chain);
  }

  storedElsewhere(batch: BatchRef): void {
    this.chainOf(batch.symbol).previous = { sequence: batch.sequence, own: false };
  }

  follow(accountId: string, signal: AbortSignal): AsyncGenerator<OrderUpdate> {
    return this.local.follow(accountId, signal);
  }

  subscribers(accountId: string): number {
    return this.local.subscribers(accountId);
  }

  /** Finishes the appends already handed over (waiting for no more markers), then leaves the group. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const waiter of this.markerWaiters) waiter.resolve();
    await Promise.allSettled([...this.chains.values()].map((chain) => chain.draining));
    await this.subscription?.close();
  }

  private chainOf(symbol: string): SymbolChain {
    let chain = this.chains.get(symbol);
    if (!chain) this.chains.set(symbol, (chain = { pending: [], draining: null }));
    return chain;
  }

  /** Appends a symbol's batches one after another; consecutive batches needing no wait go out in one send. */
  private async drain(symbol: string, chain: SymbolChain): Promise<void> {
    try {
      while (chain.pending.length > 0) {
        const items = chain.pending.splice(0);
        for (let start = 0; start < items.length; ) {
          let end = start + 1;
          while (end < items.length && items[end].after === undefined) end++;
          const after = items[start].after;
          if (after !== undefined) await this.markerAtLeast(symbol, after);
          await this.append(symbol, items.slice(start, end)).catch((error: unknown) => this.options.onError?.(error));
          start = end;
        }
      }
    } finally {
      chain.draining = null;
    }
  }

  /** The items' updates (durable: acknowledged by every in-sync replica), then the marker of their last batch. */
  private async append(symbol: string, items: readonly Pending[]): Promise<void> {
    if (!this.started) throw new Error("EventLogOrderUpdates: start() first");
    const records: AppendRecord[] = items.flatMap((item) =>
      item.updates.map((update) => ({
        key: update.order.accountId,
        value: encodeUpdate(update),
        headers: {
          [KIND]: "update",
          [SYMBOL]: symbol,
          [ORIGIN]: this.origin,
          ...(item.batch ? { [SEQUENCE]: String(item.batch.sequence) } : {}),
          ...(item.traceParent ? { traceparent: item.traceParent } : {}),
        },
      })),
    );
    if (records.length > 0) await this.log.append(this.topic, records);
    const last = items.findLast((item) => item.batch)?.batch;
    if (last) {
      await this.log.append(this.topic, [{ key: symbol, value: new Uint8Array(), headers: { [KIND]: "batch-end", [SYMBOL]: symbol, [SEQUENCE]: String(last.sequence), [ORIGIN]: this.origin } }]);
    }
  }

  private markerAtLeast(symbol: string, sequence: number): Promise<void> {
    if ((this.markers.get(symbol) ?? -1) >= sequence || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const waiter = {
        symbol,
        sequence,
        resolve: () => {
          clearTimeout(timer);
          this.markerWaiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.resolve, this.options.markerWaitMs ?? 2_000);
      this.markerWaiters.add(waiter);
    });
  }

  private receive({ partition, offset, headers, value }: LogRecord): void {
    if (offset < (this.nextOffset.get(partition) ?? 0n)) return; // delivered before a rejoin
    this.nextOffset.set(partition, offset + 1n);
    const kind = headers[KIND];
    const symbol = headers[SYMBOL] ?? "";
    const sequenceText = headers[SEQUENCE];
    const sequence = sequenceText === undefined ? undefined : Number(sequenceText);
    if (kind === "batch-end" && sequence !== undefined) {
      if (sequence > (this.markers.get(symbol) ?? -1)) this.markers.set(symbol, sequence);
      for (const waiter of this.markerWaiters) if (waiter.symbol === symbol && waiter.sequence <= sequence) waiter.resolve();
      return;
    }
    if (kind !== "update" || value.length === 0) return;
    if (sequence !== undefined) {
      const origin = headers[ORIGIN] ?? "";
      let bySymbol = this.delivered.get(partition);
      if (!bySymbol) this.delivered.set(partition, (bySymbol = new Map()));
      const last = bySymbol.get(symbol);
      // An older batch than one delivered (appended late), or a batch another replica reported too.
      if (last && (sequence < last.sequence || (sequence === last.sequence && origin !== last.origin))) return;
      bySymbol.set(symbol, { sequence, origin });
    }
    const update = decodeUpdate(value);
    if (!tracingEnabled()) {
      this.local.publish([update]);
      return;
    }
    // The publishing replica's trace goes on here, on every replica that delivers the update to its streams.
    const attributes = { "messaging.system": this.options.engine ?? "kafka", "messaging.destination.name": this.topic, "messaging.destination.partition.id": String(partition), "exchange.symbol": symbol };
    withSpan(`${this.topic} process`, attributes, async () => this.local.publish([update]), { kind: SpanKind.CONSUMER, parent: contextFromHeaders(headers) }).catch((error: unknown) => this.options.onError?.(error));
  }
}

/** JSON with bigints as {"$bigint": "<digits>"}. */
export function encodeUpdate(update: OrderUpdate): Uint8Array {
  return utf8.encode(JSON.stringify(update, (_key, value: unknown) => (typeof value === "bigint" ? { $bigint: value.toString() } : value)));
}

export function decodeUpdate(value: Uint8Array): OrderUpdate {
  return JSON.parse(fromUtf8.decode(value), (_key, field: unknown) => {
    if (field && typeof field === "object" && "$bigint" in field && typeof field.$bigint === "string") return BigInt(field.$bigint);
    return field;
  }) as OrderUpdate & { order: Order };
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();
