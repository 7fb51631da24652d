/**
 * Reference order book: naive arrays, re-sorted on every step, bigint arithmetic. Obviously correct and slow; the
 * fast OrderBook must produce the same events and the same state (property tests, exchange-core's
 * OrderBookNaiveImpl idea). Shares only rules.ts (validation, stop trigger rules) with the fast book.
 */
import type { AmendOrder, CancelAll, CancelOrder, CancelReplace, Command, PlaceOrder, SymbolStatus } from "./commands.js";
import type { EventSink } from "./events.js";
import type { MatchingBook } from "./order-book.js";
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
  RJ_SYMBOL_HALTED,
  RJ_SYMBOL_BREAK,
  RJ_CANCEL_ONLY,
  RJ_NOT_AMENDABLE,
  STP_NONE,
  STP_EXPIRE_TAKER,
  STP_EXPIRE_MAKER,
  STP_EXPIRE_BOTH,
  validatePlace,
  isStopType,
  isLimitLike,
  newStopState,
  feedStop,
  stpCode,
  type BookState,
  type StopState,
} from "./rules.js";

interface ROrder {
  id: number;
  user: number;
  side: number;
  price: number;
  vis: number;
  hid: number;
  peak: number;
  filled: number;
  canceled: number;
  budget: number;
  stp: number;
  post: boolean;
  time: number;
}
interface Taker {
  id: number;
  user: number;
  side: number;
  limit: number; // 0 = market
  qtyBased: boolean;
  open: number;
  quote: number;
  budget: number;
  filled: number;
  canceled: number;
  stp: number;
  peak: number;
  post: boolean;
  rest: boolean;
  stopped: number; // 0 no, 1 STP, 2 budget, 3 a quote amount's rest below one lot
}

const safe = (x: unknown): x is number => typeof x === "number" && Number.isSafeInteger(x);

export class ReferenceOrderBook implements MatchingBook {
  seq = 0;
  tradeId = 0;
  lastPrice = 0;
  status: SymbolStatus = "TRADING";
  cancelOnly = false;
  orders: ROrder[] = [];
  stops: StopState[] = [];
  private clock = 0;
  private prices: number[] = [];

  /** best first: better price, then earlier time. */
  private sorted(side: number): ROrder[] {
    return this.orders
      .filter((o) => o.side === side)
      .sort((a, b) => (a.price !== b.price ? (side === BUY ? b.price - a.price : a.price - b.price) : a.time - b.time));
  }
  private levelQty(side: number, price: number): number {
    let q = 0;
    for (const o of this.orders) if (o.side === side && o.price === price) q += o.vis;
    return q;
  }
  private hasLevel(side: number, price: number): boolean {
    return this.orders.some((o) => o.side === side && o.price === price);
  }
  private remove(o: ROrder): void {
    this.orders.splice(this.orders.indexOf(o), 1);
  }
  private find(id: number): ROrder | undefined {
    return this.orders.find((o) => o.id === id);
  }
  private crossesBook(side: number, price: number): boolean {
    const best = this.sorted(1 - side)[0];
    return best !== undefined && (side === BUY ? best.price <= price : best.price >= price);
  }

  apply(cmd: Command, sink: EventSink): void {
    const okTs = safe(cmd.ts) && cmd.ts >= 0;
    sink.begin(++this.seq, okTs ? cmd.ts : 0);
    this.prices = [];
    if (!okTs) sink.rejected(0, RJ_INVALID_FIELD);
    else if (cmd.type === "PLACE") this.place(cmd, sink, true);
    else if (cmd.type === "CANCEL") this.cancel(cmd, sink);
    else if (cmd.type === "AMEND") this.amend(cmd, sink);
    else if (cmd.type === "CANCEL_REPLACE") this.cancelReplace(cmd, sink);
    else if (cmd.type === "CANCEL_ALL") this.cancelAll(cmd, sink);
    else if (cmd.type === "SET_STATUS") {
      if (cmd.status === "TRADING" || cmd.status === "HALT" || cmd.status === "BREAK") {
        this.status = cmd.status;
        this.cancelOnly = cmd.cancelOnly === true;
      } else sink.rejected(0, RJ_INVALID_FIELD);
    } else sink.rejected(0, RJ_INVALID_FIELD);
    sink.end();
  }

