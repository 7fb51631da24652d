/**
 * Compact binary encoding of commands for the journal (format v2). Every command is encoded faithfully, including
 * invalid ones (they are journaled and then rejected deterministically on replay):
 *
 *   u8 head | u16 LE presence mask | [u16 LE raw mask] | u8 enum mask | u8 per present enum | value per present field
 *
 * - head: bits 0-2 = type code (0 = unknown type), bit 7 = a raw mask follows.
 * - presence mask: bit i = NUM_FIELDS[i] is present (not undefined). Only the fields a command type reads are
 *   written (PLACE: order fields; CANCEL_REPLACE: ts, cancelOrderId, budgetFromCanceled + its order's fields; ...), so the decoded
 *   command behaves exactly like the original.
 * - values: a non-negative safe integer (the normal case: ids, ticks, lots, budgets) is an unsigned LEB128 varint
 *   (1-8 bytes); anything else (negative, fractional, -0, NaN, > 2^53, or not a number at all, stored as NaN) is a
 *   raw f64 LE and has its bit set in the raw mask. A non-number and NaN are rejected alike by the book.
 * - enums: code = index in the known values; 255 = a value outside the set (decodes to "?": still invalid,
 *   rejected the same way). cancelOnly: 0 = false, 1 = true, 255 = anything else.
 * Order lists (PLACE_LIST, head 7) and funds of pending orders (FUND_PENDING, head 8: no plain record has it) are
 * sequences of plain records after a short head (see encodeList, encodeFund).
 * Encoding reads each command's own properties directly (no generic field loops) and writes into the caller's
 * buffer: this is the journal's hot path.
 */
import type { Command } from "../domain/commands.js";

const TYPES = ["?", "PLACE", "CANCEL", "AMEND", "CANCEL_REPLACE", "CANCEL_ALL", "SET_STATUS", "PLACE_LIST"] as const;
const T_PLACE = 1;
const T_CANCEL = 2;
const T_AMEND = 3;
const T_CANCEL_REPLACE = 4;
const T_CANCEL_ALL = 5;
const T_SET_STATUS = 6;
const T_PLACE_LIST = 7;
const T_FUND_PENDING = 8;
const CONTINGENCIES = ["OCO", "OTO", "OTOCO"] as const;
/** legs of a list the journal keeps (the book accepts at most 3). */
const MAX_LIST_LEGS = 3;

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
  "budgetFromCanceled",
] as const;
const F_TS = 0;
const F_ORDER_ID = 1;
const F_USER_ID = 2;
const F_PRICE = 3;
const F_QTY = 4;
const F_QUOTE_QTY = 5;
const F_STOP_PRICE = 6;
const F_TRAILING_DELTA = 7;
const F_ICEBERG_QTY = 8;
const F_BUDGET = 9;
const F_CANCEL_ORDER_ID = 10;
const F_NEW_QTY = 11;
const F_NEW_PRICE = 12;
const F_BUDGET_DELTA = 13;
const F_BUDGET_FROM_CANCELED = 14;

