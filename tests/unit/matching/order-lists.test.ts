import { describe, expect, it } from "vitest";
import { OrderBook } from "../../../services/matching/src/domain/order-book.js";
import { CollectingSink, type MatchingEvent, type OrderUpdateEvent, type TradeEvent } from "../../../services/matching/src/domain/events.js";
import type { Command, ContingencyType, PlaceOrder } from "../../../services/matching/src/domain/commands.js";
import { stateHash } from "../../../services/matching/src/domain/state-hash.js";

type P = Omit<PlaceOrder, "type" | "ts">;
let ts = 0;
const leg = (o: Partial<P> & { orderId: number; side: "BUY" | "SELL" }): P => {
  const orderType = o.orderType ?? "LIMIT";
  const qty = o.qty ?? 10;
  const limitLike = orderType === "LIMIT" || orderType === "LIMIT_MAKER" || orderType.endsWith("_LIMIT");
  const price = o.price ?? (limitLike ? 100 : undefined);
  const budget = o.budget ?? (o.side === "BUY" ? (price ?? 120) * qty : qty);
  return { userId: 1, ...o, orderType, qty, price, budget } as P;
};
const place = (o: Partial<P> & { orderId: number; side: "BUY" | "SELL" }): Command => ({ type: "PLACE", ts: ++ts, ...leg(o) });
const list = (contingency: ContingencyType, ...orders: P[]): Command => ({ type: "PLACE_LIST", ts: ++ts, contingency, orders });

function run(cmds: Command[], book = new OrderBook()): { book: OrderBook; events: MatchingEvent[][] } {
  const s = new CollectingSink();
  for (const c of cmds) book.apply(c, s);
  return { book, events: s.take().map((b) => b.events) };
}
const trades = (ev: MatchingEvent[]) => ev.filter((e): e is TradeEvent => e.kind === "TRADE");
const statuses = (ev: MatchingEvent[], id: number) => ev.filter((e): e is OrderUpdateEvent => e.kind === "ORDER_UPDATE" && e.orderId === id).map((e) => e.status);

/** A book whose last price is 100 (users 8 and 9 trade once). */
const warm = (): Command[] => [place({ orderId: 900, side: "SELL", price: 100, qty: 1, userId: 8 }), place({ orderId: 901, side: "BUY", price: 100, qty: 1, userId: 9 })];

/** A sell OCO of user 1: LIMIT_MAKER above at 110 (id 1), STOP_LOSS_LIMIT below at stop 90 / limit 89 (id 2). */
const sellOco = (qty = 5): Command =>
  list(
    "OCO",
    leg({ orderId: 1, side: "SELL", orderType: "LIMIT_MAKER", price: 110, qty }),
    leg({ orderId: 2, side: "SELL", orderType: "STOP_LOSS_LIMIT", price: 89, stopPrice: 90, qty, tif: "GTC" }),
  );

