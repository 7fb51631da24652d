import type { Side } from "./commands.js";

/** Reject reason codes (order service maps them to Binance codes). */
export type RejectReason =
  | "INVALID_FIELD"
  | "DUPLICATE_ORDER_ID"
  | "UNKNOWN_ORDER"
  | "NOT_OWNER"
  | "INSUFFICIENT_BUDGET"
  | "WOULD_TAKE"
  | "WOULD_TRIGGER_IMMEDIATELY"
  | "SYMBOL_HALTED"
  | "SYMBOL_BREAK"
  | "CANCEL_ONLY"
  | "NOT_AMENDABLE";

export const REJECT_REASONS: readonly RejectReason[] = [
  "INVALID_FIELD",
  "DUPLICATE_ORDER_ID",
  "UNKNOWN_ORDER",
  "NOT_OWNER",
  "INSUFFICIENT_BUDGET",
  "WOULD_TAKE",
  "WOULD_TRIGGER_IMMEDIATELY",
  "SYMBOL_HALTED",
  "SYMBOL_BREAK",
  "CANCEL_ONLY",
  "NOT_AMENDABLE",
];

/**
 * Order status reported in order updates.
 * NEW: rested on the book (or parked as a stop) after acceptance. AMENDED: an amendment applied.
 * TRIGGERED: a stop order fired and now executes as market/limit. EXPIRED_IN_MATCH: expired by self-trade prevention.
 * TRAILING_ACTIVATED: a trailing stop started tracking the market (placed without a stop price while there is a last
 * price, or a trade reached its stop price); it still waits for its delta.
 */
export type OrderStatus =
  | "NEW"
  | "PARTIALLY_FILLED"
  | "FILLED"
  | "CANCELED"
  | "EXPIRED"
  | "EXPIRED_IN_MATCH"
  | "AMENDED"
  | "TRIGGERED"
  | "TRAILING_ACTIVATED";

export const ORDER_STATUSES: readonly OrderStatus[] = [
  "NEW",
  "PARTIALLY_FILLED",
  "FILLED",
  "CANCELED",
  "EXPIRED",
  "EXPIRED_IN_MATCH",
  "AMENDED",
  "TRIGGERED",
  "TRAILING_ACTIVATED",
];

export interface AcceptedEvent {
  kind: "ACCEPTED";
  orderId: number;
}
export interface RejectedEvent {
  kind: "REJECTED";
  orderId: number;
  reason: RejectReason;
}
export interface TradeEvent {
  kind: "TRADE";
  tradeId: number;
  price: number;
  qty: number;
  makerOrderId: number;
  takerOrderId: number;
  makerUserId: number;
  takerUserId: number;
  takerSide: Side;
}
export interface OrderUpdateEvent {
  kind: "ORDER_UPDATE";
  orderId: number;
  status: OrderStatus;
  /** cumulative filled quantity in lots. */
  filledQty: number;
  /** open (unfilled, not canceled) quantity in lots; 0 once the order is done. */
  openQty: number;
  /** quantity removed without trading so far (cancel, expiry, amend reductions). */
  canceledQty: number;
  /** remaining budget: quote units for buys, lots for sells. */
  remainingBudget: number;
}
export interface BookDeltaEvent {
  kind: "BOOK_DELTA";
  side: Side;
  price: number;
  /** new visible quantity of the level (0 = level removed). */
  qty: number;
}
export type MatchingEvent = AcceptedEvent | RejectedEvent | TradeEvent | OrderUpdateEvent | BookDeltaEvent;

export interface EventBatch {
  symbol: string;
  /** per-symbol, gap-free, one per command applied. */
  seq: number;
  ts: number;
  events: MatchingEvent[];
}

/**
 * Allocation-free event sink: the book calls these with primitives. Adapters below build objects (tests,
 * rpc) or write into reusable buffers (benchmarks, journaling of outputs).
 * side: 0 = BUY, 1 = SELL. status / reason are indices into ORDER_STATUSES / REJECT_REASONS.
 */
export interface EventSink {
  begin(seq: number, ts: number): void;
  accepted(orderId: number): void;
  rejected(orderId: number, reason: number): void;
  trade(
    tradeId: number,
    price: number,
    qty: number,
    makerOrderId: number,
    takerOrderId: number,
    makerUserId: number,
    takerUserId: number,
    takerSide: number,
  ): void;
  orderUpdate(orderId: number, status: number, filledQty: number, openQty: number, canceledQty: number, remainingBudget: number): void;
  bookDelta(side: number, price: number, qty: number): void;
  end(): void;
}

