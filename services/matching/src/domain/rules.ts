/**
 * Rules shared by the fast book and the reference book: command validation, budget arithmetic and stop
 * triggers. Pure functions over numbers; no I/O, no clock, no floats in results.
 *
 * Integer rule (why plain JS numbers are exact here):
 * - every price (ticks), quantity (lots), id and budget entering the book is a safe integer (checked below).
 * - a notional p*q is computed as a float only to be COMPARED with a budget b <= 2^53-1: if the true product is
 *   <= 2^53-1 the float product is exact; if it is larger, the (monotonically rounded) float is >= 2^53 > b. So
 *   `p*q > b` is always decided exactly, and any notional actually charged is <= a budget, hence a safe integer.
 * - floor(b/p) uses float division only when b+p < 2^53 (then the correctly rounded quotient cannot cross an
 *   integer boundary), otherwise bigint.
 * - trailing-stop checks multiply a price by 10000 (basis points): done in bigint.
 */
import type { OrderType, PlaceOrder, StpMode, Side, TimeInForce } from "./commands.js";
import type { ListsState } from "./order-lists.js";

export const BUY = 0;
export const SELL = 1;

export const ST_NEW = 0;
export const ST_PARTIALLY_FILLED = 1;
export const ST_FILLED = 2;
export const ST_CANCELED = 3;
export const ST_EXPIRED = 4;
export const ST_EXPIRED_IN_MATCH = 5;
export const ST_AMENDED = 6;
export const ST_TRIGGERED = 7;
export const ST_TRAILING_ACTIVATED = 8;

export const RJ_INVALID_FIELD = 0;
export const RJ_DUPLICATE_ORDER_ID = 1;
export const RJ_UNKNOWN_ORDER = 2;
export const RJ_NOT_OWNER = 3;
export const RJ_INSUFFICIENT_BUDGET = 4;
export const RJ_WOULD_TAKE = 5;
export const RJ_WOULD_TRIGGER_IMMEDIATELY = 6;
export const RJ_SYMBOL_HALTED = 7;
export const RJ_SYMBOL_BREAK = 8;
export const RJ_CANCEL_ONLY = 9;
export const RJ_NOT_AMENDABLE = 10;

export const STP_NONE = 0;
export const STP_EXPIRE_TAKER = 1;
export const STP_EXPIRE_MAKER = 2;
export const STP_EXPIRE_BOTH = 3;
const STP_CODES: Record<string, number> = { NONE: 0, EXPIRE_TAKER: 1, EXPIRE_MAKER: 2, EXPIRE_BOTH: 3 };
export const STP_NAMES: readonly StpMode[] = ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"];

export function stpCode(s: StpMode | undefined): number {
  return s === undefined ? 0 : STP_CODES[s];
}
export function sideCode(s: Side): number {
  return s === "BUY" ? BUY : SELL;
}

const isSafe = Number.isSafeInteger;
const pos = (x: unknown): x is number => typeof x === "number" && isSafe(x) && x > 0;
const nonNeg = (x: unknown): x is number => typeof x === "number" && isSafe(x) && x >= 0;

