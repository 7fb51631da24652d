import { OrderStatus } from "#gen/exchange/common/v1/common_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { OrderUpdateFeed } from "../ports/order-updates.port.js";
import type { Order } from "./order.js";
import type { PlaceRequest } from "./order-intent.js";
import { DONE_STATUSES } from "./order-status.js";
import type { OrderUpdate } from "./order-update.event.js";

/** One request of an order-entry stream. */
export type EntryRequest =
  | { readonly kind: "place"; readonly accountId: string; readonly symbol: string; readonly clientOrderId: string; readonly request: PlaceRequest }
  | { readonly kind: "cancel"; readonly accountId: string; readonly symbol: string; readonly orderId: bigint; readonly origClientOrderId: string }
  /** Refused before it got here (malformed, over a rate limit): acknowledged with its error, in its turn. */
  | { readonly kind: "refused"; readonly clientOrderId: string; readonly error: unknown };

/** What the stream writes: one ack per request, in request order, and execution reports. */
export type EntryResponse =
  | { readonly kind: "ack"; readonly index: number; readonly clientOrderId: string; readonly order?: Order; readonly error?: unknown }
  | { readonly kind: "report"; readonly update: OrderUpdate };

/** What order entry needs of the order lifecycle (the Orders use case). */
export interface EntryOrders {
  place(accountId: string, symbol: string, request: PlaceRequest, clientOrderId: string): Promise<Order>;
  cancel(accountId: string, symbol: string, orderId: bigint, clientOrderId: string): Promise<Order>;
  get(accountId: string, symbol: string, orderId: bigint, clientOrderId: string): Promise<Order>;
}

export interface OrderEntryOptions {
  /** Requests read but not yet acknowledged, per stream; the stream stops reading at this many. */
  readonly window?: number;
  /** Reports waiting to be written before the feed is left to fall behind (and end the stream). */
  readonly maxQueuedReports?: number;
  /** Orders a stream follows at most; the oldest is forgotten beyond. */
  readonly maxTracked?: number;
}

export const ENTRY_WINDOW = 1024;

/**
 * Order entry over a stream (FIX-like): requests are read and started without waiting for the
 * earlier ones, up to a window, so a symbol's placements reach the group commit together; each
 * is acknowledged in request order (the order as stored, or its error: the stream goes on).
 * After its acknowledgement, every change of an order the stream placed or canceled is reported
 * (NEW, TRADE per fill, CANCELED...) in the order stored, until the order is done: the changes
 * stored before the ack are held and written right after it.
 *
 * Idempotent by client order id: a place whose id names an order of the account acknowledges
 * that order (the store decides, across streams); the same id again while its first placement
 * is in flight on this stream gets the same answer. A cancel of an order already CANCELED
 * acknowledges it as stored. Requests of a stream naming the same order (by id or client order
 * id) take effect one after the other, in request order: a cancel sent right behind its
 * placement cancels the placed order.
 */
export class OrderEntry {
  constructor(
    private readonly orders: EntryOrders,
    private readonly feed: OrderUpdateFeed | undefined,
    private readonly options: OrderEntryOptions = {},
  ) {}

  run(requests: AsyncIterable<EntryRequest>, signal: AbortSignal): AsyncGenerator<EntryResponse> {
    return new EntrySession(this.orders, this.feed, this.options).run(requests, signal);
  }
}

interface Slot {
  readonly index: number;
  readonly clientOrderId: string;
  readonly keys: readonly string[];
  settled: boolean;
  order?: Order;
  error?: unknown;
  /** Changes of the slot's order stored before its ack was written. */
  readonly reports: OrderUpdate[];
}

const byId = (symbol: string, orderId: number | bigint) => `o:${symbol}:${orderId}`;
const byClientId = (clientOrderId: string) => `c:${clientOrderId}`;

