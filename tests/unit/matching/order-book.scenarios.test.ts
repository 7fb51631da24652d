import { describe, expect, it } from "vitest";
import { OrderBook, type MatchingBook } from "../../../services/matching/src/domain/order-book.js";
import { ReferenceOrderBook } from "../../../services/matching/src/domain/order-book.reference.js";
import { CollectingSink, type MatchingEvent, type TradeEvent, type OrderUpdateEvent } from "../../../services/matching/src/domain/events.js";
import type { Command, PlaceOrder } from "../../../services/matching/src/domain/commands.js";
import { BUY as BUY_SIDE, SELL } from "../../../services/matching/src/domain/rules.js";

type P = Omit<PlaceOrder, "type" | "ts">;
let ts = 0;
const place = (o: Partial<P> & { orderId: number; side: "BUY" | "SELL" }): Command => {
  const orderType = o.orderType ?? "LIMIT";
  const qty = o.qty ?? (o.quoteQty === undefined ? 10 : undefined);
  const price = o.price ?? (orderType === "LIMIT" || orderType === "LIMIT_MAKER" ? 100 : undefined);
  const budget = o.budget ?? (o.side === "BUY" ? (price ?? 1000) * (qty ?? 1000) : (qty ?? 1000));
  return { type: "PLACE", ts: ++ts, userId: 1, ...o, orderType, qty, price, budget } as Command;
};

/** Runs on both books, checks they agree, returns the fast book's events per command. */
function both(cmds: Command[]): { book: OrderBook; events: MatchingEvent[][] } {
  const books: MatchingBook[] = [new OrderBook(), new ReferenceOrderBook()];
  const outs = books.map((b) => {
    const s = new CollectingSink();
    for (const c of cmds) b.apply(c, s);
    return s.take().map((x) => x.events);
  });
  expect(outs[0]).toEqual(outs[1]);
  expect(books[0].state()).toEqual(books[1].state());
  return { book: books[0] as OrderBook, events: outs[0] };
}
const trades = (ev: MatchingEvent[]) => ev.filter((e): e is TradeEvent => e.kind === "TRADE");
const upd = (ev: MatchingEvent[], id: number) => ev.filter((e): e is OrderUpdateEvent => e.kind === "ORDER_UPDATE" && e.orderId === id);

