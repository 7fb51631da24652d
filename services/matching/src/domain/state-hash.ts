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
  ].join("\n");
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