  private newOrderBlocked(): number {
    if (this.status === "BREAK") return RJ_SYMBOL_BREAK;
    if (this.status === "HALT") return RJ_SYMBOL_HALTED;
    if (this.cancelOnly) return RJ_CANCEL_ONLY;
    return -1;
  }

  private place(o: Omit<PlaceOrder, "type" | "ts">, sink: EventSink, checkStatus: boolean): void {
    const id = safe(o.orderId) && o.orderId > 0 ? o.orderId : 0;
    if (checkStatus && this.newOrderBlocked() >= 0) return sink.rejected(id, this.newOrderBlocked());
    const v = validatePlace(o);
    if (v >= 0) return sink.rejected(id, v);
    if (this.find(id) || this.stops.some((s) => s.orderId === id)) return sink.rejected(id, RJ_DUPLICATE_ORDER_ID);
    const side = o.side === "BUY" ? BUY : SELL;
    if (o.orderType === "LIMIT_MAKER" && this.crossesBook(side, o.price!)) return sink.rejected(id, RJ_WOULD_TAKE);
    if (isStopType(o.orderType)) {
      const s = newStopState(o, this.lastPrice);
      if (typeof s === "number") return sink.rejected(id, s);
      sink.accepted(id);
      this.stops.push(s);
      sink.orderUpdate(id, ST_NEW, 0, s.qty, 0, s.budget);
      if (s.active) sink.orderUpdate(id, ST_TRAILING_ACTIVATED, 0, s.qty, 0, s.budget);
      return;
    }
    sink.accepted(id);
    const limitLike = isLimitLike(o.orderType);
    const tif = o.tif ?? "GTC";
    const t: Taker = {
      id,
      user: o.userId,
      side,
      limit: limitLike ? o.price! : 0,
      qtyBased: o.qty !== undefined,
      open: o.qty ?? 0,
      quote: o.quoteQty ?? 0,
      budget: o.budget,
      filled: 0,
      canceled: 0,
      stp: stpCode(o.stp),
      peak: o.icebergQty ?? 0,
      post: o.orderType === "LIMIT_MAKER",
      rest: limitLike && tif === "GTC",
      stopped: 0,
    };
    this.execute(t, sink, limitLike && tif === "FOK");
    this.triggerStops(sink);
  }

  private fillable(t: Taker): boolean {
    let avail = 0;
    for (const m of this.sorted(1 - t.side)) {
      if (t.side === BUY ? m.price > t.limit : m.price < t.limit) return false;
      if (t.stp !== STP_NONE && m.user === t.user) {
        if (t.stp === STP_EXPIRE_MAKER) continue;
        return false;
      }
      avail += m.vis + m.hid;
      if (avail >= t.open) return true;
    }
    return false;
  }

