/**
 * The fast order book for one symbol: a deterministic state machine (command -> events). No I/O, no clock, no
 * randomness, no floating point values (see rules.ts for the integer rule).
 *
 * Data layout (allocation-free hot path):
 * - orders live in a pool of fixed-size records (one Float64Array, 16 doubles per order, the fields matching touches
 *   in the first 64 bytes; links prev/next/level in an Int32Array, 4 per order; LIFO free list, so the working set
 *   stays compact); an order-id -> slot open-addressing index (id-index.ts) gives O(1) cancel; each price level is an
 *   intrusive doubly-linked FIFO of slots with head/tail/visible/hidden totals (struct-of-arrays, level-id index).
 * - each side keeps its level ids in an array sorted by price so the best level is the LAST element: best lookup is
 *   O(1); adding/removing a level is a binary search plus a short copyWithin (levels near the touch are near the end).
 * - events go to an EventSink as primitive arguments (no objects in the hot path).
 *
 * Semantics (shared with order-book.reference.ts, which the property tests compare against):
 * - price-time priority; trades at the maker price; a taker walks levels best first, FIFO within a level.
 * - budgets: buy = quote units (1 tick x 1 lot), sell = lots. A taker never fills beyond its remaining budget: at
 *   maker price P a buy fills at most floor(budget/P) lots; when that reaches 0 it stops (market buy by base qty
 *   expires when its budget runs out). Limit orders must be fully funded at placement (price*qty <= budget).
 * - iceberg: only min(peak, open) is visible; when the visible part is consumed the order refills and goes to the
 *   back of its level's queue. Book deltas carry visible quantities.
 * - STP by the taker's mode when maker.userId === taker.userId: EXPIRE_TAKER (taker stops, maker untouched),
 *   EXPIRE_MAKER (maker expires, taker continues), EXPIRE_BOTH.
 * - FOK: fills completely or expires with no side effects (checked before matching, honouring STP).
 * - stops park outside the book and trigger on trade prices (rules.ts feedStop); after a command's matching, all
 *   stops are fed that command's trade prices in order; the triggered ones execute in arrival order, their trades
 *   feed the next round.
 * - event order per command: see docs in this file's methods; each command is exactly one batch with seq+1.
 * - order lists (order-lists.ts): while any exist, events pass through a watch that notes their legs' changes;
 *   the book settles them (siblings expired, pending orders placed) before any stop can trigger and before the
 *   command ends, so two legs of an OCO never both trade.
 */
import type { AmendOrder, CancelAll, CancelOrder, CancelReplace, Command, FundPending, PlaceList, PlaceOrder, SetStatus, SymbolStatus } from "./commands.js";
import type { EventSink } from "./events.js";
import {
  BUY,
  SELL,
  ST_NEW,
  ST_PARTIALLY_FILLED,
  ST_FILLED,
  ST_CANCELED,
  ST_EXPIRED,
  ST_EXPIRED_IN_MATCH,
  ST_AMENDED,
  ST_TRIGGERED,
  ST_TRAILING_ACTIVATED,
  RJ_INVALID_FIELD,
  RJ_DUPLICATE_ORDER_ID,
  RJ_UNKNOWN_ORDER,
  RJ_NOT_OWNER,
  RJ_INSUFFICIENT_BUDGET,
  RJ_WOULD_TAKE,
  RJ_WOULD_TRIGGER_IMMEDIATELY,
  RJ_SYMBOL_HALTED,
  RJ_SYMBOL_BREAK,
  RJ_CANCEL_ONLY,
  RJ_NOT_AMENDABLE,
  STP_NONE,
  STP_EXPIRE_TAKER,
  STP_EXPIRE_MAKER,
  STP_EXPIRE_BOTH,
  floorDiv,
  productExceeds,
  budgetCovers,
  validatePlace,
  validateFields,
  isStopType,
  isLimitLike,
  newStopState,
  feedStop,
  stpCode,
  type BookState,
  type RestingOrderState,
  type StopState,
} from "./rules.js";
import { IdIndex } from "./id-index.js";
import { ListWatch, OrderLists, fundedLater, type ListLeg, type PendingList } from "./order-lists.js";

/** What the engine needs from a book (the fast one and the reference one both implement it). */
export interface MatchingBook {
  readonly seq: number;
  apply(cmd: Command, sink: EventSink): void;
  state(): BookState;
}

const O_ID = 0;
const O_USER = 1;
const O_PRICE = 2;
const O_VIS = 3;
const O_HID = 4;
const O_FILLED = 5;
const O_CANCELED = 6;
const O_BUDGET = 7;
const O_PEAK = 8;
const O_SIDE = 9;
const O_STP = 10;
const O_POST = 11;
const K_PREV = 0;
const K_NEXT = 1;
const K_LEVEL = 2;
const ORD = 16;
const LNK = 4;
const MAX = Number.MAX_SAFE_INTEGER;
const isSafe = Number.isSafeInteger;
const pos = (x: unknown): x is number => typeof x === "number" && isSafe(x) && x > 0;
const nonNeg = (x: unknown): x is number => typeof x === "number" && isSafe(x) && x >= 0;

function growF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
function growI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/**
 * Fast path of validatePlace for the common case: a plain LIMIT order (no stp, iceberg, stop or quote fields) whose
 * fields are all well formed. When this returns true, validatePlace(o) === limitBudgetCheck(o); otherwise the full
 * validatePlace decides (same result, same reject code).
 */
function plainLimitFieldsOk(o: Omit<PlaceOrder, "type" | "ts">): boolean {
  if (o.orderType !== "LIMIT") return false;
  const tif = o.tif;
  const side = o.side;
  return (
    (tif === undefined || tif === "GTC" || tif === "IOC" || tif === "FOK") &&
    (side === "BUY" || side === "SELL") &&
    o.stp === undefined &&
    o.icebergQty === undefined &&
    o.quoteQty === undefined &&
    o.stopPrice === undefined &&
    o.trailingDelta === undefined &&
    pos(o.orderId) &&
    nonNeg(o.userId) &&
    nonNeg(o.budget) &&
    pos(o.price) &&
    pos(o.qty)
  );
}
function limitBudgetCheck(o: Omit<PlaceOrder, "type" | "ts">): number {
  if (o.side === "BUY") return productExceeds(o.price as number, o.qty as number, o.budget) ? RJ_INSUFFICIENT_BUDGET : -1;
  return o.budget < (o.qty as number) ? RJ_INSUFFICIENT_BUDGET : -1;
}