class EntrySession {
  private readonly window: number;
  private readonly maxQueuedReports: number;
  private readonly maxTracked: number;
  /** Requests read and not yet acknowledged, in request order. */
  private readonly slots: Slot[] = [];
  /** Reports of tracked orders, to write now. */
  private readonly ready: OrderUpdate[] = [];
  /** Order keys (by id, by client id) -> the latest unacknowledged request naming the order. */
  private readonly pending = new Map<string, Slot>();
  /** Orders acknowledged and not done: their reports are written as they come. */
  private readonly tracked = new Map<string, true>();
  /** Client order id -> its placement in flight on this stream. */
  private readonly placing = new Map<string, Promise<Order>>();
  /** Order key -> the latest request in flight on this stream naming it. */
  private readonly running = new Map<string, Promise<Order>>();
  private readonly stop = new AbortController();
  private account: string | undefined;
  private next = 0;
  private readerDone = false;
  private failure: unknown;
  private waiters: (() => void)[] = [];

  constructor(
    private readonly orders: EntryOrders,
    private readonly feed: OrderUpdateFeed | undefined,
    options: OrderEntryOptions,
  ) {
    this.window = options.window ?? ENTRY_WINDOW;
    this.maxQueuedReports = options.maxQueuedReports ?? 10_000;
    this.maxTracked = options.maxTracked ?? 100_000;
  }