describe("matching scenarios", () => {
  it("price-time priority: better price first, then FIFO within a level, trade at maker price", () => {
    const { events } = both([
      place({ orderId: 1, side: "SELL", price: 101, qty: 5, userId: 1 }),
      place({ orderId: 2, side: "SELL", price: 100, qty: 5, userId: 2 }),
      place({ orderId: 3, side: "SELL", price: 100, qty: 5, userId: 3 }),
      place({ orderId: 4, side: "BUY", price: 102, qty: 12, userId: 4 }),
    ]);
    expect(trades(events[3]).map((t) => [t.makerOrderId, t.price, t.qty])).toEqual([
      [2, 100, 5],
      [3, 100, 5],
      [1, 101, 2],
    ]);
    const last = upd(events[3], 4).at(-1)!;
    expect(last).toMatchObject({ status: "FILLED", filledQty: 12, remainingBudget: 102 * 12 - (100 * 10 + 101 * 2) });
  });

  it("iceberg shows only its peak and each refill goes to the back of the queue", () => {
    const { events, book } = both([
      place({ orderId: 1, side: "SELL", price: 100, qty: 10, icebergQty: 3 }),
      place({ orderId: 2, side: "SELL", price: 100, qty: 2, userId: 2 }),
      place({ orderId: 3, side: "BUY", price: 100, qty: 6, userId: 3, tif: "IOC" }),
    ]);
    expect(events[0].find((e) => e.kind === "BOOK_DELTA")).toMatchObject({ qty: 3 });
    expect(trades(events[2]).map((t) => [t.makerOrderId, t.qty])).toEqual([
      [1, 3],
      [2, 2],
      [1, 1],
    ]);
    expect(book.depth(1, 5)).toEqual([[100, 2]]);
  });

  it("STP: EXPIRE_TAKER / EXPIRE_MAKER / EXPIRE_BOTH / NONE", () => {
    const base = [place({ orderId: 1, side: "SELL", price: 100, qty: 5, userId: 7 }), place({ orderId: 2, side: "SELL", price: 100, qty: 5, userId: 8 })];
    const taker = (stp: P["stp"]) => place({ orderId: 3, side: "BUY", price: 100, qty: 8, userId: 7, stp });
    let r = both([...base, taker("EXPIRE_TAKER")]);
    expect(trades(r.events[2])).toHaveLength(0);
    expect(upd(r.events[2], 3).at(-1)!.status).toBe("EXPIRED_IN_MATCH");
    r = both([...base, taker("EXPIRE_MAKER")]);
    expect(upd(r.events[2], 1)[0].status).toBe("EXPIRED_IN_MATCH");
    expect(trades(r.events[2]).map((t) => t.makerOrderId)).toEqual([2]);
    expect(upd(r.events[2], 3).at(-1)).toMatchObject({ status: "PARTIALLY_FILLED", filledQty: 5, openQty: 3 });
    r = both([...base, taker("EXPIRE_BOTH")]);
    expect(upd(r.events[2], 1)[0].status).toBe("EXPIRED_IN_MATCH");
    expect(upd(r.events[2], 3).at(-1)!.status).toBe("EXPIRED_IN_MATCH");
    expect(r.book.depth(1, 5)).toEqual([[100, 5]]);
    r = both([...base, taker("NONE")]);
    expect(trades(r.events[2]).map((t) => t.makerOrderId)).toEqual([1, 2]);
  });

  it("FOK fills completely or expires without touching the book; IOC expires the rest", () => {
    const base = [place({ orderId: 1, side: "SELL", price: 100, qty: 5 })];
    let r = both([...base, place({ orderId: 2, side: "BUY", price: 100, qty: 6, tif: "FOK", userId: 2 })]);
    expect(trades(r.events[1])).toHaveLength(0);
    expect(upd(r.events[1], 2)[0]).toMatchObject({ status: "EXPIRED", canceledQty: 6 });
    expect(r.book.depth(1, 1)).toEqual([[100, 5]]);
    r = both([...base, place({ orderId: 2, side: "BUY", price: 100, qty: 7, tif: "IOC", userId: 2 })]);
    expect(upd(r.events[1], 2).at(-1)).toMatchObject({ status: "EXPIRED", filledQty: 5, canceledQty: 2 });
  });

  it("market buy by quote amount and market buy by base quantity limited by its budget", () => {
    const base = [place({ orderId: 1, side: "SELL", price: 100, qty: 5 }), place({ orderId: 2, side: "SELL", price: 110, qty: 5 })];
    let r = both([...base, place({ orderId: 3, side: "BUY", orderType: "MARKET", quoteQty: 720, budget: 720, userId: 2 })]);
    // 5 @ 100 = 500, then floor(220/110) = 2 @ 110
    expect(trades(r.events[2]).map((t) => [t.price, t.qty])).toEqual([
      [100, 5],
      [110, 2],
    ]);
    expect(upd(r.events[2], 3).at(-1)).toMatchObject({ status: "FILLED", remainingBudget: 0 });
    r = both([...base, place({ orderId: 3, side: "BUY", orderType: "MARKET", qty: 10, budget: 800, userId: 2 })]);
    expect(trades(r.events[2]).map((t) => [t.price, t.qty])).toEqual([
      [100, 5],
      [110, 2],
    ]);
    expect(upd(r.events[2], 3).at(-1)).toMatchObject({ status: "EXPIRED", filledQty: 7, remainingBudget: 80, canceledQty: 3 });
  });

  it("a market buy by quote amount is FILLED when what is left cannot buy one lot, EXPIRED when the book runs out first", () => {
    const asks = [place({ orderId: 1, side: "SELL", price: 100, qty: 5 }), place({ orderId: 2, side: "SELL", price: 110, qty: 5 })];
    // 5 @ 100, 1 @ 110, and 50 left: less than one lot at 110 with the ask still there.
    let r = both([...asks, place({ orderId: 3, side: "BUY", orderType: "MARKET", quoteQty: 660, budget: 660, userId: 2 })]);
    expect(trades(r.events[2]).map((t) => [t.price, t.qty])).toEqual([
      [100, 5],
      [110, 1],
    ]);
    expect(upd(r.events[2], 3).at(-1)).toMatchObject({ status: "FILLED", filledQty: 6, remainingBudget: 50 });
    expect(r.book.depth(SELL, 1)).toEqual([[110, 4]]);
    // Less than one lot at the best ask from the start: nothing trades, and that is no fill.
    r = both([...asks, place({ orderId: 3, side: "BUY", orderType: "MARKET", quoteQty: 99, budget: 99, userId: 2 })]);
    expect(trades(r.events[2])).toEqual([]);
    expect(upd(r.events[2], 3).at(-1)).toMatchObject({ status: "EXPIRED", filledQty: 0, remainingBudget: 99 });
    // The book runs out with enough left for more: EXPIRED, as before.
    r = both([...asks, place({ orderId: 3, side: "BUY", orderType: "MARKET", quoteQty: 2000, budget: 2000, userId: 2 })]);
    expect(upd(r.events[2], 3).at(-1)).toMatchObject({ status: "EXPIRED", filledQty: 10, remainingBudget: 950 });
  });

  it("rejects non-integer / unsafe numbers and under-funded limit orders; notional overflow is exact", () => {
    const r = both([
      place({ orderId: 1, side: "BUY", price: 100.5, qty: 1 }),
      place({ orderId: 2, side: "BUY", price: 2 ** 53, qty: 1, budget: 1 }),
      place({ orderId: 3, side: "BUY", price: 100, qty: 10, budget: 999 }),
      // 2^30 * 2^30 overflows 2^53: must be rejected even with the largest budget
      place({ orderId: 4, side: "BUY", price: 2 ** 30, qty: 2 ** 30, budget: Number.MAX_SAFE_INTEGER }),
      place({ orderId: 5, side: "BUY", price: 2 ** 26, qty: 2 ** 26, budget: 2 ** 52 }),
    ]);
    expect(r.events.map((e) => (e[0].kind === "REJECTED" ? e[0].reason : e[0].kind))).toEqual([
      "INVALID_FIELD",
      "INVALID_FIELD",
      "INSUFFICIENT_BUDGET",
      "INSUFFICIENT_BUDGET",
      "ACCEPTED",
    ]);
  });

  it("LIMIT_MAKER is rejected when it would take", () => {
    const r = both([place({ orderId: 1, side: "SELL", price: 100, qty: 5 }), place({ orderId: 2, side: "BUY", orderType: "LIMIT_MAKER", price: 100, qty: 1, userId: 2 })]);
    expect(r.events[1][0]).toMatchObject({ kind: "REJECTED", reason: "WOULD_TAKE" });
  });

  it("amend: reducing keeps priority, raising quantity or changing price loses it", () => {
    const base = [place({ orderId: 1, side: "SELL", price: 100, qty: 5 }), place({ orderId: 2, side: "SELL", price: 100, qty: 5, userId: 2 })];
    let r = both([...base, { type: "AMEND", ts: 9, orderId: 1, newQty: 3 }, place({ orderId: 3, side: "BUY", price: 100, qty: 3, userId: 3 })]);
    expect(trades(r.events[3]).map((t) => t.makerOrderId)).toEqual([1]);
    r = both([...base, { type: "AMEND", ts: 9, orderId: 1, newQty: 6, budgetDelta: 1 }, place({ orderId: 3, side: "BUY", price: 100, qty: 3, userId: 3 })]);
    expect(trades(r.events[3]).map((t) => t.makerOrderId)).toEqual([2]);
    r = both([...base, { type: "AMEND", ts: 9, orderId: 1, newPrice: 99 }]);
    expect(r.book.depth(1, 2)).toEqual([
      [99, 5],
      [100, 5],
    ]);
  });

  it("stop loss triggers on last trade price; trailing stop follows the best price", () => {
    const r = both([
      place({ orderId: 1, side: "BUY", price: 100, qty: 50, userId: 1 }),
      place({ orderId: 2, side: "BUY", price: 90, qty: 50, userId: 1 }),
      place({ orderId: 3, side: "SELL", orderType: "STOP_LOSS", stopPrice: 100, qty: 5, userId: 2 }),
      place({ orderId: 4, side: "SELL", price: 100, qty: 1, userId: 3 }), // trade @100 triggers #3 (<= 100)
    ]);
    expect(upd(r.events[3], 3)[0].status).toBe("TRIGGERED");
    expect(trades(r.events[3]).map((t) => [t.takerOrderId, t.price, t.qty])).toEqual([
      [4, 100, 1],
      [3, 100, 5],
    ]);
    // trailing sell, 10% (1000 bps), activated immediately: peak 100 -> 120, triggers at <= 108
    const t = both([
      place({ orderId: 1, side: "BUY", price: 100, qty: 1, userId: 1 }),
      place({ orderId: 2, side: "SELL", price: 100, qty: 1, userId: 2 }), // last = 100
      place({ orderId: 3, side: "SELL", orderType: "STOP_LOSS", trailingDelta: 1000, qty: 1, userId: 3 }),
      place({ orderId: 4, side: "SELL", price: 120, qty: 1, userId: 4 }),
      place({ orderId: 5, side: "BUY", price: 120, qty: 1, userId: 5 }), // last = 120, peak 120
      place({ orderId: 6, side: "BUY", price: 109, qty: 5, userId: 6 }),
      place({ orderId: 7, side: "SELL", price: 109, qty: 1, userId: 7 }), // 109 > 108: no trigger
      place({ orderId: 8, side: "SELL", price: 108, qty: 5, userId: 8 }), // 109 again then rests; bump with a buy
      place({ orderId: 9, side: "BUY", price: 108, qty: 1, userId: 9 }), // last = 108 -> trigger
    ]);
    expect(t.events.slice(0, 8).flat().some((e) => e.kind === "ORDER_UPDATE" && e.orderId === 3 && e.status === "TRIGGERED")).toBe(false);
    expect(upd(t.events[8], 3)[0].status).toBe("TRIGGERED");
    // no stop price: tracking from placement, reported right after NEW
    expect(upd(t.events[2], 3).map((u) => u.status)).toEqual(["NEW", "TRAILING_ACTIVATED"]);
  });

  it("trailing take-profit sell with an activation price: ignores moves before it, activates on a trade at it, then trails", () => {
    const t = both([
      place({ orderId: 1, side: "BUY", price: 100, qty: 1, userId: 1 }),
      place({ orderId: 2, side: "SELL", price: 100, qty: 1, userId: 2 }), // last = 100
      place({ orderId: 3, side: "SELL", orderType: "TAKE_PROFIT", stopPrice: 120, trailingDelta: 1000, qty: 1, userId: 3 }),
      place({ orderId: 4, side: "BUY", price: 80, qty: 1, userId: 4 }),
      place({ orderId: 5, side: "SELL", price: 80, qty: 1, userId: 5 }), // -20%: not tracking yet
      place({ orderId: 6, side: "SELL", price: 125, qty: 1, userId: 6 }),
      place({ orderId: 7, side: "BUY", price: 125, qty: 1, userId: 7 }), // >= 120: activates, high 125
      place({ orderId: 8, side: "BUY", price: 113, qty: 1, userId: 8 }),
      place({ orderId: 9, side: "SELL", price: 113, qty: 1, userId: 9 }), // 113 > 112.5: not yet
      place({ orderId: 10, side: "BUY", price: 110, qty: 2, userId: 10 }),
      place({ orderId: 11, side: "SELL", price: 110, qty: 1, userId: 11 }), // 110 <= 125 x 0.9: triggers
    ]);
    expect(upd(t.events[2], 3).map((u) => u.status)).toEqual(["NEW"]);
    expect(t.events.slice(3, 6).flat().some((e) => e.kind === "ORDER_UPDATE" && e.orderId === 3)).toBe(false);
    expect(upd(t.events[6], 3)).toEqual([{ kind: "ORDER_UPDATE", orderId: 3, status: "TRAILING_ACTIVATED", filledQty: 0, openQty: 1, canceledQty: 0, remainingBudget: 1 }]);
    expect(t.events.slice(7, 10).flat().some((e) => e.kind === "ORDER_UPDATE" && e.orderId === 3)).toBe(false);
    expect(upd(t.events[10], 3)[0].status).toBe("TRIGGERED");
    expect(trades(t.events[10]).map((x) => [x.takerOrderId, x.price, x.qty])).toEqual([
      [11, 110, 1],
      [3, 110, 1],
    ]);
  });

  it("symbol status: HALT allows cancels only, BREAK nothing, cancel-only rejects new orders", () => {
    const r = both([
      place({ orderId: 1, side: "SELL", price: 100, qty: 5 }),
      { type: "SET_STATUS", ts: 1, status: "HALT" },
      place({ orderId: 2, side: "SELL", price: 100, qty: 5 }),
      { type: "SET_STATUS", ts: 2, status: "BREAK" },
      { type: "CANCEL", ts: 3, orderId: 1 },
      { type: "SET_STATUS", ts: 4, status: "TRADING", cancelOnly: true },
      place({ orderId: 3, side: "SELL", price: 100, qty: 5 }),
      { type: "CANCEL", ts: 5, orderId: 1 },
    ]);
    expect(r.events[2][0]).toMatchObject({ reason: "SYMBOL_HALTED" });
    expect(r.events[4][0]).toMatchObject({ reason: "SYMBOL_BREAK" });
    expect(r.events[6][0]).toMatchObject({ reason: "CANCEL_ONLY" });
    expect(upd(r.events[7], 1)[0].status).toBe("CANCELED");
  });

  it("cancel-all cancels the user's resting and stop orders; cancel-replace is atomic per mode", () => {
    const r = both([
      place({ orderId: 1, side: "SELL", price: 100, qty: 5, userId: 1 }),
      place({ orderId: 2, side: "SELL", price: 101, qty: 5, userId: 2 }),
      place({ orderId: 3, side: "SELL", orderType: "STOP_LOSS", stopPrice: 50, qty: 5, userId: 1 }),
      { type: "CANCEL_ALL", ts: 9, userId: 1 },
      { type: "CANCEL_REPLACE", ts: 10, cancelOrderId: 42, order: { orderId: 4, userId: 2, side: "SELL", orderType: "LIMIT", price: 100, qty: 1, budget: 1 } },
      { type: "CANCEL_REPLACE", ts: 11, cancelOrderId: 2, order: { orderId: 5, userId: 2, side: "SELL", orderType: "LIMIT", price: 99, qty: 1, budget: 1 } },
    ]);
    expect(r.events[3].filter((e) => e.kind === "ORDER_UPDATE").map((e) => (e as OrderUpdateEvent).orderId)).toEqual([1, 3]);
    expect(r.events[4].map((e) => e.kind)).toEqual(["REJECTED", "REJECTED"]);
    expect(r.book.depth(1, 5)).toEqual([[99, 1]]);
  });

  describe("cancel-replace taking budget from the canceled order", () => {
    // alice (1) buys 10 at 100 with all she has (budget 1000); she moves it to 10 at 103, holding 30 herself.
    const replaceBuy = (from: number, mode?: "STOP_ON_FAILURE" | "ALLOW_FAILURE", over: Partial<P> = {}): Command => ({
      type: "CANCEL_REPLACE",
      ts: ++ts,
      cancelOrderId: 1,
      mode,
      order: { orderId: 9, userId: 1, side: "BUY", orderType: "LIMIT", price: 103, qty: 10, budget: 30, ...over },
      budgetFromCanceled: from,
    });
    const accepted = (ev: MatchingEvent[], id: number) => ev.some((e) => e.kind === "ACCEPTED" && e.orderId === id);
    const rejected = (ev: MatchingEvent[], id: number) => ev.find((e) => e.kind === "REJECTED" && e.orderId === id);

    it("the cancel, then the new order with both budgets, in one batch; it trades on them at once", () => {
      const { events, book } = both([place({ orderId: 1, side: "BUY", price: 100, qty: 10 }), place({ orderId: 2, side: "SELL", price: 102, qty: 4, userId: 2 }), replaceBuy(1000)]);
      const batch = events[2];
      expect(batch.map((e) => e.kind)).toEqual(["ORDER_UPDATE", "BOOK_DELTA", "ACCEPTED", "TRADE", "ORDER_UPDATE", "BOOK_DELTA", "ORDER_UPDATE", "BOOK_DELTA"]);
      expect(upd(batch, 1)).toEqual([expect.objectContaining({ status: "CANCELED", canceledQty: 10, remainingBudget: 1000 })]);
      expect(trades(batch).map((t) => [t.makerOrderId, t.takerOrderId, t.price, t.qty])).toEqual([[2, 9, 102, 4]]);
      // 1030 held in all, 408 spent: the rest (6 at 103) is funded exactly.
      expect(upd(batch, 9).at(-1)).toMatchObject({ status: "PARTIALLY_FILLED", openQty: 6, remainingBudget: 1030 - 408 });
      expect(book.depth(BUY_SIDE, 5)).toEqual([[103, 6]]);
    });

    it("a target partly filled since: what it still holds covers the need or the new order is refused for budget, the cancel standing", () => {
      const fill = place({ orderId: 2, side: "SELL", price: 100, qty: 3, userId: 2 });
      // 7 left at 100 = 700: enough for 690, not for 701.
      const enough = both([place({ orderId: 1, side: "BUY", price: 100, qty: 10 }), fill, replaceBuy(690, undefined, { qty: 7, price: 103, budget: 31 })]);
      expect(accepted(enough.events[2], 9)).toBe(true);
      expect(upd(enough.events[2], 9).at(-1)).toMatchObject({ status: "NEW", remainingBudget: 721 });
      const short = both([place({ orderId: 1, side: "BUY", price: 100, qty: 10 }), fill, replaceBuy(701, undefined, { qty: 7, price: 103, budget: 20 })]);
      expect(upd(short.events[2], 1)).toEqual([expect.objectContaining({ status: "CANCELED", filledQty: 3, remainingBudget: 700 })]);
      expect(rejected(short.events[2], 9)).toMatchObject({ reason: "INSUFFICIENT_BUDGET" });
      expect(accepted(short.events[2], 9)).toBe(false);
      expect(short.book.depth(BUY_SIDE, 5)).toEqual([]);
    });

    it("what an amendment released is not the target's to give: only its price x the lots left counts", () => {
      // amended from 10 to 4 lots: 600 released upstream, 400 still held although matching's budget says 1000.
      const amend: Command = { type: "AMEND", ts: ++ts, orderId: 1, newQty: 4 };
      const r = both([place({ orderId: 1, side: "BUY", price: 100, qty: 10 }), amend, replaceBuy(401, undefined, { qty: 4, budget: 11 })]);
      expect(rejected(r.events[2], 9)).toMatchObject({ reason: "INSUFFICIENT_BUDGET" });
      const ok = both([place({ orderId: 1, side: "BUY", price: 100, qty: 10 }), amend, replaceBuy(400, undefined, { qty: 4, budget: 12 })]);
      expect(accepted(ok.events[2], 9)).toBe(true);
    });

    it("a failed cancel: STOP_ON_FAILURE rejects as before; ALLOW_FAILURE places only a new order that needs nothing from it", () => {
      const filled = [place({ orderId: 1, side: "BUY", price: 100, qty: 10 }), place({ orderId: 2, side: "SELL", price: 100, qty: 10, userId: 2 })];
      const stop = both([...filled, replaceBuy(1000, "STOP_ON_FAILURE")]);
      expect(stop.events[2].map((e) => [e.kind, (e as { orderId: number }).orderId, (e as { reason?: string }).reason])).toEqual([
        ["REJECTED", 1, "UNKNOWN_ORDER"],
        ["REJECTED", 9, "UNKNOWN_ORDER"],
      ]);
      const allowed = both([...filled, replaceBuy(1000, "ALLOW_FAILURE")]);
      expect(allowed.events[2].map((e) => [e.kind, (e as { orderId: number }).orderId, (e as { reason?: string }).reason])).toEqual([
        ["REJECTED", 1, "UNKNOWN_ORDER"],
        ["REJECTED", 9, "INSUFFICIENT_BUDGET"],
      ]);
      const own = both([...filled, replaceBuy(0, "ALLOW_FAILURE", { budget: 1030 })]);
      expect(accepted(own.events[2], 9)).toBe(true);
    });

    it("another side, another user's order or a bad amount never funds it", () => {
      const sell = both([place({ orderId: 1, side: "SELL", price: 200, qty: 10 }), replaceBuy(1000)]);
      expect(upd(sell.events[1], 1)).toEqual([expect.objectContaining({ status: "CANCELED" })]);
      expect(rejected(sell.events[1], 9)).toMatchObject({ reason: "INSUFFICIENT_BUDGET" });
      const theirs = both([place({ orderId: 1, side: "BUY", price: 100, qty: 10, userId: 2 }), replaceBuy(1000)]);
      expect(theirs.events[1].map((e) => [e.kind, (e as { reason?: string }).reason])).toEqual([
        ["REJECTED", "NOT_OWNER"],
        ["REJECTED", "NOT_OWNER"],
      ]);
      for (const bad of [-1, 1.5, Number.NaN]) {
        const r = both([place({ orderId: 1, side: "BUY", price: 100, qty: 10 }), replaceBuy(bad)]);
        expect(r.events[1].map((e) => [e.kind, (e as { reason?: string }).reason])).toEqual([
          ["REJECTED", "INVALID_FIELD"],
          ["REJECTED", "INVALID_FIELD"],
        ]);
      }
    });

    it("a parked stop gives its whole budget", () => {
      const stop = place({ orderId: 1, side: "BUY", orderType: "STOP_LOSS_LIMIT", stopPrice: 120, price: 121, qty: 10, budget: 1210 });
      const r = both([place({ orderId: 5, side: "SELL", price: 110, qty: 1, userId: 2 }), place({ orderId: 6, side: "BUY", price: 110, qty: 1, userId: 3 }), stop, replaceBuy(1000)]);
      expect(upd(r.events[3], 1)).toEqual([expect.objectContaining({ status: "CANCELED", remainingBudget: 1210 })]);
      expect(accepted(r.events[3], 9)).toBe(true);
    });
  });

  it("sequence ids are per command and gap-free, including rejected commands", () => {
    const book = new OrderBook();
    const s = new CollectingSink("BTCUSDT");
    book.apply(place({ orderId: 1, side: "SELL" }), s);
    book.apply({ type: "CANCEL", ts: 1, orderId: 77 }, s);
    book.apply({ type: "SET_STATUS", ts: 2, status: "TRADING" }, s);
    expect(s.take().map((b) => [b.symbol, b.seq])).toEqual([
      ["BTCUSDT", 1],
      ["BTCUSDT", 2],
      ["BTCUSDT", 3],
    ]);
  });
});