describe("OCO in the book", () => {
  it("a fill of the limit leg expires the stop leg in the same command; the limit leg keeps resting", () => {
    const { book, events } = run([...warm(), sellOco(), place({ orderId: 3, side: "BUY", price: 110, qty: 2, userId: 2 })]);
    expect(events[2].filter((e) => e.kind === "ACCEPTED").map((e) => (e as { orderId: number }).orderId)).toEqual([1, 2]);
    const fill = events[3];
    expect(trades(fill).map((t) => [t.makerOrderId, t.qty])).toEqual([[1, 2]]);
    expect(statuses(fill, 1)).toEqual(["PARTIALLY_FILLED"]);
    expect(statuses(fill, 2)).toEqual(["EXPIRED"]);
    expect(book.stopCount).toBe(0);
    expect(book.openQty(1)).toBe(3);
    // a later fall through 90 triggers nothing
    const later = run([place({ orderId: 4, side: "BUY", price: 85, qty: 1, userId: 3 }), place({ orderId: 5, side: "SELL", price: 85, qty: 1, userId: 4 })], book);
    expect(later.events[1].some((e) => e.kind === "ORDER_UPDATE" && e.orderId === 2)).toBe(false);
  });

  it("a trigger of the stop leg expires the limit leg before the stop trades", () => {
    const { book, events } = run([
      ...warm(),
      sellOco(),
      place({ orderId: 3, side: "BUY", price: 90, qty: 1, userId: 2 }),
      place({ orderId: 4, side: "BUY", price: 89, qty: 10, userId: 2 }),
      place({ orderId: 5, side: "SELL", price: 90, qty: 1, userId: 3 }),
    ]);
    const ev = events[5];
    const order = ev.flatMap((e) =>
      e.kind === "TRADE" ? [`T${e.makerOrderId}-${e.takerOrderId}`] : e.kind === "ORDER_UPDATE" && (e.orderId === 1 || e.orderId === 2) ? [`${e.orderId}:${e.status}`] : [],
    );
    expect(order).toEqual(["T3-5", "2:TRIGGERED", "1:EXPIRED", "T4-2", "2:FILLED"]);
    expect(book.has(1)).toBe(false);
  });

  it("canceling either leg cancels both", () => {
    const { book, events } = run([...warm(), sellOco(), { type: "CANCEL", ts: ++ts, orderId: 2, userId: 1 }]);
    expect(statuses(events[3], 1)).toEqual(["CANCELED"]);
    expect(statuses(events[3], 2)).toEqual(["CANCELED"]);
    expect(book.has(1)).toBe(false);
    expect(book.stopCount).toBe(0);
    expect(book.state().lists).toBeUndefined();
  });

  it("two stop legs triggered by one sweep: only the first executes, the other expires", () => {
    const tp = leg({ orderId: 1, side: "SELL", orderType: "TAKE_PROFIT", stopPrice: 110, qty: 2 });
    const sl = leg({ orderId: 2, side: "SELL", orderType: "STOP_LOSS", stopPrice: 90, qty: 2 });
    const { events } = run([
      ...warm(),
      list("OCO", tp, sl),
      place({ orderId: 3, side: "BUY", price: 111, qty: 1, userId: 2 }),
      place({ orderId: 4, side: "BUY", price: 89, qty: 5, userId: 2 }),
      place({ orderId: 5, side: "SELL", orderType: "MARKET", qty: 2, userId: 3 }),
    ]);
    const ev = events[5];
    expect(statuses(ev, 1)).toEqual(["TRIGGERED", "FILLED"]);
    expect(statuses(ev, 2)).toEqual(["EXPIRED"]);
    expect(trades(ev).filter((t) => t.takerOrderId === 2)).toEqual([]);
  });

  it("a limit leg that would take, or a stop leg that would trigger now, rejects the whole list and changes nothing", () => {
    const { book } = run([...warm(), place({ orderId: 7, side: "BUY", price: 111, qty: 1, userId: 2 })]);
    const before = stateHash({ ...book.state(), seq: 0 });
    const crossing = run([sellOco()], book);
    expect(crossing.events[0]).toEqual([
      { kind: "REJECTED", orderId: 1, reason: "WOULD_TAKE" },
      { kind: "REJECTED", orderId: 2, reason: "WOULD_TAKE" },
    ]);
    const triggering = run(
      [list("OCO", leg({ orderId: 1, side: "SELL", orderType: "LIMIT_MAKER", price: 120, qty: 5 }), leg({ orderId: 2, side: "SELL", orderType: "STOP_LOSS", stopPrice: 100, qty: 5 }))],
      book,
    );
    expect(triggering.events[0].map((e) => e.kind === "REJECTED" && e.reason)).toEqual(["WOULD_TRIGGER_IMMEDIATELY", "WOULD_TRIGGER_IMMEDIATELY"]);
    const twoMakers = run([list("OCO", leg({ orderId: 1, side: "SELL", orderType: "LIMIT_MAKER", price: 120 }), leg({ orderId: 2, side: "SELL", orderType: "LIMIT_MAKER", price: 130 }))], book);
    expect(twoMakers.events[0].map((e) => e.kind === "REJECTED" && e.reason)).toEqual(["INVALID_FIELD", "INVALID_FIELD"]);
    expect(stateHash({ ...book.state(), seq: 0 })).toBe(before);
  });
});

