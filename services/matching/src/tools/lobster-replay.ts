/**
 * Replays real Nasdaq order flow (LOBSTER sample, GOOG 2012-06-21, level 5) through the fast OrderBook and checks
 * every derivable price level against LOBSTER's orderbook file, row by row.
 *
 * LOBSTER: row i of the orderbook file is the book AFTER message i; prices are dollars x 10000 (used as ticks
 * directly: a few prices are half-cents, so 1 tick = $0.0001); sizes are shares (1 lot = 1 share).
 * - seed: the book before message 1 is row 0; its levels become synthetic resting orders (orders placed before the
 *   file started exist only as levels); replay starts at message 1.
 * - type 1 -> LIMIT GTC; type 2 (partial cancel) -> AMEND reduce (keeps priority); type 3 -> CANCEL; type 5 (hidden
 *   execution) -> nothing visible; type 7 -> SET_STATUS HALT / TRADING.
 * - type 4: a burst of executions with equal timestamp and direction is one aggressor: an IOC limit at the worst
 *   executed price for the burst's total size; when the burst is directly followed (same timestamp) by a type-1
 *   submission on the aggressor's side, that is the aggressor's resting remainder, so the aggressor is that order:
 *   GTC at its price for total + remainder. The engine's trades are checked against the executions (maker id, size).
 * - the file only records events inside the top-5 window: a level beyond the previous row's 5th level (per side) that
 *   shows up in the window is "revealed" and can only be taken from the orderbook file; it is reconciled with
 *   synthetic resting liquidity (or stale liquidity removed) and counted. Every other level must match: mismatches.
 * Messages and rows inside a burst are compared at the end of the burst (the aggressor is one command).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { OrderBook } from "../domain/order-book.js";
import { CollectingSink, type TradeEvent } from "../domain/events.js";
import type { Command, Side } from "../domain/commands.js";

const BUYS = 0;
const SELLS = 1;
const DUMMY = 9999999999;
const SYNTHETIC_BASE = 1_000_000_000_000;

export interface Message {
  time: string;
  type: number;
  orderId: number;
  size: number;
  price: number;
  dir: number;
}
/** one row: [side][level] = [price, size]; dummy levels dropped. */
export type Row = [Array<[number, number]>, Array<[number, number]>];

export interface LobsterReport {
  messages: number;
  rowsCompared: number;
  levelsCompared: number;
  mismatches: number;
  mismatchSamples: string[];
  /** levels that entered the top-5 window from beyond the previous row's window. */
  revealedLevels: number;
  /** rows where at least one revealed level needed synthetic liquidity injected (or stale liquidity removed). */
  injectedRows: number;
  injectedLevels: number;
  staleLevelsRemoved: number;
  bursts: number;
  burstExecutions: number;
  burstsWithRestingRemainder: number;
  /** executions whose maker (order id + size) differed from the engine's trade. */
  fillAttributionMismatches: number;
  hiddenExecutions: number;
  halts: number;
  commandsApplied: number;
  trades: number;
}

/** LOBSTER_DIR, else the workspace's shared data beside the checkout, else at its usual absolute place. */
export function defaultLobsterDir(): string {
  if (process.env.LOBSTER_DIR) return process.env.LOBSTER_DIR;
  const here = path.dirname(fileURLToPath(import.meta.url));
  const repoRoot = path.resolve(here, "../../../..");
  const candidates = [path.resolve(repoRoot, "../shared/data/lobster"), "/work/shared/data/lobster"];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0];
}

export function loadLobster(dir: string): { messages: Message[]; rows: Row[] } {
  const files = readdirSync(dir);
  const msgFile = files.find((f) => f.includes("_message_"));
  const obFile = files.find((f) => f.includes("_orderbook_"));
  if (!msgFile || !obFile) throw new Error(`no LOBSTER message/orderbook files in ${dir}`);
  const messages = readFileSync(path.join(dir, msgFile), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const [time, type, id, size, price, dir] = l.trim().split(",");
      return { time, type: Number(type), orderId: Number(id), size: Number(size), price: Number(price), dir: Number(dir) };
    });
  const rows = readFileSync(path.join(dir, obFile), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const v = l.trim().split(",").map(Number);
      const row: Row = [[], []];
      for (let k = 0; k + 3 < v.length; k += 4) {
        if (Math.abs(v[k]) !== DUMMY && v[k + 1] > 0) row[SELLS].push([v[k], v[k + 1]]);
        if (Math.abs(v[k + 2]) !== DUMMY && v[k + 3] > 0) row[BUYS].push([v[k + 2], v[k + 3]]);
      }
      return row;
    });
  if (rows.length !== messages.length) throw new Error(`rows ${rows.length} != messages ${messages.length}`);
  return { messages, rows };
}

