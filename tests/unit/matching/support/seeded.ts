import type { Command } from "../../../../services/matching/src/domain/commands.js";
import { prng } from "../../../support/prng.js";
import { build, type Recipe } from "./recipes.js";

export { prng };


export function seededCommands(seed: number, n: number): Command[] {
  const r = prng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const recipes: Recipe[] = [];
  for (let i = 0; i < n; i++) {
    recipes.push({ kind: int(0, 99), buy: r() < 0.5, off: int(-6, 6), qty: int(1, 12), user: int(1, 4), pick: int(0, 1000), a: int(0, 9), b: int(0, 9), c: int(0, 9) });
  }
  return build(recipes);
}

/**
 * seededCommands with order lists mixed in (OCO, OTO, OTOCO around the mid price, and cancels of their legs; half
 * the OTO / OTOCO pending orders funded once their working order fills, by FUND_PENDING commands sent at random
 * times, most after the fill, some before, some twice, some refusing): for replay and codec tests (the reference
 * book has no lists, so the property comparison does not use these).
 */
export function seededListCommands(seed: number, n: number): Command[] {
  const base = seededCommands(seed, n);
  const r = prng(seed ^ 0x5bd1e995);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out: Command[] = [];
  const legs: number[] = [];
  /** OTO / OTOCO funded later: the working order's id and its pending orders' budgets. */
  const later: { working: number; budgets: number[] }[] = [];
  let id = 1_000_000;
  for (const cmd of base) {
    out.push(cmd);
    const ts = (cmd as { ts: number }).ts;
    const roll = r();
    if (roll < 0.12) {
      const userId = int(1, 4);
      const qty = int(1, 6);
      const sell = r() < 0.5;
      const side = sell ? "SELL" : "BUY";
      const above = 100 + int(2, 8);
      const below = 100 - int(2, 8);
      const kind = int(0, 2);
      const maker = { orderId: ++id, userId, side, orderType: "LIMIT_MAKER", price: sell ? above : below, qty, budget: sell ? qty : above * qty } as const;
      const stop = { orderId: ++id, userId, side, orderType: r() < 0.5 ? "STOP_LOSS" : "STOP_LOSS_LIMIT", stopPrice: sell ? below : above, qty, budget: sell ? qty : (above + 3) * qty } as const;
      const stopLeg = stop.orderType === "STOP_LOSS_LIMIT" ? { ...stop, price: sell ? below - 1 : above + 1 } : stop;
      if (kind === 0) out.push({ type: "PLACE_LIST", ts, contingency: "OCO", orders: [maker, stopLeg] });
      else {
        const wSide = sell ? "BUY" : "SELL";
        const wPrice = 100 + int(-3, 3);
        const working = { orderId: ++id, userId, side: wSide, orderType: "LIMIT", price: wPrice, qty, budget: wSide === "BUY" ? wPrice * qty : qty } as const;
        const pending = kind === 1 ? [maker] : [maker, stopLeg];
        const fundedLater = r() < 0.5;
        const orders = [working, ...(fundedLater ? pending.map((o) => ({ ...o, budget: 0 })) : pending)];
        if (fundedLater) later.push({ working: working.orderId, budgets: pending.map((o) => o.budget) });
        out.push({ type: "PLACE_LIST", ts, contingency: kind === 1 ? "OTO" : "OTOCO", orders });
      }
      legs.push(id - 1, id);
    } else if (roll < 0.16 && legs.length > 0) {
      out.push({ type: "CANCEL", ts, orderId: legs[int(0, legs.length - 1)] });
    } else if (roll < 0.24 && later.length > 0) {
      const { working, budgets } = later[int(0, later.length - 1)];
      out.push({ type: "FUND_PENDING", ts, workingOrderId: working, funded: r() < 0.8, budgets });
    }
  }
  return out;
}