const ENUMS: Array<[string, readonly string[]]> = [
  ["side", ["BUY", "SELL"]],
  ["orderType", ["LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"]],
  ["tif", ["GTC", "IOC", "FOK"]],
  ["stp", ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"]],
  ["mode", ["STOP_ON_FAILURE", "ALLOW_FAILURE"]],
  ["status", ["TRADING", "HALT", "BREAK"]],
  ["cancelOnly", ["false", "true"]],
];
const E_SIDE = 0;
const E_ORDER_TYPE = 1;
const E_TIF = 2;
const E_STP = 3;
const E_MODE = 4;
const E_STATUS = 5;
const E_CANCEL_ONLY = 6;
const UNKNOWN = 255;
const ORDER_KEYS = new Set(["orderId", "userId", "price", "qty", "quoteQty", "stopPrice", "trailingDelta", "icebergQty", "budget", "side", "orderType", "tif", "stp"]);

/** max encoded size of one plain command (head, masks, enum codes, every field as a raw f64). */
const MAX_PLAIN_BYTES = 1 + 2 + 2 + 1 + ENUMS.length + NUM_FIELDS.length * 8;
/**
 * max encoded size of one command. An order list (PLACE_LIST) is its head, a contingency code, a leg count,
 * then its ts and each leg as plain records (a CANCEL holding only ts; PLACE per leg), each prefixed by its length.
 */
export const MAX_COMMAND_BYTES = 3 + (1 + MAX_LIST_LEGS) * (1 + MAX_PLAIN_BYTES);

// ------------------------------------------------------------------------------------------------- encoding
/** per-command encoder state (module scope: encoding is synchronous and not re-entrant). */
const NO_BUFFER = Buffer.alloc(0);
let eBuf: Buffer = NO_BUFFER;
let eP = 0;
let ePresent = 0;
let eRaw = 0;
let eEnumMask = 0;
let eEnumP = 0;

function enumCode(v: unknown, values: readonly string[]): number {
  for (let i = 0; i < values.length; i++) if (v === values[i]) return i;
  return UNKNOWN;
}
function putEnum(bit: number, code: number): void {
  eEnumMask |= 1 << bit;
  eBuf[eEnumP++] = code;
}
function side(v: unknown): number {
  return v === "BUY" ? 0 : v === "SELL" ? 1 : UNKNOWN;
}
function orderType(v: unknown): number {
  return v === "LIMIT" ? 0 : enumCode(v, ENUMS[E_ORDER_TYPE][1]);
}
function tif(v: unknown): number {
  return v === "GTC" ? 0 : v === "IOC" ? 1 : v === "FOK" ? 2 : UNKNOWN;
}

/** writes a present numeric field (the caller skips undefined ones). Fields must be written in NUM_FIELDS order. */
function putNum(bit: number, v: unknown): void {
  ePresent |= 1 << bit;
  const buf = eBuf;
  let p = eP;
  if (typeof v === "number" && v >= 0 && v <= 0x7fffffff && (v | 0) === v && (v !== 0 || 1 / v > 0)) {
    // 31-bit fast path
    let x = v;
    while (x >= 0x80) {
      buf[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    buf[p++] = x;
  } else if (typeof v === "number" && Number.isSafeInteger(v) && v > 0) {
    let x = v;
    while (x >= 0x80) {
      const lo = x % 128;
      buf[p++] = lo | 0x80;
      x = (x - lo) / 128;
    }
    buf[p++] = x;
  } else {
    eRaw |= 1 << bit;
    buf.writeDoubleLE(typeof v === "number" ? v : Number.NaN, p);
    p += 8;
  }
  eP = p;
}

interface OrderFields {
  orderId?: unknown;
  userId?: unknown;
  price?: unknown;
  qty?: unknown;
  quoteQty?: unknown;
  stopPrice?: unknown;
  trailingDelta?: unknown;
  icebergQty?: unknown;
  budget?: unknown;
  side?: unknown;
  orderType?: unknown;
  tif?: unknown;
  stp?: unknown;
}
function orderEnums(o: OrderFields): void {
  if (o.side !== undefined) putEnum(E_SIDE, side(o.side));
  if (o.orderType !== undefined) putEnum(E_ORDER_TYPE, orderType(o.orderType));
  if (o.tif !== undefined) putEnum(E_TIF, tif(o.tif));
  if (o.stp !== undefined) putEnum(E_STP, enumCode(o.stp, ENUMS[E_STP][1]));
}
/** order numeric fields after ts (orderId..budget are NUM_FIELDS 1..9). */
function orderNums(o: OrderFields): void {
  if (o.orderId !== undefined) putNum(F_ORDER_ID, o.orderId);
  if (o.userId !== undefined) putNum(F_USER_ID, o.userId);
  if (o.price !== undefined) putNum(F_PRICE, o.price);
  if (o.qty !== undefined) putNum(F_QTY, o.qty);
  if (o.quoteQty !== undefined) putNum(F_QUOTE_QTY, o.quoteQty);
  if (o.stopPrice !== undefined) putNum(F_STOP_PRICE, o.stopPrice);
  if (o.trailingDelta !== undefined) putNum(F_TRAILING_DELTA, o.trailingDelta);
  if (o.icebergQty !== undefined) putNum(F_ICEBERG_QTY, o.icebergQty);
  if (o.budget !== undefined) putNum(F_BUDGET, o.budget);
}

/** Writes cmd into buf at off (at least MAX_COMMAND_BYTES free); returns bytes written. */
export function encodeCommand(cmd: Command, buf: Buffer, off: number): number {
  if (cmd.type === "PLACE_LIST") return encodeList(cmd as unknown as { ts?: unknown; contingency?: unknown; orders?: unknown }, buf, off);
  if (cmd.type === "FUND_PENDING") return encodeFund(cmd as unknown as { ts?: unknown; workingOrderId?: unknown; funded?: unknown; budgets?: unknown }, buf, off);
  return encodePlain(cmd, buf, off);
}

/**
 * Funds of pending orders: head, funded (0 false, 1 true, 255 anything else), a budget count, then one record holding
 * ts and the working order id (as a CANCEL's orderId) and one per budget (as a PLACE's budget).
 */
function encodeFund(cmd: { ts?: unknown; workingOrderId?: unknown; funded?: unknown; budgets?: unknown }, buf: Buffer, off: number): number {
  const budgets = Array.isArray(cmd.budgets) ? (cmd.budgets as unknown[]) : [];
  if (budgets.length > MAX_LIST_LEGS) throw new TypeError("malformed funds of pending orders");
  buf[off] = T_FUND_PENDING;
  buf[off + 1] = cmd.funded === false ? 0 : cmd.funded === true ? 1 : UNKNOWN;
  buf[off + 2] = budgets.length;
  let p = off + 3;
  const records = [{ type: "CANCEL", ts: cmd.ts, orderId: cmd.workingOrderId }, ...budgets.map((budget) => ({ type: "PLACE", budget }))];
  for (const r of records) {
    const n = encodePlain(r as unknown as Command, buf, p + 1);
    buf[p] = n;
    p += 1 + n;
  }
  return p - off;
}

/** A list: its legs as PLACE records after one record holding ts (so every value keeps the plain encoding). */
function encodeList(cmd: { ts?: unknown; contingency?: unknown; orders?: unknown }, buf: Buffer, off: number): number {
  const legs = Array.isArray(cmd.orders) ? (cmd.orders as unknown[]) : [];
  if (legs.length > MAX_LIST_LEGS || legs.some((o) => typeof o !== "object" || o === null)) throw new TypeError("malformed order list");
  buf[off] = T_PLACE_LIST;
  buf[off + 1] = enumCode(cmd.contingency, CONTINGENCIES);
  buf[off + 2] = legs.length;
  let p = off + 3;
  const records = [{ type: "CANCEL", ts: cmd.ts }, ...legs.map((o) => ({ ...(o as object), type: "PLACE" }))];
  for (const r of records) {
    const n = encodePlain(r as unknown as Command, buf, p + 1);
    buf[p] = n;
    p += 1 + n;
  }
  return p - off;
}

function encodePlain(cmd: Command, buf: Buffer, off: number): number {
  const type = cmd.type;
  const t =
    type === "PLACE"
      ? T_PLACE
      : type === "CANCEL"
        ? T_CANCEL
        : type === "AMEND"
          ? T_AMEND
          : type === "CANCEL_REPLACE"
            ? T_CANCEL_REPLACE
            : type === "CANCEL_ALL"
              ? T_CANCEL_ALL
              : type === "SET_STATUS"
                ? T_SET_STATUS
                : 0;
  eBuf = buf;
  ePresent = 0;
  eRaw = 0;
  eEnumMask = 0;
  // enum codes are written first (right after the masks) into a reserved area; values follow. The raw mask is
  // only known at the end: values are written as if it were absent and moved up 2 bytes when it is needed.
  const enumStart = off + 4;
  eEnumP = enumStart;
  switch (t) {
    case T_PLACE:
      orderEnums(cmd as unknown as OrderFields);
      break;
    case T_CANCEL_REPLACE: {
      const c = cmd as unknown as { mode?: unknown; order?: OrderFields | null };
      orderEnums(c.order ?? {});
      if (c.mode !== undefined) putEnum(E_MODE, c.mode === "STOP_ON_FAILURE" ? 0 : c.mode === "ALLOW_FAILURE" ? 1 : UNKNOWN);
      break;
    }
    case T_SET_STATUS: {
      const c = cmd as unknown as { status?: unknown; cancelOnly?: unknown };
      if (c.status !== undefined) putEnum(E_STATUS, enumCode(c.status, ENUMS[E_STATUS][1]));
      if (c.cancelOnly !== undefined) putEnum(E_CANCEL_ONLY, c.cancelOnly === false ? 0 : c.cancelOnly === true ? 1 : UNKNOWN);
      break;
    }
  }
  eP = eEnumP;
  const ts = (cmd as { ts?: unknown }).ts;
  if (ts !== undefined) putNum(F_TS, ts);
  switch (t) {
    case T_PLACE:
      orderNums(cmd as unknown as OrderFields);
      break;
    case T_CANCEL: {
      const c = cmd as unknown as { orderId?: unknown; userId?: unknown };
      if (c.orderId !== undefined) putNum(F_ORDER_ID, c.orderId);
      if (c.userId !== undefined) putNum(F_USER_ID, c.userId);
      break;
    }
    case T_AMEND: {
      const c = cmd as unknown as { orderId?: unknown; userId?: unknown; newQty?: unknown; newPrice?: unknown; budgetDelta?: unknown };
      if (c.orderId !== undefined) putNum(F_ORDER_ID, c.orderId);
      if (c.userId !== undefined) putNum(F_USER_ID, c.userId);
      if (c.newQty !== undefined) putNum(F_NEW_QTY, c.newQty);
      if (c.newPrice !== undefined) putNum(F_NEW_PRICE, c.newPrice);
      if (c.budgetDelta !== undefined) putNum(F_BUDGET_DELTA, c.budgetDelta);
      break;
    }
    case T_CANCEL_REPLACE: {
      const c = cmd as unknown as { cancelOrderId?: unknown; order?: OrderFields | null; budgetFromCanceled?: unknown };
      orderNums(c.order ?? {});
      if (c.cancelOrderId !== undefined) putNum(F_CANCEL_ORDER_ID, c.cancelOrderId);
      // absent in journals written before it existed: they decode as before
      if (c.budgetFromCanceled !== undefined) putNum(F_BUDGET_FROM_CANCELED, c.budgetFromCanceled);
      break;
    }
    case T_CANCEL_ALL: {
      const c = cmd as unknown as { userId?: unknown };
      if (c.userId !== undefined) putNum(F_USER_ID, c.userId);
      break;
    }
  }
  let end = eP;
  if (eRaw !== 0) {
    buf.copyWithin(enumStart + 2, enumStart, end);
    buf.writeUInt16LE(eRaw, enumStart);
    end += 2;
  }
  buf[off] = eRaw !== 0 ? t | 0x80 : t;
  buf.writeUInt16LE(ePresent, off + 1);
  buf[off + 3] = eEnumMask;
  eBuf = NO_BUFFER; // do not retain the caller's buffer
  return end - off;
}

// ------------------------------------------------------------------------------------------------- decoding
export function decodeCommand(buf: Buffer, off: number, end: number): Command {
  if (off < end && buf[off] === T_PLACE_LIST) return decodeList(buf, off, end);
  if (off < end && buf[off] === T_FUND_PENDING) return decodeFund(buf, off, end);
  return decodePlain(buf, off, end);
}

/** The plain records after a 3-byte head whose last byte counts them (less the first). */
function recordsAfterHead(buf: Buffer, off: number, end: number): Record<string, unknown>[] {
  if (off + 3 > end) throw new Error("command record too short");
  const count = buf[off + 2];
  let p = off + 3;
  const records: Record<string, unknown>[] = [];
  for (let i = 0; i <= count; i++) {
    if (p >= end) throw new Error("command record too short");
    const n = buf[p];
    if (p + 1 + n > end) throw new Error("command record too short");
    records.push(decodePlain(buf, p + 1, p + 1 + n) as unknown as Record<string, unknown>);
    p += 1 + n;
  }
  if (p !== end) throw new Error("command record has trailing bytes");
  return records;
}

function decodeFund(buf: Buffer, off: number, end: number): Command {
  const [first, ...budgets] = recordsAfterHead(buf, off, end);
  const code = buf[off + 1];
  const cmd: Record<string, unknown> = { type: "FUND_PENDING" };
  if ("ts" in first) cmd.ts = first.ts;
  if ("orderId" in first) cmd.workingOrderId = first.orderId;
  cmd.funded = code === 0 ? false : code === 1 ? true : "?";
  cmd.budgets = budgets.map((record) => record.budget);
  return cmd as unknown as Command;
}

function decodeList(buf: Buffer, off: number, end: number): Command {
  const code = buf[off + 1];
  const [first, ...legs] = recordsAfterHead(buf, off, end);
  const cmd: Record<string, unknown> = { type: "PLACE_LIST" };
  if ("ts" in first) cmd.ts = first.ts;
  cmd.contingency = CONTINGENCIES[code] ?? "?";
  cmd.orders = legs.map(({ type: _type, ...leg }) => leg);
  return cmd as unknown as Command;
}

function decodePlain(buf: Buffer, off: number, end: number): Command {
  if (off + 4 > end) throw new Error("command record too short");
  const head = buf[off];
  const type = TYPES[head & 7] ?? "?";
  const present = buf.readUInt16LE(off + 1);
  const enumMask = buf[off + 3];
  let p = off + 4;
  let raw = 0;
  if ((head & 0x80) !== 0) {
    if (p + 2 > end) throw new Error("command record too short");
    raw = buf.readUInt16LE(p);
    p += 2;
  }
  const flat: Record<string, unknown> = { type };
  for (let e = 0; e < ENUMS.length; e++) {
    if ((enumMask & (1 << e)) === 0) continue;
    if (p >= end) throw new Error("command record too short");
    const code = buf[p++];
    const [name, values] = ENUMS[e];
    if (e === E_CANCEL_ONLY) flat[name] = code === 0 ? false : code === 1 ? true : "?";
    else flat[name] = code === UNKNOWN ? "?" : (values[code] ?? "?");
  }
  for (let i = 0; i < NUM_FIELDS.length; i++) {
    if ((present & (1 << i)) === 0) continue;
    if ((raw & (1 << i)) !== 0) {
      if (p + 8 > end) throw new Error("command record too short");
      flat[NUM_FIELDS[i]] = buf.readDoubleLE(p);
      p += 8;
      continue;
    }
    let v = 0;
    let mul = 1;
    for (let n = 0; ; n++) {
      if (p >= end || n === 8) throw new Error("bad varint");
      const b = buf[p++];
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) break;
      mul *= 128;
    }
    flat[NUM_FIELDS[i]] = v;
  }
  if (p !== end) throw new Error("command record has trailing bytes");
  if (type === "CANCEL_REPLACE") {
    const order: Record<string, unknown> = {};
    const outer: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(flat)) (ORDER_KEYS.has(k) ? order : outer)[k] = v;
    outer.order = order;
    return outer as unknown as Command;
  }
  return flat as unknown as Command;
}