export class OrderBook implements MatchingBook {
  seq = 0;
  tradeId = 0;
  lastPrice = 0;
  status: SymbolStatus = "TRADING";
  cancelOnly = false;

  // ---- order pool (struct of arrays)
  private oCap = 0;
  /** order records, ORD doubles each: id, user, price, visible, hidden, filled, canceled, budget (first cache line:
   * everything matching touches), then peak, side, stp, postOnly. */
  private ord = new Float64Array(0);
  /** order links, LNK int32 each: prev, next, level. */
  private lnk = new Int32Array(0);
  private oFree = new Int32Array(0);
  private oFreeTop = 0;
  private oUsed = 0;
  private readonly ids: IdIndex;

  // ---- levels (struct of arrays)
  private lCap = 0;
  private lPrice = new Float64Array(0);
  private lVis = new Float64Array(0);
  private lHid = new Float64Array(0);
  private lHead = new Int32Array(0);
  private lTail = new Int32Array(0);
  private lFree = new Int32Array(0);
  private lFreeTop = 0;
  private lUsed = 0;
  private readonly levelMap: [IdIndex, IdIndex] = [new IdIndex(64), new IdIndex(64)];
  /** per side: level ids sorted so that the best level is last; key = price (bids) or -price (asks), ascending. */
  private sKey: [Float64Array, Float64Array] = [new Float64Array(64), new Float64Array(64)];
  private sLvl: [Int32Array, Int32Array] = [new Int32Array(64), new Int32Array(64)];
  private sLen: [number, number] = [0, 0];

  // ---- stops
  private stops: StopState[] = [];
  private readonly stopIds = new Map<number, StopState>();
  /** trade prices of the current command (only collected while stops are parked). */
  private tradePrices = new Float64Array(64);
  private tpN = 0;

  // ---- order lists
  private lists = new OrderLists();
  private watch = new ListWatch(this.lists);
  /** stops triggered in the current round and not yet executed (an OCO sibling may end them first). */
  private readonly triggering = new Map<number, StopState>();
  /** pending orders whose working order filled in this command, to place before it ends. */
  private readonly toPlace: PendingList[] = [];

  // ---- taker scratch
  private tkId = 0;
  private tkUser = 0;
  private tkSide = 0;
  private tkLimit = 0;
  private tkOpen = 0;
  private tkQuote = -1;
  private tkBudget = 0;
  private tkFilled = 0;
  private tkCanceled = 0;
  private tkStp = 0;
  private tkPeak = 0;
  private tkPost = 0;
  private tkRest = false;
  /** Why the taker stopped: 0 not, 1 self-trade prevention, 2 its budget, 3 a quote amount's rest below one lot. */
  private tkStopped = 0;

  constructor(initialOrders = 1024, initialLevels = 256) {
    this.ids = new IdIndex();
    this.growOrders(initialOrders);
    this.growLevels(initialLevels);
  }

  /** live resting orders (for tests/benchmarks). */
  get restingCount(): number {
    return this.ids.size;
  }
  get stopCount(): number {
    return this.stops.length;
  }

  // ======================================================================== pools
  private growOrders(n: number): void {
    const old = this.oCap;
    this.ord = growF64(this.ord, n * ORD);
    this.lnk = growI32(this.lnk, n * LNK);
    this.oFree = growI32(this.oFree, n);
    this.oCap = n;
    void old;
  }
  private allocOrder(): number {
    if (this.oFreeTop > 0) return this.oFree[--this.oFreeTop];
    if (this.oUsed === this.oCap) this.growOrders(this.oCap * 2);
    return this.oUsed++;
  }
  private freeOrder(m: number): void {
    this.oFree[this.oFreeTop++] = m;
  }
  private growLevels(n: number): void {
    this.lPrice = growF64(this.lPrice, n);
    this.lVis = growF64(this.lVis, n);
    this.lHid = growF64(this.lHid, n);
    this.lHead = growI32(this.lHead, n);
    this.lTail = growI32(this.lTail, n);
    this.lFree = growI32(this.lFree, n);
    this.lCap = n;
  }