const ORDER_TYPES = new Set<OrderType>(["LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]);
const TIFS = new Set<TimeInForce>(["GTC", "IOC", "FOK"]);

export function isStopType(t: OrderType): boolean {
  return t === "STOP_LOSS" || t === "STOP_LOSS_LIMIT" || t === "TAKE_PROFIT" || t === "TAKE_PROFIT_LIMIT";
}
export function isLimitLike(t: OrderType): boolean {
  return t === "LIMIT" || t === "LIMIT_MAKER" || t === "STOP_LOSS_LIMIT" || t === "TAKE_PROFIT_LIMIT";
}

/** a*b > limit, decided exactly for safe non-negative integers a, b, limit. */
export function productExceeds(a: number, b: number, limit: number): boolean {
  return a * b > limit;
}

/**
 * Whether an order canceled by a cancel-replace leaves `need` budget units for the new order: its remaining budget
 * less what keep-priority amendments released upstream (canceled lots at its price for a buy, canceled lots for a
 * sell), which is exactly what wallet still holds for it once every earlier event is applied. `canceled` is what
 * was canceled before this cancel.
 */
export function budgetCovers(side: number, price: number, budget: number, canceled: number, need: number): boolean {
  const left = budget - need;
  if (left < 0) return false;
  return side === BUY ? !productExceeds(canceled, price, left) : canceled <= left;
}

/** floor(a/b) exactly for safe integers a >= 0, b > 0. */
export function floorDiv(a: number, b: number): number {
  if (a + b <= Number.MAX_SAFE_INTEGER) return Math.floor(a / b);
  return Number(BigInt(a) / BigInt(b));
}

/** Returns a reject code or -1. Field shape only (no book state). */
export function validatePlace(o: Omit<PlaceOrder, "type" | "ts">): number {
  const v = validateFields(o);
  return v >= 0 ? v : budgetCheck(o);
}

/** validatePlace without the budget: an order funded later (an OTO's pending order). */
export function validateFields(o: Omit<PlaceOrder, "type" | "ts">): number {
  if (!pos(o.orderId) || !nonNeg(o.userId) || !nonNeg(o.budget)) return RJ_INVALID_FIELD;
  if (o.side !== "BUY" && o.side !== "SELL") return RJ_INVALID_FIELD;
  if (!ORDER_TYPES.has(o.orderType)) return RJ_INVALID_FIELD;
  if (o.tif !== undefined && !TIFS.has(o.tif)) return RJ_INVALID_FIELD;
  if (o.stp !== undefined && !(o.stp in STP_CODES)) return RJ_INVALID_FIELD;
  const t = o.orderType;
  const limitLike = isLimitLike(t);
  if (limitLike) {
    if (!pos(o.price) || !pos(o.qty) || o.quoteQty !== undefined) return RJ_INVALID_FIELD;
  } else {
    if (o.price !== undefined) return RJ_INVALID_FIELD;
    if (t === "MARKET") {
      const hasQ = o.qty !== undefined;
      const hasQQ = o.quoteQty !== undefined;
      if (hasQ === hasQQ) return RJ_INVALID_FIELD;
      if (hasQ && !pos(o.qty)) return RJ_INVALID_FIELD;
      if (hasQQ && !pos(o.quoteQty)) return RJ_INVALID_FIELD;
    } else if (!pos(o.qty) || o.quoteQty !== undefined) return RJ_INVALID_FIELD;
  }
  if (t === "LIMIT_MAKER" && o.tif !== undefined && o.tif !== "GTC") return RJ_INVALID_FIELD;
  if (isStopType(t)) {
    if (o.stopPrice === undefined && o.trailingDelta === undefined) return RJ_INVALID_FIELD;
    if (o.stopPrice !== undefined && !pos(o.stopPrice)) return RJ_INVALID_FIELD;
    if (o.trailingDelta !== undefined && (!pos(o.trailingDelta) || o.trailingDelta > 10000)) return RJ_INVALID_FIELD;
  } else if (o.stopPrice !== undefined || o.trailingDelta !== undefined) return RJ_INVALID_FIELD;
  if (o.icebergQty !== undefined) {
    const gtcLimit = (t === "LIMIT" && (o.tif === undefined || o.tif === "GTC")) || t === "LIMIT_MAKER";
    if (!gtcLimit || !pos(o.icebergQty) || o.icebergQty >= (o.qty as number)) return RJ_INVALID_FIELD;
  }
  return -1;
}

/** Whether the budget covers the order (fields already checked). */
function budgetCheck(o: Omit<PlaceOrder, "type" | "ts">): number {
  const limitLike = isLimitLike(o.orderType);
  if (o.side === "BUY") {
    if (limitLike) {
      if (productExceeds(o.price as number, o.qty as number, o.budget)) return RJ_INSUFFICIENT_BUDGET;
    } else if (o.quoteQty !== undefined) {
      if (o.budget < o.quoteQty) return RJ_INSUFFICIENT_BUDGET;
    } else if (o.budget <= 0) return RJ_INSUFFICIENT_BUDGET;
  } else {
    if (o.qty !== undefined) {
      if (o.budget < o.qty) return RJ_INSUFFICIENT_BUDGET;
    } else if (o.budget <= 0) return RJ_INSUFFICIENT_BUDGET;
  }
  return -1;
}

/**
 * Plain stop condition for last trade price p (also the activation condition of a trailing stop with stopPrice):
 * STOP_LOSS* BUY p >= S, SELL p <= S; TAKE_PROFIT* BUY p <= S, SELL p >= S.
 */
export function stopConditionMet(orderType: OrderType, side: number, stopPrice: number, p: number): boolean {
  const stopLoss = orderType === "STOP_LOSS" || orderType === "STOP_LOSS_LIMIT";
  if (stopLoss) return side === BUY ? p >= stopPrice : p <= stopPrice;
  return side === BUY ? p <= stopPrice : p >= stopPrice;
}

/** Parked stop order state (both books use this shape; also the snapshot shape). */
export interface StopState {
  orderId: number;
  userId: number;
  side: number;
  orderType: OrderType;
  tif: TimeInForce;
  price: number; // 0 for market stops
  qty: number;
  stopPrice: number; // 0 = none
  trailingDelta: number; // 0 = none
  budget: number;
  stp: number;
  /** trailing: activated, and the best price since activation (max for sells, min for buys). */
  active: boolean;
  ref: number;
}

/**
 * Feeds one trade price to a stop; returns true when it triggers. Mutates trailing state: an
 * activation shows as `active` turning true (the books report it as TRAILING_ACTIVATED).
 * Trailing (delta d bps): a SELL tracks the highest price since activation and triggers when
 * p <= ref * (1 - d/10000); a BUY tracks the lowest and triggers when p >= ref * (1 + d/10000).
 * Activation: immediately at placement when there is no stopPrice (ref = last price, or the first trade price if
 * none yet), else when the plain stop condition is first met (ref = that price).
 */
export function feedStop(s: StopState, p: number): boolean {
  if (s.trailingDelta === 0) return stopConditionMet(s.orderType, s.side, s.stopPrice, p);
  if (!s.active) {
    if (s.stopPrice === 0 || stopConditionMet(s.orderType, s.side, s.stopPrice, p)) {
      s.active = true;
      s.ref = p;
    }
    return false;
  }
  const d = BigInt(s.trailingDelta);
  if (s.side === SELL) {
    if (p > s.ref) s.ref = p;
    return (BigInt(s.ref) - BigInt(p)) * 10000n >= BigInt(s.ref) * d;
  }
  if (p < s.ref) s.ref = p;
  return (BigInt(p) - BigInt(s.ref)) * 10000n >= BigInt(s.ref) * d;
}

/** Stop acceptance: plain stops (and trailing with activation price) must not be already met by the last price. */
export function newStopState(o: Omit<PlaceOrder, "type" | "ts">, lastPrice: number): StopState | number {
  const side = sideCode(o.side);
  const s: StopState = {
    orderId: o.orderId,
    userId: o.userId,
    side,
    orderType: o.orderType,
    tif: o.tif ?? "GTC",
    price: o.price ?? 0,
    qty: o.qty as number,
    stopPrice: o.stopPrice ?? 0,
    trailingDelta: o.trailingDelta ?? 0,
    budget: o.budget,
    stp: stpCode(o.stp),
    active: false,
    ref: 0,
  };
  if (s.stopPrice !== 0 && lastPrice > 0 && stopConditionMet(s.orderType, side, s.stopPrice, lastPrice)) {
    return RJ_WOULD_TRIGGER_IMMEDIATELY;
  }
  if (s.trailingDelta !== 0 && s.stopPrice === 0 && lastPrice > 0) {
    s.active = true;
    s.ref = lastPrice;
  }
  return s;
}

/** Canonical state shared by both books: snapshot payload and state-hash input. */
export interface RestingOrderState {
  orderId: number;
  userId: number;
  side: number;
  price: number;
  visible: number;
  hidden: number;
  peak: number;
  filled: number;
  canceled: number;
  budget: number;
  stp: number;
  postOnly: boolean;
}
export interface BookState {
  seq: number;
  tradeId: number;
  lastPrice: number;
  status: "TRADING" | "HALT" | "BREAK";
  cancelOnly: boolean;
  /** best first, FIFO within a level. */
  bids: RestingOrderState[];
  asks: RestingOrderState[];
  /** arrival order. */
  stops: StopState[];
  /** order lists (absent when there are none, as in snapshots taken before lists existed). */
  lists?: ListsState;
}