describe("OTO and OTOCO in the book", () => {
  const oto = (workingTif?: "GTC" | "IOC") =>
    list("OTO", leg({ orderId: 1, side: "BUY", price: 100, qty: 3, tif: workingTif }), leg({ orderId: 2, side: "SELL", price: 110, qty: 3 }));

  it("the pending order is placed in the command that fills the working order completely", () => {
    const { book, events } = run([oto(), place({ orderId: 3, side: "SELL", price: 100, qty: 2, userId: 2 }), place({ orderId: 4, side: "SELL", price: 100, qty: 1, userId: 2 })]);
    expect(events[0].some((e) => e.kind === "ACCEPTED" && e.orderId === 2)).toBe(false);
    expect(events[1].some((e) => e.kind === "ORDER_UPDATE" && e.orderId === 2)).toBe(false);
    expect(statuses(events[2], 1)).toEqual(["FILLED"]);
    expect(events[2].some((e) => e.kind === "ACCEPTED" && e.orderId === 2)).toBe(true);
    expect(statuses(events[2], 2)).toEqual(["NEW"]);
    expect(book.has(2)).toBe(true);
  });

  it("a working order filled on placement places its pending order in the same command", () => {
    const { book, events } = run([place({ orderId: 9, side: "SELL", price: 100, qty: 3, userId: 2 }), oto()]);
    expect(statuses(events[1], 1)).toEqual(["FILLED"]);
    expect(statuses(events[1], 2)).toEqual(["NEW"]);
    expect(book.has(2)).toBe(true);
  });

  it("canceling the pending order cancels the working one too; an IOC working order that expires expires the pending one", () => {
    const canceled = run([oto(), { type: "CANCEL", ts: ++ts, orderId: 2, userId: 1 }]);
    expect(statuses(canceled.events[1], 1)).toEqual(["CANCELED"]);
    expect(statuses(canceled.events[1], 2)).toEqual(["CANCELED"]);
    expect(canceled.book.state().lists).toBeUndefined();
    const foreign = run([oto(), { type: "CANCEL", ts: ++ts, orderId: 2, userId: 5 }]);
    expect(foreign.events[1]).toEqual([{ kind: "REJECTED", orderId: 2, reason: "NOT_OWNER" }]);
    const expired = run([oto("IOC")]);
    expect(statuses(expired.events[0], 1)).toEqual(["EXPIRED"]);
    expect(statuses(expired.events[0], 2)).toEqual(["EXPIRED"]);
  });

  it("OTOCO: the pending pair becomes an OCO once the working order fills", () => {
    const cmds: Command[] = [
      ...warm(),
      list(
        "OTOCO",
        leg({ orderId: 1, side: "BUY", price: 100, qty: 3 }),
        leg({ orderId: 2, side: "SELL", orderType: "LIMIT_MAKER", price: 120, qty: 3 }),
        leg({ orderId: 3, side: "SELL", orderType: "STOP_LOSS", stopPrice: 80, qty: 3 }),
      ),
      place({ orderId: 4, side: "SELL", price: 100, qty: 3, userId: 2 }),
      place({ orderId: 5, side: "BUY", price: 120, qty: 1, userId: 3 }),
    ];
    const { book, events } = run(cmds);
    expect(statuses(events[3], 2)).toEqual(["NEW"]);
    expect(statuses(events[3], 3)).toEqual(["NEW"]);
    expect(statuses(events[4], 2)).toEqual(["PARTIALLY_FILLED"]);
    expect(statuses(events[4], 3)).toEqual(["EXPIRED"]);
    expect(book.stopCount).toBe(0);
  });

  it("a snapshot with lists restores to the same state and the same future", () => {
    const setup: Command[] = [...warm(), sellOco(), list("OTO", leg({ orderId: 11, side: "BUY", price: 95, qty: 3 }), leg({ orderId: 12, side: "SELL", price: 105, qty: 3 }))];
    const { book } = run(setup);
    expect(book.state().lists).toBeDefined();
    const copy = OrderBook.fromState(JSON.parse(JSON.stringify(book.state())));
    expect(stateHash(copy.state())).toBe(stateHash(book.state()));
    const next: Command[] = [place({ orderId: 20, side: "SELL", price: 95, qty: 3, userId: 2 }), place({ orderId: 21, side: "BUY", price: 110, qty: 5, userId: 2 })];
    expect(run(next, copy).events).toEqual(run(next, book).events);
    expect(stateHash(copy.state())).toBe(stateHash(book.state()));
  });
});

