import type { ListLeg, ListsState } from "./order-lists.js";
import type { BookState } from "./rules.js";

/** Canonical text of a book state (key order fixed by construction, integers only). */
export function canonicalState(s: BookState): string {
  const o = (x: BookState["bids"][number]) =>
    [x.orderId, x.userId, x.side, x.price, x.visible, x.hidden, x.peak, x.filled, x.canceled, x.budget, x.stp, x.postOnly ? 1 : 0].join(",");
  const st = (x: BookState["stops"][number]) =>
    [x.orderId, x.userId, x.side, x.orderType, x.tif, x.price, x.qty, x.stopPrice, x.trailingDelta, x.budget, x.stp, x.active ? 1 : 0, x.ref].join(",");
  return [
    `seq=${s.seq};trade=${s.tradeId};last=${s.lastPrice};status=${s.status};co=${s.cancelOnly ? 1 : 0}`,
    "B:" + s.bids.map(o).join("|"),
    "A:" + s.asks.map(o).join("|"),
    "S:" + s.stops.map(st).join("|"),
    // only when lists exist, so states without any hash as they always did
    ...(s.lists ? ["L:" + canonicalLists(s.lists)] : []),
  ].join("\n");
}

const LEG_KEYS = ["orderId", "userId", "side", "orderType", "tif", "price", "qty", "quoteQty", "stopPrice", "trailingDelta", "icebergQty", "budget", "stp"] as const;

/** Lists in a fixed field order (a leg decoded from the journal may list its fields in another order). */
function canonicalLists(l: ListsState): string {
  const leg = (o: ListLeg) => LEG_KEYS.map((k) => String(o[k] ?? "")).join(",");
  return [l.oco.map((g) => g.join(",")).join("|"), l.pending.map((p) => `${p.working},${p.userId},${p.oco ? 1 : 0}${p.awaiting ? ",w" : ""}[${p.orders.map(leg).join(";")}]`).join("|")].join("/");
}

/** 64-bit FNV-1a style hash (two 32-bit lanes) of the canonical state, as 16 hex chars. */
export function hashString(text: string): string {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0xcbf29ce4 | 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}

export function stateHash(s: BookState): string {
  return hashString(canonicalState(s));
}