  async *run(requests: AsyncIterable<EntryRequest>, signal: AbortSignal): AsyncGenerator<EntryResponse> {
    const onAbort = () => this.fail(signal.reason ?? new DomainError("DISCONNECTED", "The stream was canceled."));
    if (signal.aborted) onAbort();
    signal.addEventListener("abort", onAbort);
    const iterator = requests[Symbol.asyncIterator]();
    void this.read(iterator);
    try {
      for (;;) {
        if (this.failure !== undefined) throw this.failure;
        const report = this.ready.shift();
        if (report) {
          // The follower may be holding off at the limit.
          if (this.ready.length + 1 === this.maxQueuedReports) this.notify();
          this.reported(report);
          yield { kind: "report", update: report };
          continue;
        }
        const head = this.slots[0];
        if (head?.settled) {
          this.slots.shift();
          this.notify();
          yield* this.acknowledge(head);
          continue;
        }
        if (!head && this.readerDone) return;
        await this.changed();
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
      this.stop.abort();
      if (!this.readerDone) void iterator.return?.().catch(() => undefined);
      this.notify();
    }
  }

  /** Reads requests and starts each, holding off while the window is full. */
  private async read(iterator: AsyncIterator<EntryRequest>): Promise<void> {
    try {
      for (;;) {
        while (this.slots.length >= this.window && !this.stop.signal.aborted) await this.changed();
        if (this.stop.signal.aborted) return;
        const next = await iterator.next();
        if (next.done || this.stop.signal.aborted) return;
        this.start(next.value);
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.readerDone = true;
      this.notify();
    }
  }

  private start(request: EntryRequest): void {
    const index = this.next++;
    if (request.kind === "refused") return this.enqueue(index, request.clientOrderId, [], Promise.reject(request.error));
    const clientOrderId = request.kind === "place" ? request.clientOrderId : request.origClientOrderId;
    if (this.account === undefined) {
      this.account = request.accountId;
      this.follow(request.accountId);
    } else if (request.accountId !== this.account) {
      const error = new DomainError("FORBIDDEN", "A stream acts for one account: the one its first request named.", [{ field: `${request.kind}.account_id`, description: "must be the stream's account" }]);
      return this.enqueue(index, clientOrderId, [], Promise.reject(error));
    }
    if (request.kind === "place") {
      if (clientOrderId === "") {
        const error = new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'newClientOrderId' must be sent on an order-entry stream.", [{ field: "place.client_order_id", description: "is required on a stream" }]);
        return this.enqueue(index, clientOrderId, [], Promise.reject(error));
      }
      const keys = [byClientId(clientOrderId)];
      // The same id again while its placement is in flight here: the same answer.
      const earlier = this.placing.get(clientOrderId);
      if (earlier) return this.enqueue(index, clientOrderId, keys, earlier);
      const placing = this.afterEarlier(keys, () => this.orders.place(request.accountId, request.symbol, request.request, clientOrderId));
      this.placing.set(clientOrderId, placing);
      const forget = () => {
        if (this.placing.get(clientOrderId) === placing) this.placing.delete(clientOrderId);
      };
      placing.then(forget, forget);
      return this.enqueue(index, clientOrderId, keys, placing);
    }
    const keys = [...(request.orderId !== 0n ? [byId(request.symbol, request.orderId)] : []), ...(clientOrderId !== "" ? [byClientId(clientOrderId)] : [])];
    this.enqueue(index, clientOrderId, keys, this.afterEarlier(keys, () => this.cancel(request)));
  }

  /**
   * Runs `operation` once the requests in flight on this stream naming the same order (by id or
   * client order id) are answered: a session's requests about one order take effect in order.
   */
  private afterEarlier(keys: readonly string[], operation: () => Promise<Order>): Promise<Order> {
    const earlier = keys.flatMap((key) => this.running.get(key) ?? []);
    const settled = () => undefined;
    const outcome = earlier.length === 0 ? operation() : Promise.all(earlier.map((p) => p.then(settled, settled))).then(operation);
    for (const key of keys) this.running.set(key, outcome);
    const forget = () => {
      for (const key of keys) if (this.running.get(key) === outcome) this.running.delete(key);
    };
    outcome.then(forget, forget);
    return outcome;
  }

  /** A cancel; an order already CANCELED is answered as stored (a resent cancel). */
  private async cancel(request: Extract<EntryRequest, { kind: "cancel" }>): Promise<Order> {
    const { accountId, symbol, orderId, origClientOrderId } = request;
    try {
      return await this.orders.cancel(accountId, symbol, orderId, origClientOrderId);
    } catch (error) {
      if (!(error instanceof DomainError) || error.key !== "CANCEL_REJECTED") throw error;
      const order = await this.orders.get(accountId, symbol, orderId, origClientOrderId).catch(() => undefined);
      if (order?.status === OrderStatus.CANCELED) return order;
      throw error;
    }
  }

  private enqueue(index: number, clientOrderId: string, keys: readonly string[], outcome: Promise<Order>): void {
    const slot: Slot = { index, clientOrderId, keys, settled: false, reports: [] };
    this.slots.push(slot);
    for (const key of keys) this.pending.set(key, slot);
    const settle = () => {
      slot.settled = true;
      if (this.slots[0] === slot) this.notify();
    };
    outcome.then(
      (order) => {
        slot.order = order;
        settle();
      },
      (error: unknown) => {
        slot.error = error;
        settle();
      },
    );
  }

  /** The ack, then the slot's order's changes stored before it; from then on the order is tracked. */
  private *acknowledge(slot: Slot): Generator<EntryResponse> {
    for (const key of slot.keys) if (this.pending.get(key) === slot) this.pending.delete(key);
    if (slot.order) this.track(byId(slot.order.symbol, slot.order.orderId));
    yield { kind: "ack", index: slot.index, clientOrderId: slot.clientOrderId, order: slot.order, error: slot.order ? undefined : slot.error };
    for (const report of slot.reports) {
      this.reported(report);
      yield { kind: "report", update: report };
    }
  }

  /** Follows the account's stored changes: held for an unacknowledged request, written for a tracked order, else dropped. */
  private follow(accountId: string): void {
    if (!this.feed) return;
    const updates = this.feed.follow(accountId, this.stop.signal);
    void (async () => {
      try {
        for await (const update of updates) {
          this.route(update);
          while (this.ready.length >= this.maxQueuedReports && !this.stop.signal.aborted) await this.changed();
        }
      } catch (error) {
        if (!this.stop.signal.aborted) this.fail(error);
      }
    })();
  }

  private route(update: OrderUpdate): void {
    const { symbol, orderId, clientOrderId } = update.order;
    const key = byId(symbol, orderId);
    const a = this.pending.get(key);
    const b = this.pending.get(byClientId(clientOrderId));
    const slot = a && b ? (a.index > b.index ? a : b) : (a ?? b);
    if (slot) {
      slot.reports.push(update);
      return;
    }
    if (!this.tracked.has(key)) return;
    this.ready.push(update);
    if (this.ready.length === 1) this.notify();
  }

  /** After a report is written: a done order is no longer followed. */
  private reported(update: OrderUpdate): void {
    const key = byId(update.order.symbol, update.order.orderId);
    if (DONE_STATUSES.has(update.order.status)) this.tracked.delete(key);
    else this.track(key);
  }

  private track(key: string): void {
    if (this.tracked.has(key)) return;
    this.tracked.set(key, true);
    if (this.tracked.size > this.maxTracked) this.tracked.delete(this.tracked.keys().next().value!);
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.stop.abort();
    this.notify();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private notify(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