describe("OTO and OTOCO whose pending orders are funded once the working order fills", () => {
  /** user 1 buys 3 at 100 (id 1); the pending sell of 3 at 110 (id 2) carries no budget. */
  const oto = () => list("OTO", leg({ orderId: 1, side: "BUY", price: 100, qty: 3 }), leg({ orderId: 2, side: "SELL", price: 110, qty: 3, budget: 0 }));
  const fill = (orderId = 9): Command => place({ orderId, side: "SELL", price: 100, qty: 3, userId: 2 });
  const fund = (workingOrderId: number, funded: boolean, budgets: number[] = []): Command => ({ type: "FUND_PENDING", ts: ++ts, workingOrderId, funded, budgets });
  const rejections = (ev: MatchingEvent[]) => ev.filter((e) => e.kind === "REJECTED");

  it("the working order fills: the pending order waits, and is placed with the budget FUND_PENDING brings", () => {
    const { book, events } = run([oto(), fill()]);
    expect(statuses(events[1], 1)).toEqual(["FILLED"]);
    expect(events[1].some((e) => (e.kind === "ACCEPTED" || e.kind === "ORDER_UPDATE") && e.orderId === 2)).toBe(false);
    expect(book.state().lists?.pending).toEqual([expect.objectContaining({ working: 1, awaiting: true })]);
    // another order cannot take the pending order's id meanwhile
    const taken = run([place({ orderId: 2, side: "SELL", price: 120, qty: 1, userId: 3 })], book);
    expect(taken.events[0]).toEqual([{ kind: "REJECTED", orderId: 2, reason: "DUPLICATE_ORDER_ID" }]);
    const funded = run([fund(1, true, [3])], book);
    expect(funded.events[0].some((e) => e.kind === "ACCEPTED" && e.orderId === 2)).toBe(true);
    expect(statuses(funded.events[0], 2)).toEqual(["NEW"]);
    expect(book.has(2)).toBe(true);
    expect(book.state().lists).toBeUndefined();
    // funded already: a second FUND_PENDING changes nothing
    const before = stateHash({ ...book.state(), seq: 0 });
    expect(run([fund(1, true, [3])], book).events[0]).toEqual([{ kind: "REJECTED", orderId: 1, reason: "UNKNOWN_ORDER" }]);
    expect(stateHash({ ...book.state(), seq: 0 })).toBe(before);
  });

  it("a working order filled on placement: the list waits in the same command, nothing of the pending order is placed", () => {
    const { book, events } = run([place({ orderId: 9, side: "SELL", price: 100, qty: 3, userId: 2 }), oto()]);
    expect(statuses(events[1], 1)).toEqual(["FILLED"]);
    expect(events[1].some((e) => (e.kind === "ACCEPTED" || e.kind === "ORDER_UPDATE") && e.orderId === 2)).toBe(false);
    expect(book.state().lists?.pending).toEqual([expect.objectContaining({ working: 1, awaiting: true })]);
    expect(statuses(run([fund(1, true, [3])], book).events[0], 2)).toEqual(["NEW"]);
  });

  it("not funded: the pending orders expire and the list ends", () => {
    const { book, events } = run([oto(), fill(), fund(1, false)]);
    expect(statuses(events[2], 2)).toEqual(["EXPIRED"]);
    expect(events[2].some((e) => e.kind === "ACCEPTED")).toBe(false);
    expect(book.has(2)).toBe(false);
    expect(book.state().lists).toBeUndefined();
  });

  it("a FUND_PENDING before the fill, or with budgets that do not fit, is rejected and changes nothing", () => {
    const early = run([oto(), fund(1, true, [3])]);
    expect(early.events[1]).toEqual([{ kind: "REJECTED", orderId: 1, reason: "UNKNOWN_ORDER" }]);
    const { book } = run([fill()], early.book);
    const before = stateHash({ ...book.state(), seq: 0 });
    for (const bad of [fund(1, true, []), fund(1, true, [3, 3]), fund(1, true, [0])]) expect(rejections(run([bad], book).events[0])).toEqual([{ kind: "REJECTED", orderId: 1, reason: "INVALID_FIELD" }]);
    expect(stateHash({ ...book.state(), seq: 0 })).toBe(before);
    // too small a budget: matching's own check rejects the pending order, as any placement's
    const short = run([fund(1, true, [2])], book);
    expect(short.events[0]).toEqual([{ kind: "REJECTED", orderId: 2, reason: "INSUFFICIENT_BUDGET" }]);
  });

  it("canceled while waiting (by a pending order's id, or by cancel-all): the pending orders are canceled, a later FUND_PENDING changes nothing", () => {
    const byId = run([oto(), fill(), { type: "CANCEL", ts: ++ts, orderId: 2, userId: 1 }, fund(1, true, [3])]);
    expect(statuses(byId.events[2], 2)).toEqual(["CANCELED"]);
    expect(byId.events[3]).toEqual([{ kind: "REJECTED", orderId: 1, reason: "UNKNOWN_ORDER" }]);
    expect(byId.book.has(2)).toBe(false);
    const foreign = run([oto(), fill(3), { type: "CANCEL", ts: ++ts, orderId: 2, userId: 5 }]);
    expect(foreign.events[2]).toEqual([{ kind: "REJECTED", orderId: 2, reason: "NOT_OWNER" }]);
    const all = run([{ type: "CANCEL_ALL", ts: ++ts, userId: 1 }], foreign.book);
    expect(statuses(all.events[0], 2)).toEqual(["CANCELED"]);
    expect(all.book.state().lists).toBeUndefined();
  });

  it("OTOCO: the funded pair is placed as an OCO (a fill of one expires the other)", () => {
    const { book, events } = run([
      ...warm(),
      list(
        "OTOCO",
        leg({ orderId: 1, side: "BUY", price: 100, qty: 3 }),
        leg({ orderId: 2, side: "SELL", orderType: "LIMIT_MAKER", price: 120, qty: 3, budget: 0 }),
        leg({ orderId: 3, side: "SELL", orderType: "STOP_LOSS", stopPrice: 80, qty: 3, budget: 0 }),
      ),
      place({ orderId: 4, side: "SELL", price: 100, qty: 3, userId: 2 }),
      fund(1, true, [3, 3]),
      place({ orderId: 5, side: "BUY", price: 120, qty: 1, userId: 3 }),
    ]);
    expect(statuses(events[3], 1)).toEqual(["FILLED"]);
    expect(statuses(events[4], 2)).toEqual(["NEW"]);
    expect(statuses(events[4], 3)).toEqual(["NEW"]);
    expect(statuses(events[5], 2)).toEqual(["PARTIALLY_FILLED"]);
    expect(statuses(events[5], 3)).toEqual(["EXPIRED"]);
    expect(book.stopCount).toBe(0);
  });

  it("a snapshot taken while a list waits for its funds restores to the same state and the same future", () => {
    const { book } = run([oto(), fill()]);
    const copy = OrderBook.fromState(JSON.parse(JSON.stringify(book.state())));
    expect(stateHash(copy.state())).toBe(stateHash(book.state()));
    const next: Command[] = [fund(1, true, [3]), place({ orderId: 20, side: "BUY", price: 110, qty: 5, userId: 2 })];
    expect(run(next, copy).events).toEqual(run(next, book).events);
    expect(stateHash(copy.state())).toBe(stateHash(book.state()));
  });
});