  private execute(t: Taker, sink: EventSink, fok: boolean): void {
    if (fok && !this.fillable(t)) {
      t.canceled += t.open;
      sink.orderUpdate(t.id, ST_EXPIRED, t.filled, 0, t.canceled, t.budget);
      return;
    }
    const opp = 1 - t.side;
    const wants = () => (t.qtyBased ? t.open > 0 : true);
    while (wants()) {
      const top = this.sorted(opp)[0];
      if (!top) break;
      const P = top.price;
      if (t.limit !== 0 && (t.side === BUY ? P > t.limit : P < t.limit)) break;
      let touched = false;
      while (wants()) {
        const m = this.sorted(opp).find((x) => x.price === P);
        if (!m) break;
        if (t.stp !== STP_NONE && m.user === t.user) {
          if (t.stp === STP_EXPIRE_TAKER) {
            t.stopped = 1;
            break;
          }
          m.canceled += m.vis + m.hid;
          m.vis = 0;
          m.hid = 0;
          this.remove(m);
          sink.orderUpdate(m.id, ST_EXPIRED_IN_MATCH, m.filled, 0, m.canceled, m.budget);
          touched = true;
          if (t.stp === STP_EXPIRE_BOTH) {
            t.stopped = 1;
            break;
          }
          continue;
        }
        let q = BigInt(m.vis);
        if (t.qtyBased && BigInt(t.open) < q) q = BigInt(t.open);
        const afford = t.side === BUY ? BigInt(t.budget) / BigInt(P) : BigInt(t.budget);
        if (afford < q) q = afford;
        if (!t.qtyBased && BigInt(t.quote) / BigInt(P) < q) q = BigInt(t.quote) / BigInt(P);
        if (q === 0n) {
          // 3: what is left of a quote amount cannot buy one lot here, nor deeper (FILLED, as Binance).
          t.stopped = !t.qtyBased && BigInt(t.quote) / BigInt(P) === 0n ? 3 : 2;
          break;
        }
        const qty = Number(q);
        const notional = Number(q * BigInt(P));
        if (t.qtyBased) t.open -= qty;
        else t.quote -= notional;
        t.filled += qty;
        t.budget -= t.side === BUY ? notional : qty;
        m.vis -= qty;
        m.filled += qty;
        m.budget -= m.side === BUY ? notional : qty;
        this.lastPrice = P;
        this.prices.push(P);
        sink.trade(++this.tradeId, P, qty, m.id, t.id, m.user, t.user, t.side);
        touched = true;
        if (m.vis === 0 && m.hid > 0) {
          const r = Math.min(m.peak, m.hid);
          m.vis = r;
          m.hid -= r;
          m.time = ++this.clock; // back of the queue
          sink.orderUpdate(m.id, ST_PARTIALLY_FILLED, m.filled, m.vis + m.hid, m.canceled, m.budget);
        } else if (m.vis === 0) {
          this.remove(m);
          sink.orderUpdate(m.id, ST_FILLED, m.filled, 0, m.canceled, m.budget);
        } else {
          sink.orderUpdate(m.id, ST_PARTIALLY_FILLED, m.filled, m.vis + m.hid, m.canceled, m.budget);
        }
      }
      if (!this.hasLevel(opp, P)) sink.bookDelta(opp, P, 0);
      else if (touched) sink.bookDelta(opp, P, this.levelQty(opp, P));
      if (t.stopped) break;
    }
    // final state of the taker
    if (t.stopped === 1) {
      if (t.qtyBased) t.canceled += t.open;
      sink.orderUpdate(t.id, ST_EXPIRED_IN_MATCH, t.filled, 0, t.canceled, t.budget);
    } else if (!t.qtyBased) {
      sink.orderUpdate(t.id, t.quote === 0 || (t.stopped === 3 && t.filled > 0) ? ST_FILLED : ST_EXPIRED, t.filled, 0, t.canceled, t.budget);
    } else if (t.open === 0) {
      sink.orderUpdate(t.id, ST_FILLED, t.filled, 0, t.canceled, t.budget);
    } else if (t.rest && t.stopped === 0) {
      const vis = t.peak > 0 ? Math.min(t.peak, t.open) : t.open;
      this.orders.push({
        id: t.id,
        user: t.user,
        side: t.side,
        price: t.limit,
        vis,
        hid: t.open - vis,
        peak: t.peak,
        filled: t.filled,
        canceled: t.canceled,
        budget: t.budget,
        stp: t.stp,
        post: t.post,
        time: ++this.clock,
      });
      sink.orderUpdate(t.id, t.filled > 0 ? ST_PARTIALLY_FILLED : ST_NEW, t.filled, t.open, t.canceled, t.budget);
      sink.bookDelta(t.side, t.limit, this.levelQty(t.side, t.limit));
    } else {
      t.canceled += t.open;
      sink.orderUpdate(t.id, ST_EXPIRED, t.filled, 0, t.canceled, t.budget);
    }
  }

  private triggerStops(sink: EventSink): void {
    while (this.prices.length > 0 && this.stops.length > 0) {
      const prices = this.prices;
      this.prices = [];
      const fired: StopState[] = [];
      for (const s of this.stops) {
        let waiting = s.trailingDelta !== 0 && !s.active;
        for (const p of prices) {
          if (feedStop(s, p)) {
            fired.push(s);
            break;
          }
          if (waiting && s.active) {
            waiting = false;
            sink.orderUpdate(s.orderId, ST_TRAILING_ACTIVATED, 0, s.qty, 0, s.budget);
          }
        }
      }
      if (fired.length === 0) break;
      this.stops = this.stops.filter((s) => !fired.includes(s));
      for (const s of fired) {
        sink.orderUpdate(s.orderId, ST_TRIGGERED, 0, s.qty, 0, s.budget);
        const limitLike = isLimitLike(s.orderType);
        const t: Taker = {
          id: s.orderId,
          user: s.userId,
          side: s.side,
          limit: limitLike ? s.price : 0,
          qtyBased: true,
          open: s.qty,
          quote: 0,
          budget: s.budget,
          filled: 0,
          canceled: 0,
          stp: s.stp,
          peak: 0,
          post: false,
          rest: limitLike && s.tif === "GTC",
          stopped: 0,
        };
        this.execute(t, sink, limitLike && s.tif === "FOK");
      }
    }
    this.prices = [];
  }

