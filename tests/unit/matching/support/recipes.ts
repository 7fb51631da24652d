import fc from "fast-check";
import type { Command, OrderType, PlaceOrder, StpMode, TimeInForce } from "../../../../services/matching/src/domain/commands.js";

/** A compact random "recipe" turned into concrete commands by `build` (ids tracked so cancels/amends hit). */
export interface Recipe {
  kind: number;
  buy: boolean;
  off: number;
  qty: number;
  user: number;
  pick: number;
  a: number;
  b: number;
  c: number;
}

export const recipeArb: fc.Arbitrary<Recipe> = fc.record({
  kind: fc.integer({ min: 0, max: 99 }),
  buy: fc.boolean(),
  off: fc.integer({ min: -6, max: 6 }),
  qty: fc.integer({ min: 1, max: 12 }),
  user: fc.integer({ min: 1, max: 4 }),
  pick: fc.nat(1000),
  a: fc.integer({ min: 0, max: 9 }),
  b: fc.integer({ min: 0, max: 9 }),
  c: fc.integer({ min: 0, max: 9 }),
});

const STPS: StpMode[] = ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"];
const MID = 100;

export function build(recipes: Recipe[]): Command[] {
  const ids: number[] = [];
  let next = 1;
  let ts = 1_000;
  const out: Command[] = [];
  const stpOf = (r: Recipe): StpMode | undefined => (r.c < 5 ? undefined : STPS[r.c % 4]);
  /** Who placed each order, and on which side (a cancel-replace moving budget mostly targets its own). */
  const owners = new Map<number, { user: number; buy: boolean }>();
  const limit = (r: Recipe, id: number, orderType: OrderType, tif?: TimeInForce): Omit<PlaceOrder, "type" | "ts"> => {
    const side = r.buy ? "BUY" : "SELL";
    owners.set(id, { user: r.user, buy: r.buy });
    // buyers lean below mid, sellers above, with overlap so orders cross
    const price = MID + r.off + (r.buy ? -1 : 1);
    const o: Omit<PlaceOrder, "type" | "ts"> = { orderId: id, userId: r.user, side, orderType, price, qty: r.qty, budget: r.buy ? price * r.qty + (r.b % 3) * 7 : r.qty, stp: stpOf(r) };
    if (tif) o.tif = tif;
    if (orderType === "LIMIT" && (tif ?? "GTC") === "GTC" && r.a === 0 && r.qty > 2) o.icebergQty = 1 + (r.b % (r.qty - 1));
    if (orderType === "LIMIT_MAKER" && r.a < 2 && r.qty > 2) o.icebergQty = 1 + (r.b % (r.qty - 1));
    return o;
  };
  for (const r of recipes) {
    ts += 1 + r.a;
    const k = r.kind;
    const pickId = () => (ids.length === 0 ? 999_999 : ids[r.pick % ids.length]);
    if (k < 40) {
      const id = next++;
      ids.push(id);
      const tif: TimeInForce | undefined = r.b < 6 ? undefined : r.b < 8 ? "IOC" : "FOK";
      out.push({ type: "PLACE", ts, ...limit(r, id, "LIMIT", tif) });
    } else if (k < 45) {
      const id = next++;
      ids.push(id);
      out.push({ type: "PLACE", ts, ...limit(r, id, "LIMIT_MAKER") });
    } else if (k < 53) {
      const id = next++;
      const side = r.buy ? "BUY" : "SELL";
      if (r.a < 6) {
        // by base qty; buy budget = qty x protection price, sometimes too small
        const budget = r.buy ? r.qty * (MID + (r.b < 3 ? -5 : 10)) : r.qty + (r.b % 2);
        out.push({ type: "PLACE", ts, orderId: id, userId: r.user, side, orderType: "MARKET", qty: r.qty, budget, stp: stpOf(r) });
      } else {
        const quoteQty = r.qty * 97 + r.b * 13;
        out.push({ type: "PLACE", ts, orderId: id, userId: r.user, side, orderType: "MARKET", quoteQty, budget: r.buy ? quoteQty + r.c : r.qty + r.b, stp: stpOf(r) });
      }
    } else if (k < 61) {
      const id = next++;
      ids.push(id);
      const types: OrderType[] = ["STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"];
      const orderType = types[r.a % 4];
      const side = r.buy ? "BUY" : "SELL";
      const stopPrice = MID + r.off;
      const o: PlaceOrder = { type: "PLACE", ts, orderId: id, userId: r.user, side, orderType, qty: r.qty, budget: 0, stp: stpOf(r) };
      if (r.b < 6) o.stopPrice = stopPrice;
      if (r.b >= 4) o.trailingDelta = 100 + r.c * 150; // 1%..14.5%
      if (orderType.endsWith("_LIMIT")) {
        o.price = MID + r.off + (r.buy ? 2 : -2);
        if (r.c === 9) o.tif = "IOC";
      }
      o.budget = r.buy ? (o.price ?? MID + 10) * r.qty : r.qty;
      out.push(o);
    } else if (k < 75) {
      out.push({ type: "CANCEL", ts, orderId: pickId(), userId: r.a === 0 ? r.user : undefined });
    } else if (k < 87) {
      const id = pickId();
      const mode = r.a % 4;
      if (mode === 0) out.push({ type: "AMEND", ts, orderId: id, newQty: r.qty });
      else if (mode === 1) out.push({ type: "AMEND", ts, orderId: id, newPrice: MID + r.off, budgetDelta: r.b * 20 });
      else if (mode === 2) out.push({ type: "AMEND", ts, orderId: id, newQty: 1 + (r.qty >> 2) });
      else out.push({ type: "AMEND", ts, orderId: id, newQty: r.qty + 3, newPrice: MID + r.off, budgetDelta: 300 });
    } else if (k < 91) {
      const id = next++;
      ids.push(id);
      const mode = r.c < 7 ? "STOP_ON_FAILURE" : "ALLOW_FAILURE";
      if (r.a < 5) out.push({ type: "CANCEL_REPLACE", ts, cancelOrderId: pickId(), mode, order: limit(r, id, "LIMIT") });
      else {
        // part of the new order's budget taken from the canceled order: mostly its owner's, on its side (enough or
        // not, after fills and amendments), sometimes another side or user
        const target = pickId();
        const owner = r.a < 8 ? owners.get(target) : undefined;
        const o = limit(owner ? { ...r, ...owner } : r, id, "LIMIT");
        const from = Math.min(o.budget, o.side === "BUY" ? (r.b + 1) * 60 : 1 + (r.b % r.qty));
        out.push({ type: "CANCEL_REPLACE", ts, cancelOrderId: target, mode, order: { ...o, budget: o.budget - from }, budgetFromCanceled: from });
      }
    } else if (k < 93) {
      out.push({ type: "CANCEL_ALL", ts, userId: r.user });
    } else if (k < 95) {
      const status = r.a < 6 ? "TRADING" : r.a < 8 ? "HALT" : "BREAK";
      out.push({ type: "SET_STATUS", ts, status, cancelOnly: r.b === 0 && status === "TRADING" });
      if (status !== "TRADING" || r.b === 0) out.push({ type: "SET_STATUS", ts, status: "TRADING" }); // do not stay frozen long
    } else {
      // invalid or duplicate commands
      const id = r.a < 3 && ids.length > 0 ? pickId() : next++;
      const bad = [1.5, -3, 0, 2 ** 60, Number.NaN][r.b % 5];
      if (r.a % 2 === 0) out.push({ type: "PLACE", ts, orderId: id, userId: r.user, side: "BUY", orderType: "LIMIT", price: MID, qty: r.a < 3 ? r.qty : bad, budget: MID * 100 });
      else out.push({ type: "PLACE", ts, orderId: id, userId: r.user, side: "SELL", orderType: "LIMIT", price: r.a < 3 ? MID : bad, qty: r.qty, budget: r.qty });
    }
  }
  return out;
}
