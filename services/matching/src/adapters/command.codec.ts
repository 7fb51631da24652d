/**
 * Compact binary encoding of commands for the journal. Every command is encoded faithfully, including invalid
 * ones (they are journaled and then rejected deterministically on replay):
 *   u8 type | u32 presence bitmask | u8 x 7 enum codes | f64 LE per present numeric field (in FIELD order)
 * Numbers are stored as float64 so any JS number (also NaN, 1.5, 2^60) round-trips; enum strings outside the
 * known set decode to "?" (still invalid, still rejected the same way).
 */
import type { Command } from "../domain/commands.js";

const TYPES = ["?", "PLACE", "CANCEL", "AMEND", "CANCEL_REPLACE", "CANCEL_ALL", "SET_STATUS"] as const;
const NUM_FIELDS = [
  "ts",
  "orderId",
  "userId",
  "price",
  "qty",
  "quoteQty",
  "stopPrice",
  "trailingDelta",
  "icebergQty",
  "budget",
  "cancelOrderId",
  "newQty",
  "newPrice",
  "budgetDelta",
] as const;
const ENUMS: Array<[string, readonly string[]]> = [
  ["side", ["BUY", "SELL"]],
  ["orderType", ["LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]],
  ["tif", ["GTC", "IOC", "FOK"]],
  ["stp", ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]],
  ["mode", ["STOP_ON_FAILURE", "ALLOW_FAILURE"]],
  ["status", ["TRADING", "HALT", "BREAK"]],
  ["cancelOnly", ["false", "true"]],
];
const ORDER_KEYS = new Set(["orderId", "userId", "price", "qty", "quoteQty", "stopPrice", "trailingDelta", "icebergQty", "budget", "side", "orderType", "tif", "stp"]);
const NONE = 0;
const UNKNOWN = 255;

/** max encoded size of one command. */
export const MAX_COMMAND_BYTES = 1 + 4 + ENUMS.length + NUM_FIELDS.length * 8;

/** Writes cmd into buf at off; returns bytes written. */
export function encodeCommand(cmd: Command, buf: Buffer, off: number): number {
  const flat: Record<string, unknown> = cmd.type === "CANCEL_REPLACE" ? { ...(cmd.order ?? {}), ...cmd, order: undefined } : (cmd as unknown as Record<string, unknown>);
  const t = TYPES.indexOf(cmd.type as (typeof TYPES)[number]);
  buf[off] = t < 0 ? 0 : t;
  let mask = 0;
  let p = off + 5;
  for (const [name, values] of ENUMS) {
    const v = flat[name];
    let code = NONE;
    if (v !== undefined) {
      const i = values.indexOf(String(v));
      code = i < 0 ? UNKNOWN : i + 1;
    }
    buf[p++] = code;
  }
  for (let i = 0; i < NUM_FIELDS.length; i++) {
    const v = flat[NUM_FIELDS[i]];
    if (v === undefined) continue;
    mask |= 1 << i;
    buf.writeDoubleLE(typeof v === "number" ? v : Number.NaN, p);
    p += 8;
  }
  buf.writeUInt32LE(mask >>> 0, off + 1);
  return p - off;
}

export function decodeCommand(buf: Buffer, off: number, end: number): Command {
  const type = TYPES[buf[off]] ?? "?";
  const mask = buf.readUInt32LE(off + 1);
  let p = off + 5;
  const flat: Record<string, unknown> = { type };
  for (const [name, values] of ENUMS) {
    const code = buf[p++];
    if (code === NONE) continue;
    const s = code === UNKNOWN ? "?" : values[code - 1];
    flat[name] = name === "cancelOnly" ? s === "true" : s;
  }
  for (let i = 0; i < NUM_FIELDS.length; i++) {
    if ((mask & (1 << i)) === 0) continue;
    if (p + 8 > end) throw new Error("command record too short");
    flat[NUM_FIELDS[i]] = buf.readDoubleLE(p);
    p += 8;
  }
  if (type === "CANCEL_REPLACE") {
    const order: Record<string, unknown> = {};
    const outer: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(flat)) (ORDER_KEYS.has(k) ? order : outer)[k] = v;
    outer.order = order;
    return outer as unknown as Command;
  }
  return flat as unknown as Command;
}