  private cancelOne(id: number, user: number | undefined, sink: EventSink): number {
    const o = this.find(id);
    if (o) {
      if (user !== undefined && o.user !== user) return RJ_NOT_OWNER;
      o.canceled += o.vis + o.hid;
      this.remove(o);
      sink.orderUpdate(o.id, ST_CANCELED, o.filled, 0, o.canceled, o.budget);
      sink.bookDelta(o.side, o.price, this.levelQty(o.side, o.price));
      return -1;
    }
    const s = this.stops.find((x) => x.orderId === id);
    if (s) {
      if (user !== undefined && s.userId !== user) return RJ_NOT_OWNER;
      this.stops = this.stops.filter((x) => x !== s);
      sink.orderUpdate(s.orderId, ST_CANCELED, 0, 0, s.qty, s.budget);
      return -1;
    }
    return RJ_UNKNOWN_ORDER;
  }

  private cancel(c: CancelOrder, sink: EventSink): void {
    const id = safe(c.orderId) && c.orderId > 0 ? c.orderId : 0;
    if (this.status === "BREAK") return sink.rejected(id, RJ_SYMBOL_BREAK);
    if (id === 0 || (c.userId !== undefined && !(safe(c.userId) && c.userId >= 0))) return sink.rejected(id, RJ_INVALID_FIELD);
    const r = this.cancelOne(id, c.userId, sink);
    if (r >= 0) sink.rejected(id, r);
  }

  private cancelAll(c: CancelAll, sink: EventSink): void {
    if (this.status === "BREAK") return sink.rejected(0, RJ_SYMBOL_BREAK);
    if (!(safe(c.userId) && c.userId >= 0)) return sink.rejected(0, RJ_INVALID_FIELD);
    const ids = [...this.orders.filter((o) => o.user === c.userId).map((o) => o.id), ...this.stops.filter((s) => s.userId === c.userId).map((s) => s.orderId)];
    ids.sort((a, b) => a - b);
    for (const id of ids) this.cancelOne(id, undefined, sink);
  }

  private amend(a: AmendOrder, sink: EventSink): void {
    const id = safe(a.orderId) && a.orderId > 0 ? a.orderId : 0;
    if (this.status === "BREAK") return sink.rejected(id, RJ_SYMBOL_BREAK);
    if (this.status === "HALT") return sink.rejected(id, RJ_SYMBOL_HALTED);
    const okPos = (x: number | undefined) => x === undefined || (safe(x) && x > 0);
    const okNN = (x: number | undefined) => x === undefined || (safe(x) && x >= 0);
    if (id === 0 || !okPos(a.newQty) || !okPos(a.newPrice) || !okNN(a.budgetDelta) || !okNN(a.userId) || (a.newQty === undefined && a.newPrice === undefined))
      return sink.rejected(id, RJ_INVALID_FIELD);
    const o = this.find(id);
    if (!o) return sink.rejected(id, this.stops.some((s) => s.orderId === id) ? RJ_NOT_AMENDABLE : RJ_UNKNOWN_ORDER);
    if (a.userId !== undefined && a.userId !== o.user) return sink.rejected(id, RJ_NOT_OWNER);
    const open = o.vis + o.hid;
    const nq = a.newQty ?? open;
    const np = a.newPrice ?? o.price;
    const budget = o.budget + (a.budgetDelta ?? 0);
    if (!safe(budget)) return sink.rejected(id, RJ_INVALID_FIELD);
    if (np === o.price && nq <= open) {
      const oldVis = o.vis;
      o.canceled += open - nq;
      o.vis = Math.min(o.vis, nq);
      o.hid = nq - o.vis;
      o.budget = budget;
      sink.orderUpdate(id, ST_AMENDED, o.filled, nq, o.canceled, budget);
      if (o.vis !== oldVis) sink.bookDelta(o.side, o.price, this.levelQty(o.side, o.price));
      return;
    }
    if (this.cancelOnly) return sink.rejected(id, RJ_CANCEL_ONLY);
    const need = o.side === BUY ? BigInt(np) * BigInt(nq) : BigInt(nq);
    if (need > BigInt(budget)) return sink.rejected(id, RJ_INSUFFICIENT_BUDGET);
    if (o.post && this.crossesBook(o.side, np)) return sink.rejected(id, RJ_WOULD_TAKE);
    this.remove(o);
    sink.bookDelta(o.side, o.price, this.levelQty(o.side, o.price));
    const canceled = o.canceled + (nq < open ? open - nq : 0);
    sink.orderUpdate(id, ST_AMENDED, o.filled, nq, canceled, budget);
    const t: Taker = {
      id,
      user: o.user,
      side: o.side,
      limit: np,
      qtyBased: true,
      open: nq,
      quote: 0,
      budget,
      filled: o.filled,
      canceled,
      stp: o.stp,
      peak: o.peak,
      post: o.post,
      rest: true,
      stopped: 0,
    };
    this.execute(t, sink, false);
    this.triggerStops(sink);
  }