  // ======================================================================== levels
  private best(side: number): number {
    const n = this.sLen[side];
    return n === 0 ? -1 : this.sLvl[side][n - 1];
  }
  /** index of the first key > k in side's sorted keys. */
  private upper(side: number, k: number): number {
    const keys = this.sKey[side];
    let lo = 0;
    let hi = this.sLen[side];
    // fast path: new levels usually land at or near the top of the book
    if (hi > 0 && keys[hi - 1] < k) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid] <= k) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  private createLevel(side: number, price: number): number {
    let lv: number;
    if (this.lFreeTop > 0) lv = this.lFree[--this.lFreeTop];
    else {
      if (this.lUsed === this.lCap) this.growLevels(this.lCap * 2);
      lv = this.lUsed++;
    }
    this.lPrice[lv] = price;
    this.lVis[lv] = 0;
    this.lHid[lv] = 0;
    this.lHead[lv] = -1;
    this.lTail[lv] = -1;
    this.levelMap[side].set(price, lv);
    const k = side === BUY ? price : -price;
    const n = this.sLen[side];
    if (n === this.sKey[side].length) {
      this.sKey[side] = growF64(this.sKey[side], n * 2);
      this.sLvl[side] = growI32(this.sLvl[side], n * 2);
    }
    const keys = this.sKey[side];
    const lvls = this.sLvl[side];
    const i = this.upper(side, k);
    if (i < n) {
      keys.copyWithin(i + 1, i, n);
      lvls.copyWithin(i + 1, i, n);
    }
    keys[i] = k;
    lvls[i] = lv;
    this.sLen[side] = n + 1;
    return lv;
  }
  private removeLevel(side: number, lv: number): void {
    const price = this.lPrice[lv];
    this.levelMap[side].delete(price);
    const n = this.sLen[side];
    const lvls = this.sLvl[side];
    let i: number;
    if (lvls[n - 1] === lv) i = n - 1;
    else i = this.upper(side, side === BUY ? price : -price) - 1;
    if (i < n - 1) {
      this.sKey[side].copyWithin(i, i + 1, n);
      lvls.copyWithin(i, i + 1, n);
    }
    this.sLen[side] = n - 1;
    this.lFree[this.lFreeTop++] = lv;
  }
  private append(lv: number, m: number): void {
    const t = this.lTail[lv];
    this.lnk[(m << 2) + K_PREV] = t;
    this.lnk[(m << 2) + K_NEXT] = -1;
    this.lnk[(m << 2) + K_LEVEL] = lv;
    if (t < 0) this.lHead[lv] = m;
    else this.lnk[(t << 2) + K_NEXT] = m;
    this.lTail[lv] = m;
  }
  private unlink(lv: number, m: number): void {
    const p = this.lnk[(m << 2) + K_PREV];
    const n = this.lnk[(m << 2) + K_NEXT];
    if (p < 0) this.lHead[lv] = n;
    else this.lnk[(p << 2) + K_NEXT] = n;
    if (n < 0) this.lTail[lv] = p;
    else this.lnk[(n << 2) + K_PREV] = p;
  }
  private crosses(side: number, price: number): boolean {
    const lv = this.best(1 - side);
    if (lv < 0) return false;
    return side === BUY ? this.lPrice[lv] <= price : this.lPrice[lv] >= price;
  }

  // ======================================================================== apply
  apply(cmd: Command, sink: EventSink): void {
    const ts = nonNeg(cmd.ts) ? cmd.ts : 0;
    sink.begin(++this.seq, ts);
    const outer = sink;
    if (this.lists.active() || cmd.type === "PLACE_LIST") sink = this.watch.around(sink);
    if (ts !== cmd.ts) sink.rejected(0, RJ_INVALID_FIELD);
    else {
      switch (cmd.type) {
        case "PLACE":
          this.place(cmd, sink, true);
          break;
        case "CANCEL":
          this.cancel(cmd, sink);
          break;
        case "AMEND":
          this.amend(cmd, sink);
          break;
        case "CANCEL_REPLACE":
          this.cancelReplace(cmd, sink);
          break;
        case "CANCEL_ALL":
          this.cancelAll(cmd, sink);
          break;
        case "SET_STATUS":
          this.setStatus(cmd, sink);
          break;
        case "PLACE_LIST":
          this.placeList(cmd, sink);
          break;
        case "FUND_PENDING":
          this.fundPending(cmd, sink);
          break;
        default:
          sink.rejected(0, RJ_INVALID_FIELD);
      }
    }
    if (sink !== outer) this.finishLists(sink);
    this.tpN = 0;
    outer.end();
  }

  private statusReject(forNewOrder: boolean): number {
    if (this.status === "BREAK") return RJ_SYMBOL_BREAK;
    if (this.status === "HALT") return forNewOrder ? RJ_SYMBOL_HALTED : -1;
    if (this.cancelOnly && forNewOrder) return RJ_CANCEL_ONLY;
    return -1;
  }

  /** ACCEPTED, then trades/maker updates/level deltas, then the taker's final update (+ delta if it rests). */
  private place(o: Omit<PlaceOrder, "type" | "ts">, sink: EventSink, checkStatus: boolean): void {
    const id = pos(o.orderId) ? o.orderId : 0;
    if (checkStatus) {
      const s = this.statusReject(true);
      if (s >= 0) return sink.rejected(id, s);
    }
    const v = plainLimitFieldsOk(o) ? limitBudgetCheck(o) : validatePlace(o);
    if (v >= 0) return sink.rejected(id, v);
    if (this.ids.get(id) >= 0 || (this.stopIds.size !== 0 && this.stopIds.has(id)) || this.lists.knows(id)) return sink.rejected(id, RJ_DUPLICATE_ORDER_ID);
    const side = o.side === "BUY" ? BUY : SELL;
    const t = o.orderType;
    if (t === "LIMIT_MAKER" && this.crosses(side, o.price as number)) return sink.rejected(id, RJ_WOULD_TAKE);
    if (isStopType(t)) {
      const s = newStopState(o, this.lastPrice);
      if (typeof s === "number") return sink.rejected(id, s);
      sink.accepted(id);
      this.stops.push(s);
      this.stopIds.set(id, s);
      sink.orderUpdate(id, ST_NEW, 0, s.qty, 0, s.budget);
      if (s.active) sink.orderUpdate(id, ST_TRAILING_ACTIVATED, 0, s.qty, 0, s.budget);
      return;
    }
    sink.accepted(id);
    const limitLike = isLimitLike(t);
    const tif = o.tif ?? "GTC";
    this.tkId = id;
    this.tkUser = o.userId;
    this.tkSide = side;
    this.tkLimit = limitLike ? (o.price as number) : 0;
    this.tkOpen = o.qty ?? MAX;
    this.tkQuote = o.quoteQty ?? -1;
    this.tkBudget = o.budget;
    this.tkFilled = 0;
    this.tkCanceled = 0;
    this.tkStp = stpCode(o.stp);
    this.tkPeak = o.icebergQty ?? 0;
    this.tkPost = t === "LIMIT_MAKER" ? 1 : 0;
    this.tkRest = limitLike && tif === "GTC";
    this.execute(sink, limitLike && tif === "FOK");
    this.runStops(sink);
  }

  private execute(sink: EventSink, fok: boolean): void {
    this.tkStopped = 0;
    if (fok && !this.fokFillable()) {
      this.tkCanceled += this.tkOpen;
      sink.orderUpdate(this.tkId, ST_EXPIRED, this.tkFilled, 0, this.tkCanceled, this.tkBudget);
      return;
    }
    this.match(sink);
    this.finish(sink);
  }

  private fokFillable(): boolean {
    const opp = 1 - this.tkSide;
    const lvls = this.sLvl[opp];
    const need = this.tkOpen;
    let avail = 0;
    for (let i = this.sLen[opp] - 1; i >= 0; i--) {
      const lv = lvls[i];
      const P = this.lPrice[lv];
      if (this.tkSide === BUY ? P > this.tkLimit : P < this.tkLimit) return false;
      if (this.tkStp === STP_NONE) {
        avail += this.lVis[lv] + this.lHid[lv];
        if (avail >= need) return true;
        continue;
      }
      for (let m = this.lHead[lv]; m >= 0; m = this.lnk[(m << 2) + K_NEXT]) {
        if (this.ord[(m << 4) + O_USER] === this.tkUser) {
          if (this.tkStp === STP_EXPIRE_MAKER) continue;
          return false;
        }
        avail += this.ord[(m << 4) + O_VIS] + this.ord[(m << 4) + O_HID];
        if (avail >= need) return true;
      }
    }
    return false;
  }

  private match(sink: EventSink): void {
    const side = this.tkSide;
    const opp = 1 - side;
    const limit = this.tkLimit;
    const stp = this.tkStp;
    const user = this.tkUser;
    const quoteBased = this.tkQuote >= 0;
    const ord = this.ord;
    while (this.tkOpen > 0) {
      const lv = this.best(opp);
      if (lv < 0) break;
      const P = this.lPrice[lv];
      if (limit !== 0 && (side === BUY ? P > limit : P < limit)) break;
      let touched = false;
      let stop = 0;
      while (this.tkOpen > 0) {
        const m = this.lHead[lv];
        if (m < 0) break;
        if (stp !== STP_NONE && this.ord[(m << 4) + O_USER] === user) {
          if (stp === STP_EXPIRE_TAKER) {
            stop = 1;
            break;
          }
          // EXPIRE_MAKER / EXPIRE_BOTH: the maker expires
          const open = ord[(m << 4) + O_VIS] + this.ord[(m << 4) + O_HID];
          this.lVis[lv] -= ord[(m << 4) + O_VIS];
          this.lHid[lv] -= this.ord[(m << 4) + O_HID];
          this.ord[(m << 4) + O_CANCELED] += open;
          this.unlink(lv, m);
          this.ids.delete(this.ord[(m << 4) + O_ID]);
          sink.orderUpdate(this.ord[(m << 4) + O_ID], ST_EXPIRED_IN_MATCH, this.ord[(m << 4) + O_FILLED], 0, this.ord[(m << 4) + O_CANCELED], this.ord[(m << 4) + O_BUDGET]);
          this.freeOrder(m);
          touched = true;
          if (stp === STP_EXPIRE_BOTH) {
            stop = 1;
            break;
          }
          continue;
        }
        let q = ord[(m << 4) + O_VIS];
        if (this.tkOpen < q) q = this.tkOpen;
        if (side === BUY) {
          const a = floorDiv(this.tkBudget, P);
          if (a < q) q = a;
        } else if (this.tkBudget < q) q = this.tkBudget;
        if (quoteBased) {
          const a = floorDiv(this.tkQuote, P);
          if (a < q) q = a;
        }
        if (q === 0) {
          // 3: what is left of a quote amount cannot buy one lot here, nor deeper (FILLED, as Binance).
          stop = quoteBased && floorDiv(this.tkQuote, P) === 0 ? 3 : 2;
          break;
        }
        const notional = P * q;
        if (!quoteBased) this.tkOpen -= q;
        else this.tkQuote -= notional;
        this.tkFilled += q;
        this.tkBudget -= side === BUY ? notional : q;
        const vis = ord[(m << 4) + O_VIS] - q;
        ord[(m << 4) + O_VIS] = vis;
        this.lVis[lv] -= q;
        const filled = this.ord[(m << 4) + O_FILLED] + q;
        this.ord[(m << 4) + O_FILLED] = filled;
        this.ord[(m << 4) + O_BUDGET] -= side === BUY ? q : notional;
        this.lastPrice = P;
        if (this.stops.length !== 0) this.pushTradePrice(P);
        const makerId = this.ord[(m << 4) + O_ID];
        sink.trade(++this.tradeId, P, q, makerId, this.tkId, this.ord[(m << 4) + O_USER], user, side);
        touched = true;
        if (vis === 0) {
          const hid = this.ord[(m << 4) + O_HID];
          if (hid > 0) {
            const peak = this.ord[(m << 4) + O_PEAK];
            const r = hid < peak ? hid : peak;
            ord[(m << 4) + O_VIS] = r;
            this.ord[(m << 4) + O_HID] = hid - r;
            this.lVis[lv] += r;
            this.lHid[lv] -= r;
            this.unlink(lv, m);
            this.append(lv, m);
            sink.orderUpdate(makerId, ST_PARTIALLY_FILLED, filled, hid, this.ord[(m << 4) + O_CANCELED], this.ord[(m << 4) + O_BUDGET]);
          } else {
            this.unlink(lv, m);
            this.ids.delete(makerId);
            sink.orderUpdate(makerId, ST_FILLED, filled, 0, this.ord[(m << 4) + O_CANCELED], this.ord[(m << 4) + O_BUDGET]);
            this.freeOrder(m);
          }
        } else {
          sink.orderUpdate(makerId, ST_PARTIALLY_FILLED, filled, vis + this.ord[(m << 4) + O_HID], this.ord[(m << 4) + O_CANCELED], this.ord[(m << 4) + O_BUDGET]);
        }
      }
      if (this.lHead[lv] < 0) {
        this.removeLevel(opp, lv);
        sink.bookDelta(opp, P, 0);
      } else if (touched) sink.bookDelta(opp, P, this.lVis[lv]);
      if (stop !== 0) {
        this.tkStopped = stop;
        break;
      }
    }
  }

  private finish(sink: EventSink): void {
    const id = this.tkId;
    if (this.tkStopped === 1) {
      if (this.tkQuote < 0) this.tkCanceled += this.tkOpen;
      sink.orderUpdate(id, ST_EXPIRED_IN_MATCH, this.tkFilled, 0, this.tkCanceled, this.tkBudget);
      return;
    }
    if (this.tkQuote >= 0) {
      sink.orderUpdate(id, this.tkQuote === 0 || (this.tkStopped === 3 && this.tkFilled > 0) ? ST_FILLED : ST_EXPIRED, this.tkFilled, 0, this.tkCanceled, this.tkBudget);
      return;
    }
    if (this.tkOpen === 0) {
      sink.orderUpdate(id, ST_FILLED, this.tkFilled, 0, this.tkCanceled, this.tkBudget);
      return;
    }
    if (this.tkRest && this.tkStopped === 0) {
      const side = this.tkSide;
      const price = this.tkLimit;
      const open = this.tkOpen;
      const m = this.allocOrder();
      this.ord[(m << 4) + O_ID] = id;
      this.ord[(m << 4) + O_USER] = this.tkUser;
      this.ord[(m << 4) + O_PRICE] = price;
      this.ord[(m << 4) + O_SIDE] = side;
      const peak = this.tkPeak;
      const vis = peak > 0 && peak < open ? peak : open;
      this.ord[(m << 4) + O_VIS] = vis;
      this.ord[(m << 4) + O_HID] = open - vis;
      this.ord[(m << 4) + O_PEAK] = peak;
      this.ord[(m << 4) + O_FILLED] = this.tkFilled;
      this.ord[(m << 4) + O_CANCELED] = this.tkCanceled;
      this.ord[(m << 4) + O_BUDGET] = this.tkBudget;
      this.ord[(m << 4) + O_STP] = this.tkStp;
      this.ord[(m << 4) + O_POST] = this.tkPost;
      let lv = this.levelMap[side].get(price);
      if (lv < 0) lv = this.createLevel(side, price);
      this.append(lv, m);
      this.lVis[lv] += vis;
      this.lHid[lv] += open - vis;
      this.ids.set(id, m);
      sink.orderUpdate(id, this.tkFilled > 0 ? ST_PARTIALLY_FILLED : ST_NEW, this.tkFilled, open, this.tkCanceled, this.tkBudget);
      sink.bookDelta(side, price, this.lVis[lv]);
      return;
    }
    this.tkCanceled += this.tkOpen;
    sink.orderUpdate(id, ST_EXPIRED, this.tkFilled, 0, this.tkCanceled, this.tkBudget);
  }

  private runStops(sink: EventSink): void {
    while (this.tpN > 0 && this.stops.length > 0) {
      if (this.lists.active()) this.settleLists(sink);
      const prices = Array.from(this.tradePrices.subarray(0, this.tpN));
      this.tpN = 0;
      const triggered: StopState[] = [];
      for (const s of this.stops) {
        let waiting = s.trailingDelta !== 0 && !s.active;
        for (const p of prices) {
          if (feedStop(s, p)) {
            triggered.push(s);
            break;
          }
          if (waiting && s.active) {
            waiting = false;
            sink.orderUpdate(s.orderId, ST_TRAILING_ACTIVATED, 0, s.qty, 0, s.budget);
          }
        }
      }
      if (triggered.length === 0) break;
      this.stops = this.stops.filter((s) => !triggered.includes(s));
      for (const s of triggered) this.stopIds.delete(s.orderId);
      const listed = this.lists.active();
      if (listed) for (const s of triggered) this.triggering.set(s.orderId, s);
      for (const s of triggered) {
        if (listed) {
          // an OCO sibling that traded earlier in this round ended it
          if (!this.triggering.delete(s.orderId)) continue;
        }
        sink.orderUpdate(s.orderId, ST_TRIGGERED, 0, s.qty, 0, s.budget);
        if (listed) this.settleLists(sink);
        const limitLike = isLimitLike(s.orderType);
        this.tkId = s.orderId;
        this.tkUser = s.userId;
        this.tkSide = s.side;
        this.tkLimit = limitLike ? s.price : 0;
        this.tkOpen = s.qty;
        this.tkQuote = -1;
        this.tkBudget = s.budget;
        this.tkFilled = 0;
        this.tkCanceled = 0;
        this.tkStp = s.stp;
        this.tkPeak = 0;
        this.tkPost = 0;
        this.tkRest = limitLike && s.tif === "GTC";
        this.execute(sink, limitLike && s.tif === "FOK");
        if (listed) this.settleLists(sink);
      }
    }
    this.tpN = 0;
  }

  private pushTradePrice(p: number): void {
    if (this.tpN === this.tradePrices.length) this.tradePrices = growF64(this.tradePrices, this.tpN * 2);
    this.tradePrices[this.tpN++] = p;
  }

  // ======================================================================== cancel
  private cancelResting(m: number, sink: EventSink, status = ST_CANCELED): void {
    const lv = this.lnk[(m << 2) + K_LEVEL];
    const side = this.ord[(m << 4) + O_SIDE];
    const open = this.ord[(m << 4) + O_VIS] + this.ord[(m << 4) + O_HID];
    this.ord[(m << 4) + O_CANCELED] += open;
    this.lVis[lv] -= this.ord[(m << 4) + O_VIS];
    this.lHid[lv] -= this.ord[(m << 4) + O_HID];
    this.unlink(lv, m);
    const id = this.ord[(m << 4) + O_ID];
    this.ids.delete(id);
    sink.orderUpdate(id, status, this.ord[(m << 4) + O_FILLED], 0, this.ord[(m << 4) + O_CANCELED], this.ord[(m << 4) + O_BUDGET]);
    const price = this.lPrice[lv];
    if (this.lHead[lv] < 0) {
      this.removeLevel(side, lv);
      sink.bookDelta(side, price, 0);
    } else sink.bookDelta(side, price, this.lVis[lv]);
    this.freeOrder(m);
  }
  private cancelStop(s: StopState, sink: EventSink, status = ST_CANCELED): void {
    this.stopIds.delete(s.orderId);
    this.stops.splice(this.stops.indexOf(s), 1);
    sink.orderUpdate(s.orderId, status, 0, 0, s.qty, s.budget);
  }
  /** returns reject code or -1 after canceling. */
  private cancelById(id: number, userId: number | undefined, sink: EventSink): number {
    const m = this.ids.get(id);
    if (m >= 0) {
      if (userId !== undefined && this.ord[(m << 4) + O_USER] !== userId) return RJ_NOT_OWNER;
      this.cancelResting(m, sink);
      return -1;
    }
    const s = this.stopIds.size === 0 ? undefined : this.stopIds.get(id);
    if (s !== undefined) {
      if (userId !== undefined && s.userId !== userId) return RJ_NOT_OWNER;
      this.cancelStop(s, sink);
      return -1;
    }
    // a pending order of a list: canceling it cancels its working order, which cancels the list; once the working
    // order filled (the list waits for its pending orders' funds), it cancels the pending orders
    const working = this.lists.workingOfPending.get(id);
    if (working !== undefined) {
      const p = this.lists.pendingByWorking.get(working)!;
      if (userId !== undefined && p.userId !== userId) return RJ_NOT_OWNER;
      if (!p.awaiting) return this.cancelById(working, userId, sink);
      this.lists.dropPending(p);
      for (const o of p.orders) sink.orderUpdate(o.orderId, ST_CANCELED, 0, 0, o.qty ?? 0, 0);
      return -1;
    }
    return RJ_UNKNOWN_ORDER;
  }
  private cancel(c: CancelOrder, sink: EventSink): void {
    const id = pos(c.orderId) ? c.orderId : 0;
    const s = this.statusReject(false);
    if (s >= 0) return sink.rejected(id, s);
    if (id === 0 || (c.userId !== undefined && !nonNeg(c.userId))) return sink.rejected(id, RJ_INVALID_FIELD);
    const r = this.cancelById(id, c.userId, sink);
    if (r >= 0) sink.rejected(id, r);
  }
  /** cancels the user's resting and stop orders in ascending order id. */
  private cancelAll(c: CancelAll, sink: EventSink): void {
    const s = this.statusReject(false);
    if (s >= 0) return sink.rejected(0, s);
    if (!nonNeg(c.userId)) return sink.rejected(0, RJ_INVALID_FIELD);
    const mine: number[] = [];
    const user = c.userId;
    this.ids.forEach((id, m) => {
      if (this.ord[(m << 4) + O_USER] === user) mine.push(id);
    });
    for (const st of this.stops) if (st.userId === c.userId) mine.push(st.orderId);
    // lists whose working order filled and whose pending orders wait for their funds
    for (const p of this.lists.pendingByWorking.values()) if (p.awaiting && p.userId === c.userId) mine.push(p.orders[0].orderId);
    mine.sort((a, b) => a - b);
    for (const id of mine) this.cancelById(id, undefined, sink);
  }

  // ======================================================================== amend
  private amend(a: AmendOrder, sink: EventSink): void {
    const id = pos(a.orderId) ? a.orderId : 0;
    if (this.status === "BREAK") return sink.rejected(id, RJ_SYMBOL_BREAK);
    if (this.status === "HALT") return sink.rejected(id, RJ_SYMBOL_HALTED);
    if (
      id === 0 ||
      (a.newQty !== undefined && !pos(a.newQty)) ||
      (a.newPrice !== undefined && !pos(a.newPrice)) ||
      (a.budgetDelta !== undefined && !nonNeg(a.budgetDelta)) ||
      (a.userId !== undefined && !nonNeg(a.userId)) ||
      (a.newQty === undefined && a.newPrice === undefined)
    )
      return sink.rejected(id, RJ_INVALID_FIELD);
    const m = this.ids.get(id);
    if (m < 0) return sink.rejected(id, this.stopIds.has(id) ? RJ_NOT_AMENDABLE : RJ_UNKNOWN_ORDER);
    if (a.userId !== undefined && this.ord[(m << 4) + O_USER] !== a.userId) return sink.rejected(id, RJ_NOT_OWNER);
    const vis = this.ord[(m << 4) + O_VIS];
    const hid = this.ord[(m << 4) + O_HID];
    const open = vis + hid;
    const price = this.ord[(m << 4) + O_PRICE];
    const side = this.ord[(m << 4) + O_SIDE];
    const nq = a.newQty ?? open;
    const np = a.newPrice ?? price;
    const budget = this.ord[(m << 4) + O_BUDGET] + (a.budgetDelta ?? 0);
    if (!isSafe(budget)) return sink.rejected(id, RJ_INVALID_FIELD);
    const lv = this.lnk[(m << 2) + K_LEVEL];
    if (np === price && nq <= open) {
      // keep priority
      this.ord[(m << 4) + O_CANCELED] += open - nq;
      const nv = vis < nq ? vis : nq;
      this.ord[(m << 4) + O_VIS] = nv;
      this.ord[(m << 4) + O_HID] = nq - nv;
      this.lVis[lv] += nv - vis;
      this.lHid[lv] += nq - nv - hid;
      this.ord[(m << 4) + O_BUDGET] = budget;
      sink.orderUpdate(id, ST_AMENDED, this.ord[(m << 4) + O_FILLED], nq, this.ord[(m << 4) + O_CANCELED], budget);
      if (nv !== vis) sink.bookDelta(side, price, this.lVis[lv]);
      return;
    }
    if (this.cancelOnly) return sink.rejected(id, RJ_CANCEL_ONLY);
    if (side === BUY ? productExceeds(np, nq, budget) : nq > budget) return sink.rejected(id, RJ_INSUFFICIENT_BUDGET);
    if (this.ord[(m << 4) + O_POST] === 1 && this.crosses(side, np)) return sink.rejected(id, RJ_WOULD_TAKE);
    // move: leave the queue and re-enter as a new GTC limit with the same id
    this.lVis[lv] -= vis;
    this.lHid[lv] -= hid;
    this.unlink(lv, m);
    this.ids.delete(id);
    if (this.lHead[lv] < 0) {
      this.removeLevel(side, lv);
      sink.bookDelta(side, price, 0);
    } else sink.bookDelta(side, price, this.lVis[lv]);
    let canceled = this.ord[(m << 4) + O_CANCELED];
    if (nq < open) canceled += open - nq;
    const filled = this.ord[(m << 4) + O_FILLED];
    sink.orderUpdate(id, ST_AMENDED, filled, nq, canceled, budget);
    this.tkId = id;
    this.tkUser = this.ord[(m << 4) + O_USER];
    this.tkSide = side;
    this.tkLimit = np;
    this.tkOpen = nq;
    this.tkQuote = -1;
    this.tkBudget = budget;
    this.tkFilled = filled;
    this.tkCanceled = canceled;
    this.tkStp = this.ord[(m << 4) + O_STP];
    this.tkPeak = this.ord[(m << 4) + O_PEAK];
    this.tkPost = this.ord[(m << 4) + O_POST];
    this.tkRest = true;
    this.freeOrder(m);
    this.execute(sink, false);
    this.runStops(sink);
  }

  // ======================================================================== cancel-replace, status
  private cancelReplace(c: CancelReplace, sink: EventSink): void {
    const cid = pos(c.cancelOrderId) ? c.cancelOrderId : 0;
    const nid = c.order && pos(c.order.orderId) ? c.order.orderId : 0;
    const s = this.statusReject(true);
    if (s >= 0) {
      sink.rejected(cid, s);
      sink.rejected(nid, s);
      return;
    }
    if (
      cid === 0 ||
      !c.order ||
      (c.mode !== undefined && c.mode !== "STOP_ON_FAILURE" && c.mode !== "ALLOW_FAILURE") ||
      (c.budgetFromCanceled !== undefined && !nonNeg(c.budgetFromCanceled))
    ) {
      sink.rejected(cid, RJ_INVALID_FIELD);
      sink.rejected(nid, RJ_INVALID_FIELD);
      return;
    }
    const from = c.budgetFromCanceled ?? 0;
    // judged before the cancel frees the order's record
    const covered = from > 0 && this.covers(cid, c.order.side, from);
    const r = this.cancelById(cid, c.order.userId, sink);
    if (r >= 0) {
      sink.rejected(cid, r);
      if (c.mode !== "ALLOW_FAILURE") return sink.rejected(nid, r);
    }
    // the canceled order's list ends before the new order can meet its siblings
    if (this.lists.active()) this.settleLists(sink);
    if (from === 0) return this.place(c.order, sink, false);
    if (r >= 0 || !covered) return sink.rejected(nid, RJ_INSUFFICIENT_BUDGET);
    this.place({ ...c.order, budget: c.order.budget + from }, sink, false);
  }

  /** Whether a live order of `side`, in no list, leaves `need` budget units for a replacement (budgetCovers). */
  private covers(id: number, side: unknown, need: number): boolean {
    if (this.lists.isLeg(id) || this.lists.knows(id)) return false;
    const want = side === "BUY" ? BUY : side === "SELL" ? SELL : -1;
    const m = this.ids.get(id);
    if (m >= 0) {
      const s = this.ord[(m << 4) + O_SIDE];
      return s === want && budgetCovers(s, this.ord[(m << 4) + O_PRICE], this.ord[(m << 4) + O_BUDGET], this.ord[(m << 4) + O_CANCELED], need);
    }
    const st = this.stopIds.size === 0 ? undefined : this.stopIds.get(id);
    return st !== undefined && st.side === want && budgetCovers(st.side, st.price, st.budget, 0, need);
  }

  // ======================================================================== order lists
  /** All legs are accepted or all rejected (with the first problem found); see PlaceList. */
  private placeList(c: PlaceList, sink: EventSink): void {
    const legs: ListLeg[] = Array.isArray(c.orders) ? c.orders : [];
    const ids = legs.map((o) => (typeof o === "object" && o !== null && pos(o.orderId) ? o.orderId : 0));
    const rejectAll = (code: number): void => {
      if (ids.length === 0) sink.rejected(0, code);
      for (const id of ids) sink.rejected(id, code);
    };
    const st = this.statusReject(true);
    if (st >= 0) return rejectAll(st);
    const n = c.contingency === "OCO" || c.contingency === "OTO" ? 2 : c.contingency === "OTOCO" ? 3 : 0;
    if (n === 0 || legs.length !== n || ids.includes(0) || new Set(ids).size !== n) return rejectAll(RJ_INVALID_FIELD);
    // pending orders without a budget are funded once the working order has filled (FUND_PENDING)
    const later = c.contingency !== "OCO" && legs.slice(1).every((o) => o.budget === 0);
    for (let i = 0; i < legs.length; i++) {
      const v = i > 0 && later ? validateFields(legs[i]) : validatePlace(legs[i]);
      if (v >= 0) return rejectAll(v);
    }
    if (legs.some((o) => o.userId !== legs[0].userId)) return rejectAll(RJ_INVALID_FIELD);
    for (const id of ids) if (this.ids.get(id) >= 0 || this.stopIds.has(id) || this.lists.knows(id)) return rejectAll(RJ_DUPLICATE_ORDER_ID);
    if (c.contingency === "OCO") {
      const v = this.ocoCheck(legs);
      if (v >= 0) return rejectAll(v);
      return this.placeOco(legs, sink);
    }
    const working = legs[0];
    const pending = legs.slice(1);
    if (working.orderType !== "LIMIT" && working.orderType !== "LIMIT_MAKER") return rejectAll(RJ_INVALID_FIELD);
    if (pending.some((o) => o.quoteQty !== undefined)) return rejectAll(RJ_INVALID_FIELD);
    if (c.contingency === "OTOCO" && ocoShape(pending) >= 0) return rejectAll(RJ_INVALID_FIELD);
    if (working.orderType === "LIMIT_MAKER" && this.crosses(working.side === "BUY" ? BUY : SELL, working.price as number)) return rejectAll(RJ_WOULD_TAKE);
    this.lists.addPending({ working: working.orderId, userId: working.userId, oco: c.contingency === "OTOCO", orders: pending.map((o) => ({ ...o })) });
    this.place(working, sink, false);
  }

  /** An OCO against the book now: shape, a LIMIT_MAKER that would take, a stop that would trigger at once. */
  private ocoCheck(legs: readonly ListLeg[]): number {
    const shape = ocoShape(legs);
    if (shape >= 0) return shape;
    for (const o of legs) {
      if (o.orderType === "LIMIT_MAKER") {
        if (this.crosses(o.side === "BUY" ? BUY : SELL, o.price as number)) return RJ_WOULD_TAKE;
      } else if (typeof newStopState(o, this.lastPrice) === "number") return RJ_WOULD_TRIGGER_IMMEDIATELY;
    }
    return -1;
  }

  /**
   * The funds of a list's pending orders, once its working order filled: placed with their budgets (in this
   * command, as finishLists places any released pending orders), or expired when the account could not cover them.
   */
  private fundPending(c: FundPending, sink: EventSink): void {
    const id = pos(c.workingOrderId) ? c.workingOrderId : 0;
    const p = id === 0 ? undefined : this.lists.pendingByWorking.get(id);
    if (p === undefined || !p.awaiting) return sink.rejected(id, RJ_UNKNOWN_ORDER);
    if (c.funded === false) {
      this.lists.dropPending(p);
      for (const o of p.orders) sink.orderUpdate(o.orderId, ST_EXPIRED, 0, 0, o.qty ?? 0, 0);
      return;
    }
    const budgets: unknown[] = Array.isArray(c.budgets) ? c.budgets : [];
    if (c.funded !== true || budgets.length !== p.orders.length || !budgets.every((b) => pos(b))) return sink.rejected(id, RJ_INVALID_FIELD);
    this.lists.dropPending(p);
    this.toPlace.push({ ...p, awaiting: false, orders: p.orders.map((o, i) => ({ ...o, budget: budgets[i] as number })) });
  }

  /** Places checked OCO legs (none of them trades on placement) and links them. */
  private placeOco(legs: readonly ListLeg[], sink: EventSink): void {
    for (const o of legs) this.place(o, sink, false);
    this.lists.addOco(legs.map((o) => o.orderId));
  }

  /**
   * Applies what the noted leg changes mean: an OCO leg that traded, triggered or ended ends its siblings
   * (CANCELED when it was canceled, else EXPIRED); an OTO working order that filled queues its pending orders
   * for placement, one that ended otherwise ends them.
   */
  private settleLists(sink: EventSink): void {
    for (let change = this.lists.next(); change !== undefined; change = this.lists.next()) {
      const [id, status] = change;
      const end = status === ST_CANCELED ? ST_CANCELED : ST_EXPIRED;
      const group = this.lists.oco.get(id);
      if (group !== undefined) {
        this.lists.dropOco(group);
        for (const other of group) if (other !== id) this.endLeg(other, end, sink);
      }
      const p = this.lists.pendingByWorking.get(id);
      if (p !== undefined && !p.awaiting) {
        if (status === ST_FILLED && fundedLater(p)) p.awaiting = true;
        else if (status === ST_FILLED) {
          this.lists.dropPending(p);
          this.toPlace.push(p);
        } else if (status === ST_CANCELED || status === ST_EXPIRED || status === ST_EXPIRED_IN_MATCH) {
          this.lists.dropPending(p);
          for (const o of p.orders) sink.orderUpdate(o.orderId, end, 0, 0, o.qty ?? 0, o.budget);
        }
      }
    }
  }

  /** Ends an OCO sibling wherever it is: resting, parked, or triggered but not yet executed. */
  private endLeg(id: number, status: number, sink: EventSink): void {
    const m = this.ids.get(id);
    if (m >= 0) return this.cancelResting(m, sink, status);
    const s = this.stopIds.get(id);
    if (s !== undefined) return this.cancelStop(s, sink, status);
    const t = this.triggering.get(id);
    if (t !== undefined) {
      this.triggering.delete(id);
      sink.orderUpdate(id, status, 0, 0, t.qty, t.budget);
    }
  }

  /** Settles the command's list changes, then places the pending orders released in it (which may release more). */
  private finishLists(sink: EventSink): void {
    this.settleLists(sink);
    while (this.toPlace.length > 0) {
      const p = this.toPlace.shift()!;
      if (!p.oco) this.place(p.orders[0], sink, true);
      else {
        const s = this.statusReject(true);
        const v = s >= 0 ? s : this.ocoCheck(p.orders);
        if (v >= 0) for (const o of p.orders) sink.rejected(o.orderId, v);
        else this.placeOco(p.orders, sink);
      }
      this.settleLists(sink);
    }
    this.triggering.clear();
  }

  private setStatus(c: SetStatus, sink: EventSink): void {
    if (c.status !== "TRADING" && c.status !== "HALT" && c.status !== "BREAK") return sink.rejected(0, RJ_INVALID_FIELD);
    this.status = c.status;
    this.cancelOnly = c.cancelOnly === true;
  }

  // ======================================================================== state
  state(): BookState {
    const side = (s: number): RestingOrderState[] => {
      const out: RestingOrderState[] = [];
      for (let i = this.sLen[s] - 1; i >= 0; i--) {
        for (let m = this.lHead[this.sLvl[s][i]]; m >= 0; m = this.lnk[(m << 2) + K_NEXT]) {
          out.push({
            orderId: this.ord[(m << 4) + O_ID],
            userId: this.ord[(m << 4) + O_USER],
            side: s,
            price: this.ord[(m << 4) + O_PRICE],
            visible: this.ord[(m << 4) + O_VIS],
            hidden: this.ord[(m << 4) + O_HID],
            peak: this.ord[(m << 4) + O_PEAK],
            filled: this.ord[(m << 4) + O_FILLED],
            canceled: this.ord[(m << 4) + O_CANCELED],
            budget: this.ord[(m << 4) + O_BUDGET],
            stp: this.ord[(m << 4) + O_STP],
            postOnly: this.ord[(m << 4) + O_POST] === 1,
          });
        }
      }
      return out;
    };
    return {
      seq: this.seq,
      tradeId: this.tradeId,
      lastPrice: this.lastPrice,
      status: this.status,
      cancelOnly: this.cancelOnly,
      bids: side(BUY),
      asks: side(SELL),
      stops: this.stops.map((s) => ({ ...s })),
      ...(this.lists.oco.size + this.lists.pendingByWorking.size > 0 ? { lists: this.lists.state() } : {}),
    };
  }

  static fromState(st: BookState): OrderBook {
    const b = new OrderBook(Math.max(1024, st.bids.length + st.asks.length));
    b.seq = st.seq;
    b.tradeId = st.tradeId;
    b.lastPrice = st.lastPrice;
    b.status = st.status;
    b.cancelOnly = st.cancelOnly;
    for (const o of [...st.bids, ...st.asks]) b.insertResting(o);
    for (const s of st.stops) {
      const c = { ...s };
      b.stops.push(c);
      b.stopIds.set(c.orderId, c);
    }
    b.lists = OrderLists.fromState(st.lists);
    b.watch = new ListWatch(b.lists);
    return b;
  }

  /** appends a resting order at the tail of its level (restore, and seeding books from market data). */
  insertResting(o: RestingOrderState): void {
    const m = this.allocOrder();
    this.ord[(m << 4) + O_ID] = o.orderId;
    this.ord[(m << 4) + O_USER] = o.userId;
    this.ord[(m << 4) + O_PRICE] = o.price;
    this.ord[(m << 4) + O_SIDE] = o.side;
    this.ord[(m << 4) + O_VIS] = o.visible;
    this.ord[(m << 4) + O_HID] = o.hidden;
    this.ord[(m << 4) + O_PEAK] = o.peak;
    this.ord[(m << 4) + O_FILLED] = o.filled;
    this.ord[(m << 4) + O_CANCELED] = o.canceled;
    this.ord[(m << 4) + O_BUDGET] = o.budget;
    this.ord[(m << 4) + O_STP] = o.stp;
    this.ord[(m << 4) + O_POST] = o.postOnly ? 1 : 0;
    let lv = this.levelMap[o.side].get(o.price);
    if (lv < 0) lv = this.createLevel(o.side, o.price);
    this.append(lv, m);
    this.lVis[lv] += o.visible;
    this.lHid[lv] += o.hidden;
    this.ids.set(o.orderId, m);
  }

  /** ids of the orders resting at (side, price), FIFO (tests and market-data tools). */
  levelOrderIds(side: number, price: number): number[] {
    const lv = this.levelMap[side].get(price);
    const out: number[] = [];
    if (lv < 0) return out;
    for (let m = this.lHead[lv]; m >= 0; m = this.lnk[(m << 2) + K_NEXT]) out.push(this.ord[(m << 4) + O_ID]);
    return out;
  }
  /** open (visible + hidden) quantity of a resting order, or 0. */
  openQty(orderId: number): number {
    const m = this.ids.get(orderId);
    return m < 0 ? 0 : this.ord[(m << 4) + O_VIS] + this.ord[(m << 4) + O_HID];
  }
  /** is the order resting on the book? */
  has(orderId: number): boolean {
    return this.ids.get(orderId) >= 0;
  }

  /** visible depth, best first: [price, qty][] (tests, market data, LOBSTER comparison). */
  depth(side: number, levels: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = this.sLen[side] - 1; i >= 0 && out.length < levels; i--) {
      const lv = this.sLvl[side][i];
      out.push([this.lPrice[lv], this.lVis[lv]]);
    }
    return out;
  }
}

/** An OCO's legs: same side and user, each LIMIT_MAKER or a stop type, at most one LIMIT_MAKER. */
function ocoShape(legs: readonly ListLeg[]): number {
  if (legs.length !== 2) return RJ_INVALID_FIELD;
  const [a, b] = legs;
  if (a.side !== b.side || a.userId !== b.userId) return RJ_INVALID_FIELD;
  let makers = 0;
  for (const o of legs) {
    if (o.orderType === "LIMIT_MAKER") makers++;
    else if (!isStopType(o.orderType)) return RJ_INVALID_FIELD;
  }
  return makers > 1 ? RJ_INVALID_FIELD : -1;
}
