/**
 * The order lists of one book (OCO groups and OTO pending orders) and the watch that notices their legs' status
 * changes. Pure bookkeeping: the book (order-book.ts) decides what a change means and applies it in the same
 * command, so no other command can run between one leg trading and its siblings ending.
 */
import type { PlaceOrder } from "./commands.js";
import type { EventSink } from "./events.js";
import { ST_AMENDED, ST_NEW, ST_TRAILING_ACTIVATED } from "./rules.js";

export type ListLeg = Omit<PlaceOrder, "type" | "ts">;

/** Orders waiting for their working order to fill completely (OTO / OTOCO). */
export interface PendingList {
  working: number;
  userId: number;
  /** the pending orders form an OCO once placed (OTOCO). */
  oco: boolean;
  orders: ListLeg[];
  /** the working order filled and the pending orders (placed without a budget) wait for FUND_PENDING. */
  awaiting?: boolean;
}

/** Pending orders placed without a budget: funded (FUND_PENDING) once their working order has filled. */
export function fundedLater(p: PendingList): boolean {
  return p.orders.every((o) => o.budget === 0);
}

/** Snapshot shape (also the state-hash input). */
export interface ListsState {
  /** OCO groups still undecided: their order ids. */
  oco: number[][];
  pending: PendingList[];
}

export class OrderLists {
  /** each undecided OCO leg -> its group's ids. */
  readonly oco = new Map<number, number[]>();
  readonly pendingByWorking = new Map<number, PendingList>();
  /** pending order id -> its working order id. */
  readonly workingOfPending = new Map<number, number>();
  /** (order id, status) pairs of list legs seen in the current command, not yet settled. */
  private readonly notes: number[] = [];
  private head = 0;

  /** lists registered, or notes to settle. */
  active(): boolean {
    return this.oco.size !== 0 || this.pendingByWorking.size !== 0 || this.head < this.notes.length;
  }
  isLeg(orderId: number): boolean {
    return this.oco.has(orderId) || this.pendingByWorking.has(orderId);
  }
  /** an order id the lists already use (a pending order is not on the book yet). */
  knows(orderId: number): boolean {
    return this.workingOfPending.has(orderId);
  }
  note(orderId: number, status: number): void {
    this.notes.push(orderId, status);
  }
  /** the next noted change, or undefined (and the notes are reset). */
  next(): [number, number] | undefined {
    if (this.head >= this.notes.length) {
      this.notes.length = 0;
      this.head = 0;
      return undefined;
    }
    const change: [number, number] = [this.notes[this.head], this.notes[this.head + 1]];
    this.head += 2;
    return change;
  }

  addOco(ids: readonly number[]): void {
    const group = [...ids];
    for (const id of group) this.oco.set(id, group);
  }
  dropOco(group: readonly number[]): void {
    for (const id of group) this.oco.delete(id);
  }
  addPending(p: PendingList): void {
    this.pendingByWorking.set(p.working, p);
    for (const o of p.orders) this.workingOfPending.set(o.orderId, p.working);
  }
  dropPending(p: PendingList): void {
    this.pendingByWorking.delete(p.working);
    for (const o of p.orders) this.workingOfPending.delete(o.orderId);
  }

  state(): ListsState {
    const groups = new Set(this.oco.values());
    return {
      oco: [...groups].map((g) => [...g]),
      pending: [...this.pendingByWorking.values()].map((p) => ({ ...p, orders: p.orders.map((o) => ({ ...o })) })),
    };
  }
  static fromState(st: ListsState | undefined): OrderLists {
    const lists = new OrderLists();
    for (const g of st?.oco ?? []) lists.addOco(g);
    for (const p of st?.pending ?? []) lists.addPending({ ...p, orders: p.orders.map((o) => ({ ...o })) });
    return lists;
  }
}

/** Forwards every event and notes the status changes of list legs (placement and amendments aside). */
export class ListWatch implements EventSink {
  private inner: EventSink = null as unknown as EventSink;
  constructor(private readonly lists: OrderLists) {}
  around(sink: EventSink): EventSink {
    this.inner = sink;
    return this;
  }
  begin(seq: number, ts: number): void {
    this.inner.begin(seq, ts);
  }
  accepted(orderId: number): void {
    this.inner.accepted(orderId);
  }
  rejected(orderId: number, reason: number): void {
    this.inner.rejected(orderId, reason);
  }
  trade(tradeId: number, price: number, qty: number, makerOrderId: number, takerOrderId: number, makerUserId: number, takerUserId: number, takerSide: number): void {
    this.inner.trade(tradeId, price, qty, makerOrderId, takerOrderId, makerUserId, takerUserId, takerSide);
  }
  orderUpdate(orderId: number, status: number, filledQty: number, openQty: number, canceledQty: number, remainingBudget: number): void {
    if (status !== ST_NEW && status !== ST_AMENDED && status !== ST_TRAILING_ACTIVATED && this.lists.isLeg(orderId)) this.lists.note(orderId, status);
    this.inner.orderUpdate(orderId, status, filledQty, openQty, canceledQty, remainingBudget);
  }
  bookDelta(side: number, price: number, qty: number): void {
    this.inner.bookDelta(side, price, qty);
  }
  end(): void {
    this.inner.end();
  }
}