const SIDES: readonly Side[] = ["BUY", "SELL"];

/** Builds EventBatch objects (tests, rpc mapping). */
export class CollectingSink implements EventSink {
  batches: EventBatch[] = [];
  private cur: EventBatch | null = null;
  constructor(private readonly symbol = "") {}
  begin(seq: number, ts: number): void {
    this.cur = { symbol: this.symbol, seq, ts, events: [] };
  }
  accepted(orderId: number): void {
    this.cur!.events.push({ kind: "ACCEPTED", orderId });
  }
  rejected(orderId: number, reason: number): void {
    this.cur!.events.push({ kind: "REJECTED", orderId, reason: REJECT_REASONS[reason] });
  }
  trade(tradeId: number, price: number, qty: number, makerOrderId: number, takerOrderId: number, makerUserId: number, takerUserId: number, takerSide: number): void {
    this.cur!.events.push({ kind: "TRADE", tradeId, price, qty, makerOrderId, takerOrderId, makerUserId, takerUserId, takerSide: SIDES[takerSide] });
  }
  orderUpdate(orderId: number, status: number, filledQty: number, openQty: number, canceledQty: number, remainingBudget: number): void {
    this.cur!.events.push({ kind: "ORDER_UPDATE", orderId, status: ORDER_STATUSES[status], filledQty, openQty, canceledQty, remainingBudget });
  }
  bookDelta(side: number, price: number, qty: number): void {
    this.cur!.events.push({ kind: "BOOK_DELTA", side: SIDES[side], price, qty });
  }
  end(): void {
    this.batches.push(this.cur!);
    this.cur = null;
  }
  take(): EventBatch[] {
    const b = this.batches;
    this.batches = [];
    return b;
  }
}

/** Counts events and folds them into a running hash without allocating (benchmarks, determinism checks). */
export class HashingSink implements EventSink {
  events = 0;
  trades = 0;
  tradedQty = 0;
  h1 = 0x811c9dc5 | 0;
  h2 = 0x01000193 | 0;
  private mix(x: number): void {
    // fold a safe integer as two 32-bit halves
    const lo = x >>> 0;
    const hi = Math.floor(x / 4294967296) >>> 0;
    this.h1 = Math.imul(this.h1 ^ lo, 0x01000193);
    this.h1 = Math.imul(this.h1 ^ hi, 0x01000193);
    this.h2 = Math.imul(this.h2 ^ lo, 0x5bd1e995) + 0x6b43a9b5;
    this.h2 = Math.imul(this.h2 ^ hi, 0x5bd1e995) + 0x6b43a9b5;
  }
  begin(seq: number, ts: number): void {
    this.mix(seq);
    this.mix(ts);
  }
  accepted(orderId: number): void {
    this.events++;
    this.mix(1);
    this.mix(orderId);
  }
  rejected(orderId: number, reason: number): void {
    this.events++;
    this.mix(2);
    this.mix(orderId);
    this.mix(reason);
  }
  trade(tradeId: number, price: number, qty: number, makerOrderId: number, takerOrderId: number, makerUserId: number, takerUserId: number, takerSide: number): void {
    this.events++;
    this.trades++;
    this.tradedQty += qty;
    this.mix(3);
    this.mix(tradeId);
    this.mix(price);
    this.mix(qty);
    this.mix(makerOrderId);
    this.mix(takerOrderId);
    this.mix(makerUserId);
    this.mix(takerUserId);
    this.mix(takerSide);
  }
  orderUpdate(orderId: number, status: number, filledQty: number, openQty: number, canceledQty: number, remainingBudget: number): void {
    this.events++;
    this.mix(4);
    this.mix(orderId);
    this.mix(status);
    this.mix(filledQty);
    this.mix(openQty);
    this.mix(canceledQty);
    this.mix(remainingBudget);
  }
  bookDelta(side: number, price: number, qty: number): void {
    this.events++;
    this.mix(5);
    this.mix(side);
    this.mix(price);
    this.mix(qty);
  }
  end(): void {
    this.mix(6);
  }
  digest(): string {
    return (this.h1 >>> 0).toString(16).padStart(8, "0") + (this.h2 >>> 0).toString(16).padStart(8, "0");
  }
}

/** Discards everything (pure engine throughput). */
export class NullSink implements EventSink {
  begin(): void {}
  accepted(): void {}
  rejected(): void {}
  trade(): void {}
  orderUpdate(): void {}
  bookDelta(): void {}
  end(): void {}
}