  private cancelReplace(c: CancelReplace, sink: EventSink): void {
    const cid = safe(c.cancelOrderId) && c.cancelOrderId > 0 ? c.cancelOrderId : 0;
    const nid = c.order && safe(c.order.orderId) && c.order.orderId > 0 ? c.order.orderId : 0;
    const blocked = this.newOrderBlocked();
    if (blocked >= 0) {
      sink.rejected(cid, blocked);
      sink.rejected(nid, blocked);
      return;
    }
    const from = c.budgetFromCanceled;
    if (cid === 0 || !c.order || (c.mode !== undefined && c.mode !== "STOP_ON_FAILURE" && c.mode !== "ALLOW_FAILURE") || (from !== undefined && !(safe(from) && from >= 0))) {
      sink.rejected(cid, RJ_INVALID_FIELD);
      sink.rejected(nid, RJ_INVALID_FIELD);
      return;
    }
    // what the order to cancel leaves for the new one, judged before it goes
    const want = c.order.side === "BUY" ? BUY : c.order.side === "SELL" ? SELL : -1;
    const o = this.find(cid);
    const s = this.stops.find((x) => x.orderId === cid);
    // kept upstream: the budget less what amendments released (canceled lots, at the price for a buy), in bigint
    const kept = o ? BigInt(o.budget) - BigInt(o.canceled) * (o.side === BUY ? BigInt(o.price) : 1n) : s ? BigInt(s.budget) : -1n;
    const side = o ? o.side : s ? s.side : -2;
    const covered = from !== undefined && from > 0 && side === want && kept >= BigInt(from);
    const r = this.cancelOne(cid, c.order.userId, sink);
    if (r >= 0) {
      sink.rejected(cid, r);
      if (c.mode !== "ALLOW_FAILURE") {
        sink.rejected(nid, r);
        return;
      }
    }
    if (from === undefined || from === 0) return this.place(c.order, sink, false);
    if (r >= 0 || !covered) return sink.rejected(nid, RJ_INSUFFICIENT_BUDGET);
    this.place({ ...c.order, budget: c.order.budget + from }, sink, false);
  }

  state(): BookState {
    const conv = (o: ROrder) => ({
      orderId: o.id,
      userId: o.user,
      side: o.side,
      price: o.price,
      visible: o.vis,
      hidden: o.hid,
      peak: o.peak,
      filled: o.filled,
      canceled: o.canceled,
      budget: o.budget,
      stp: o.stp,
      postOnly: o.post,
    });
    return {
      seq: this.seq,
      tradeId: this.tradeId,
      lastPrice: this.lastPrice,
      status: this.status,
      cancelOnly: this.cancelOnly,
      bids: this.sorted(BUY).map(conv),
      asks: this.sorted(SELL).map(conv),
      stops: this.stops.map((s) => ({ ...s })),
    };
  }
}