export function replayLobster(dir = defaultLobsterDir(), onProgress?: (i: number, r: LobsterReport) => void): LobsterReport {
  const { messages, rows } = loadLobster(dir);
  const book = new OrderBook();
  const sink = new CollectingSink("GOOG");
  const rep: LobsterReport = {
    messages: messages.length,
    rowsCompared: 0,
    levelsCompared: 0,
    mismatches: 0,
    mismatchSamples: [],
    revealedLevels: 0,
    injectedRows: 0,
    injectedLevels: 0,
    staleLevelsRemoved: 0,
    bursts: 0,
    burstExecutions: 0,
    burstsWithRestingRemainder: 0,
    fillAttributionMismatches: 0,
    hiddenExecutions: 0,
    halts: 0,
    commandsApplied: 0,
    trades: 0,
  };
  let ts = 0;
  let synthetic = SYNTHETIC_BASE;
  const apply = (c: Command) => {
    book.apply(c, sink);
    rep.commandsApplied++;
    const out = sink.take()[0];
    for (const e of out.events) if (e.kind === "TRADE") rep.trades++;
    return out;
  };
  const sideName = (s: number): Side => (s === BUYS ? "BUY" : "SELL");
  const addLiquidity = (side: number, price: number, qty: number) => {
    apply({ type: "PLACE", ts, orderId: ++synthetic, userId: 0, side: sideName(side), orderType: "LIMIT", price, qty, budget: side === BUYS ? price * qty : qty });
  };
  /** removes qty at (side, price): the preferred order first, then synthetic orders, then from the back. */
  const reduce = (side: number, price: number, qty: number, prefer?: number) => {
    const ids = book.levelOrderIds(side, price);
    const order = [...(prefer !== undefined && ids.includes(prefer) ? [prefer] : []), ...ids.filter((x) => x >= SYNTHETIC_BASE && x !== prefer), ...ids.filter((x) => x < SYNTHETIC_BASE && x !== prefer).reverse()];
    let left = qty;
    for (const id of order) {
      if (left <= 0) break;
      const open = book.openQty(id);
      if (open <= left) {
        apply({ type: "CANCEL", ts, orderId: id });
        left -= open;
      } else {
        apply({ type: "AMEND", ts, orderId: id, newQty: open - left });
        left = 0;
      }
    }
    return qty - left;
  };

  // seed from row 0
  for (const side of [BUYS, SELLS]) for (const [p, q] of rows[0][side]) addLiquidity(side, p, q);

  const compare = (i: number, before: number) => {
    rep.rowsCompared++;
    let injectedHere = false;
    for (const side of [BUYS, SELLS]) {
      const prev = rows[before][side];
      const cur = rows[i][side];
      const better = (a: number, b: number) => (side === BUYS ? a > b : a < b);
      const prevWorst = prev.length >= 5 ? prev[4][0] : null;
      const known = (p: number) => prevWorst === null || !better(prevWorst, p); // p at or better than prev 5th
      const curWorst = cur.length >= 5 ? cur[4][0] : null;
      const inWindow = (p: number) => curWorst === null || !better(curWorst, p);
      const ours = new Map(book.depth(side, 1_000_000).filter(([p]) => inWindow(p)));
      const theirs = new Map(cur);
      for (const p of new Set([...ours.keys(), ...theirs.keys()])) {
        const a = ours.get(p) ?? 0;
        const b = theirs.get(p) ?? 0;
        if (known(p)) {
          rep.levelsCompared++;
          if (a !== b) {
            rep.mismatches++;
            if (rep.mismatchSamples.length < 10) rep.mismatchSamples.push(`row ${i} ${sideName(side)} ${p}: engine ${a} lobster ${b} (msg ${JSON.stringify(messages[i])})`);
          }
        } else {
          if (b > 0) rep.revealedLevels++;
          if (a < b) {
            addLiquidity(side, p, b - a);
            rep.injectedLevels++;
            injectedHere = true;
          } else if (a > b) {
            reduce(side, p, a - b);
            rep.staleLevelsRemoved++;
            injectedHere = true;
          }
        }
      }
    }
    if (injectedHere) rep.injectedRows++;
  };

  let i = 1;
  while (i < messages.length) {
    const m = messages[i];
    ts = Math.round(Number(m.time) * 1000); // ms after midnight (the command timestamp)
    const side = m.dir === 1 ? BUYS : SELLS;
    let last = i;
    if (m.type === 1) {
      apply({ type: "PLACE", ts, orderId: m.orderId, userId: 1, side: sideName(side), orderType: "LIMIT", price: m.price, qty: m.size, budget: side === BUYS ? m.price * m.size : m.size });
    } else if (m.type === 2 || m.type === 3) {
      const open = book.openQty(m.orderId);
      if (open > 0 && open > m.size && m.type === 2) apply({ type: "AMEND", ts, orderId: m.orderId, newQty: open - m.size });
      else if (open > 0 && open === m.size) apply({ type: "CANCEL", ts, orderId: m.orderId });
      else reduce(side, m.price, m.size, open > 0 ? m.orderId : undefined); // order from before the file (synthetic level)
    } else if (m.type === 4) {
      // burst: consecutive type-4 executions with the same timestamp and direction
      let j = i;
      let total = 0;
      while (j < messages.length && messages[j].type === 4 && messages[j].time === m.time && messages[j].dir === m.dir) total += messages[j++].size;
      const execs = messages.slice(i, j);
      const aggressor = side === BUYS ? SELLS : BUYS; // executing resting buys = seller-initiated
      const worst = execs[execs.length - 1].price;
      const nxt = messages[j];
      const remainder = nxt && nxt.type === 1 && nxt.time === m.time && (nxt.dir === 1 ? BUYS : SELLS) === aggressor && (aggressor === BUYS ? nxt.price >= worst : nxt.price <= worst);
      const price = remainder ? nxt.price : worst;
      const qty = total + (remainder ? nxt.size : 0);
      const id = remainder ? nxt.orderId : ++synthetic;
      const out = apply({ type: "PLACE", ts, orderId: id, userId: 2, side: sideName(aggressor), orderType: "LIMIT", tif: remainder ? "GTC" : "IOC", price, qty, budget: aggressor === BUYS ? price * qty : qty });
      const trades = out.events.filter((e): e is TradeEvent => e.kind === "TRADE");
      // attribution: each execution should be one trade against that maker (pre-file orders are synthetic makers)
      for (let k = 0; k < Math.max(trades.length, execs.length); k++) {
        const t = trades[k];
        const x = execs[k];
        const ok = t && x && t.qty === x.size && t.price === x.price && (t.makerOrderId === x.orderId || (t.makerOrderId >= SYNTHETIC_BASE && !book.has(x.orderId)));
        if (!ok) rep.fillAttributionMismatches++;
      }
      rep.bursts++;
      rep.burstExecutions += execs.length;
      if (remainder) rep.burstsWithRestingRemainder++;
      last = remainder ? j : j - 1;
    } else if (m.type === 5) {
      rep.hiddenExecutions++;
    } else if (m.type === 7) {
      rep.halts++;
      apply({ type: "SET_STATUS", ts, status: m.price === -1 ? "HALT" : "TRADING" });
    }
    compare(last, i - 1);
    i = last + 1;
    if (onProgress && (i % 2000 < last - (i - 1) + 1 || i >= messages.length)) onProgress(i, rep);
  }
  return rep;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = defaultLobsterDir();
  const started = process.hrtime.bigint();
  const rep = replayLobster(dir, (i, r) => {
    process.stdout.write(`[lobster] ${i}/${r.messages} messages, rows compared ${r.rowsCompared}, levels ${r.levelsCompared}, mismatches ${r.mismatches}, revealed ${r.revealedLevels}, injected rows ${r.injectedRows}\n`);
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(JSON.stringify({ dir, ms: Math.round(ms), ...rep }, null, 2) + "\n");
  process.exitCode = rep.mismatches === 0 ? 0 : 1;
}
