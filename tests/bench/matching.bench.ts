/**
 * Matching engine benchmark: `npm run bench` (tsx tests/bench/matching.bench.ts). Env: BENCH_SCALE (default 1).
 *
 * Streams are generated BEFORE timing with a seeded PRNG; the generator runs its own scratch OrderBook to know which
 * orders are live (so cancels/moves hit live orders). Each timed run starts from an empty book, single thread.
 * Throughput: one hrtime pair around the whole stream (events go to a reusable-buffer sink).
 * Latency: a second pass where every 16th command is timed alone with process.hrtime.bigint() (recorded in an
 * HdrHistogram, ns); the timer's own cost (median of empty hrtime pairs) is printed so it can be discounted.
 */
import * as hdr from "hdr-histogram-js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import os from "node:os";
import { OrderBook as PeerBook, Side as PeerSide } from "nodejs-order-book";
import { OrderBook } from "../../services/matching/src/domain/order-book.js";
import type { Command } from "../../services/matching/src/domain/commands.js";
import { NullSink, type EventSink } from "../../services/matching/src/domain/events.js";
import { prng } from "../support/prng.js";
import { MatchingEngine } from "../../services/matching/src/engine.js";
import { FileJournal } from "../../services/matching/src/adapters/journal.file.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");

/** Writes every event into a reusable Float64Array ring (no allocation) and counts trades / traded qty. */
export class BufferSink implements EventSink {
  buf = new Float64Array(1 << 16);
  p = 0;
  trades = 0;
  tradedQty = 0;
  events = 0;
  private put(a: number, b: number, c: number, d: number): void {
    const i = this.p;
    this.buf[i] = a;
    this.buf[i + 1] = b;
    this.buf[i + 2] = c;
    this.buf[i + 3] = d;
    this.p = (i + 4) & 0xffff;
    this.events++;
  }
  begin(seq: number, ts: number): void {
    this.put(0, seq, ts, 0);
  }
  accepted(id: number): void {
    this.put(1, id, 0, 0);
  }
  rejected(id: number, r: number): void {
    this.put(2, id, r, 0);
  }
  trade(tid: number, price: number, qty: number, maker: number, taker: number): void {
    this.trades++;
    this.tradedQty += qty;
    this.put(3, tid, price, qty);
    this.put(3, maker, taker, 0);
  }
  orderUpdate(id: number, st: number, filled: number, open: number): void {
    this.put(4, id, st, filled + open);
  }
  bookDelta(side: number, price: number, qty: number): void {
    this.put(5, side, price, qty);
  }
  end(): void {}
}


export interface Stream {
  name: string;
  /** applied before timing (not counted, not timed): seeds the book, like exchange-core's fill phase. */
  prefill: Command[];
  cmds: Command[];
  /** mix of `cmds` in percent. */
  mix: Record<string, number>;
  finalResting: number;
  /** resting orders over the timed commands (sampled every 1000 commands). */
  restingMin: number;
  restingMax: number;
}

/** Generator with a scratch book so that cancels/moves target live orders. */
function generate(name: string, seed: number, n: number, pick: (g: Gen) => Command, prefill?: (g: Gen) => Command[]): Stream {
  const g = new Gen(seed);
  const pre = prefill ? prefill(g) : [];
  for (const c of pre) g.book.apply(c, g.sink);
  const cmds: Command[] = new Array(n);
  const mix: Record<string, number> = {};
  let restingMin = Number.MAX_SAFE_INTEGER;
  let restingMax = 0;
  for (let i = 0; i < n; i++) {
    const c = pick(g);
    cmds[i] = c;
    g.book.apply(c, g.sink);
    const k = c.type === "PLACE" ? `${c.type}/${c.tif ?? "GTC"}` : c.type;
    mix[k] = (mix[k] ?? 0) + 1;
    if (i % 1000 === 999) {
      restingMin = Math.min(restingMin, g.book.restingCount);
      restingMax = Math.max(restingMax, g.book.restingCount);
    }
  }
  for (const k of Object.keys(mix)) mix[k] = Math.round((mix[k] / n) * 1000) / 10;
  return { name, prefill: pre, cmds, mix, finalResting: g.book.restingCount, restingMin, restingMax };
}
class Gen {
  r: () => number;
  book = new OrderBook(1 << 16);
  sink = new NullSink();
  live: number[] = [];
  buyer = new Map<number, boolean>();
  next = 1;
  ts = 1;
  constructor(seed: number) {
    this.r = prng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  bestBid(): number {
    return this.book.depth(0, 1)[0]?.[0] ?? 9_999;
  }
  bestAsk(): number {
    return this.book.depth(1, 1)[0]?.[0] ?? 10_001;
  }
  /** a random live order id (dead candidates are dropped lazily), or 0. */
  liveId(): number {
    while (this.live.length > 0) {
      const i = Math.floor(this.r() * this.live.length);
      const id = this.live[i];
      if (this.book.has(id)) return id;
      this.live[i] = this.live[this.live.length - 1];
      this.live.pop();
    }
    return 0;
  }
  limit(buy: boolean, price: number, qty: number, tif: "GTC" | "IOC" = "GTC"): Command {
    const id = this.next++;
    if (tif === "GTC") {
      this.live.push(id);
      this.buyer.set(id, buy);
    }
    return { type: "PLACE", ts: this.ts++, orderId: id, userId: 1 + (id % 1000), side: buy ? "BUY" : "SELL", orderType: "LIMIT", tif, price, qty, budget: buy ? price * qty : qty };
  }
}

// (a) steady state: ~70% passive adds within 10 ticks of the touch, ~25% cancels of live orders, ~5% crossing IOC
export function steady(n: number): Stream {
  return generate("a) steady state", 1, n, (g) => {
    const x = g.r();
    const buy = g.r() < 0.5;
    if (x < 0.7 || g.live.length < 50) {
      const px = buy ? g.bestAsk() - 1 - g.int(0, 9) : g.bestBid() + 1 + g.int(0, 9);
      return g.limit(buy, px, g.int(1, 10));
    }
    if (x < 0.95) return { type: "CANCEL", ts: g.ts++, orderId: g.liveId() };
    // crossing: sweeps enough orders that the book stays bounded (a few thousand resting): sized from the
    // current book size (adds outnumber cancels, so the crossing flow has to remove the difference)
    const px = buy ? g.bestAsk() + 10 : g.bestBid() - 10;
    const big = g.book.restingCount > 3000 ? 120 : 40;
    return g.limit(buy, px, g.int(big / 2, big), "IOC");
  });
}

// (b) exchange-core's mix (its TestOrdersGenerator): 9% GTC, 3% IOC, 6% cancel, 82% move (amend price), on a book
// that is first filled (untimed, like exchange-core's fill phase) with B_TARGET resting orders and stays around that
// size: GTC adds (9) minus cancels (6) leave +3 orders per 100 commands, which the IOCs (3 per 100) take out: an IOC
// is sized from the current book size (bigger above the target, smaller below), so the book is bounded.
const B_TARGET = 3000;
export function exchangeCoreMix(n: number): Stream {
  const passive = (g: Gen, buy: boolean): number => (buy ? g.bestAsk() - 1 - g.int(0, 15) : g.bestBid() + 1 + g.int(0, 15));
  return generate(
    "b) exchange-core mix",
    2,
    n,
    (g) => {
      const x = g.r();
      const buy = g.r() < 0.5;
      if (x < 0.09) return g.limit(buy, passive(g, buy), g.int(1, 10));
      if (x < 0.12) {
        // crossing IOC, up to 2 ticks through the touch; average ~1 resting order taken at the target size
        const over = g.book.restingCount - B_TARGET;
        const qty = g.int(1, over <= -200 ? 1 : over <= 0 ? 6 : Math.min(60, 12 + (over >> 3)));
        return g.limit(buy, buy ? g.bestAsk() + 2 : g.bestBid() - 2, qty, "IOC");
      }
      if (x < 0.18) return { type: "CANCEL", ts: g.ts++, orderId: g.liveId() };
      const id = g.liveId();
      // move to a new price within 16 ticks of the touch on its own side (passive); 0.5% of moves cross the spread
      const b = g.buyer.get(id) ?? buy;
      const newPrice = g.r() < 0.005 ? (b ? g.bestAsk() : g.bestBid()) : passive(g, b);
      return { type: "AMEND", ts: g.ts++, orderId: id, newPrice, budgetDelta: 1_000_000 };
    },
    (g) => {
      // fill phase: B_TARGET passive orders spread over 32 ticks per side around 10_000
      const out: Command[] = [];
      for (let i = 0; i < B_TARGET; i++) {
        const buy = (i & 1) === 0;
        out.push(g.limit(buy, buy ? 9_999 - g.int(0, 31) : 10_001 + g.int(0, 31), g.int(1, 10)));
      }
      return out;
    },
  );
}

// (c) growing book: 80% adds at 4 prices per side, 10% cancels anywhere in the queues, 10% small crossing IOC
export function growing(n: number): Stream {
  return generate("c) growing book", 3, n, (g) => {
    const x = g.r();
    const buy = g.r() < 0.5;
    if (x < 0.8 || g.live.length < 50) return g.limit(buy, buy ? 9_996 + g.int(0, 3) : 10_001 + g.int(0, 3), g.int(1, 10));
    if (x < 0.9) return { type: "CANCEL", ts: g.ts++, orderId: g.liveId() };
    return g.limit(buy, buy ? 10_004 : 9_996, g.int(1, 30), "IOC");
  });
}

function fmt(n: number): string {
  return n >= 1e6 ? (n / 1e6).toFixed(2) + "M" : n >= 1e3 ? (n / 1e3).toFixed(1) + "k" : n.toFixed(0);
}

function runEngine(s: Stream, sink = new BufferSink()): { opsPerSec: number; sink: BufferSink; ms: number } {
  const book = new OrderBook(1 << 16);
  for (const c of s.prefill) book.apply(c, sink);
  sink.trades = 0;
  sink.tradedQty = 0;
  sink.events = 0;
  const cmds = s.cmds;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < cmds.length; i++) book.apply(cmds[i], sink);
  const ns = Number(process.hrtime.bigint() - t0);
  return { opsPerSec: (cmds.length / ns) * 1e9, sink, ms: ns / 1e6 };
}

function latency(s: Stream): hdr.Histogram {
  const h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e10, numberOfSignificantValueDigits: 3 });
  const book = new OrderBook(1 << 16);
  const sink = new BufferSink();
  for (const c of s.prefill) book.apply(c, sink);
  const cmds = s.cmds;
  for (let i = 0; i < cmds.length; i++) {
    if ((i & 15) === 0) {
      const t0 = process.hrtime.bigint();
      book.apply(cmds[i], sink);
      h.recordValue(Number(process.hrtime.bigint() - t0));
    } else book.apply(cmds[i], sink);
  }
  return h;
}

function timerOverhead(): number {
  const xs: number[] = [];
  for (let i = 0; i < 10000; i++) {
    const t0 = process.hrtime.bigint();
    xs.push(Number(process.hrtime.bigint() - t0));
  }
  xs.sort((a, b) => a - b);
  return xs[5000];
}

/** nodejs-order-book on the same commands (PLACE limit GTC/IOC and CANCEL only). */
function runPeer(cmds: Command[]): { opsPerSec: number; trades: number; tradedQty: number; ms: number } {
  const ob = new PeerBook();
  let trades = 0;
  let tradedQty = 0;
  const t0 = process.hrtime.bigint();
  for (const c of cmds) {
    if (c.type === "PLACE") {
      const id = String(c.orderId);
      const r = ob.limit({ id, side: c.side === "BUY" ? PeerSide.BUY : PeerSide.SELL, size: c.qty!, price: c.price!, timeInForce: c.tif === "IOC" ? "IOC" : "GTC" } as never);
      const traded = c.qty! - r.quantityLeft;
      if (traded > 0) {
        tradedQty += traded;
        trades += r.done.filter((o) => o.id !== id).length + (r.partial && r.partial.id !== id ? 1 : 0);
      }
    } else if (c.type === "CANCEL") ob.cancel(String(c.orderId));
    else throw new Error("peer run supports PLACE/CANCEL only");
  }
  const ns = Number(process.hrtime.bigint() - t0);
  return { opsPerSec: (cmds.length / ns) * 1e9, trades, tradedQty, ms: ns / 1e6 };
}

async function journaled(s: Stream, n: number): Promise<{ opsPerSec: number; groups: number }> {
  const dir = mkdtempSync(path.join(tmpdir(), "matching-bench-"));
  try {
    const journal = new FileJournal(dir);
    let groups = 0;
    const orig = journal.append.bind(journal);
    journal.append = (recs) => {
      groups++;
      return orig(recs);
    };
    const engine = await MatchingEngine.open({ symbol: "BENCH", journal });
    const sink = new BufferSink();
    const cmds = s.cmds.slice(0, n);
    const CHUNK = 512;
    const inflight: Promise<void>[] = [];
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < cmds.length; i += CHUNK) {
      inflight.push(engine.submitInto(cmds.slice(i, i + CHUNK), sink));
      if (inflight.length >= 64) await inflight.shift();
    }
    await Promise.all(inflight);
    const ns = Number(process.hrtime.bigint() - t0);
    await engine.close();
    return { opsPerSec: (cmds.length / ns) * 1e9, groups };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`# matching bench  node ${process.version}  ${os.cpus().length} cpu(s) ${os.cpus()[0]?.model ?? ""}  scale ${SCALE}`);
  const tg = process.hrtime.bigint();
  const streams = [steady(Math.round(2_000_000 * SCALE)), exchangeCoreMix(Math.round(1_000_000 * SCALE)), growing(Math.round(600_000 * SCALE))];
  console.log(`generated streams in ${(Number(process.hrtime.bigint() - tg) / 1e9).toFixed(1)}s (not timed)`);
  const overhead = timerOverhead();
  console.log(`hrtime.bigint pair overhead (median): ${overhead} ns`);
  // warm-up (JIT): every stream once in full, untimed (the first pass over a stream runs partly in lower JIT tiers)
  for (const s of streams) runEngine(s);
  console.log("warm-up done");

  const results: Record<string, unknown> = {};
  for (const s of streams) {
    console.log(`timing ${s.name} ...`);
    const runs = [runEngine(s), runEngine(s), runEngine(s)];
    const best = runs.reduce((a, b) => (a.opsPerSec > b.opsPerSec ? a : b));
    const h = latency(s);
    const line = `${s.name}: ${s.cmds.length} cmds, mix ${JSON.stringify(s.mix)}, ${s.prefill.length ? `after an untimed fill of ${s.prefill.length} orders, ` : ""}resting at end ${s.finalResting} (min ${s.restingMin}, max ${s.restingMax} over the run)\n  engine: ${fmt(best.opsPerSec)} ops/s (best of 3: ${runs.map((r) => fmt(r.opsPerSec)).join(", ")}), trades ${best.sink.trades}, events ${best.sink.events}\n  latency (every 16th cmd, ns, incl. timer): p50 ${h.getValueAtPercentile(50)} p99 ${h.getValueAtPercentile(99)} p99.9 ${h.getValueAtPercentile(99.9)} max ${h.maxValue}`;
    console.log(line);
    results[s.name] = { ops: best.opsPerSec, p50: h.getValueAtPercentile(50), p99: h.getValueAtPercentile(99), p999: h.getValueAtPercentile(99.9) };
  }

  // growing book: cost per command in windows as the number of orders per level grows
  {
    const s = streams[2];
    const book = new OrderBook(1 << 16);
    const sink = new BufferSink();
    const W = Math.round(100_000 * SCALE);
    const windows: string[] = [];
    for (let i = 0; i < s.cmds.length; i += W) {
      const t0 = process.hrtime.bigint();
      for (let j = i; j < Math.min(i + W, s.cmds.length); j++) book.apply(s.cmds[j], sink);
      const ns = Number(process.hrtime.bigint() - t0);
      windows.push(`${fmt(book.restingCount)} resting (~${fmt(book.restingCount / 8)}/level): ${((ns / W) | 0)} ns/cmd`);
    }
    console.log(`  growing book windows of ${fmt(W)} cmds:\n    ${windows.join("\n    ")}`);
  }

  // peer on stream (a)
  {
    console.log("peer run (nodejs-order-book) ...");
    const s = streams[0];
    const cap = Math.min(s.cmds.length, Math.round(400_000 * SCALE));
    const prefix = s.cmds.slice(0, cap);
    runPeer(prefix.slice(0, 100_000)); // warm-up
    const peer = runPeer(prefix);
    const ours = runEngine({ ...s, cmds: prefix });
    const ours2 = runEngine({ ...s, cmds: prefix });
    const mine = ours.opsPerSec > ours2.opsPerSec ? ours : ours2;
    const same = peer.trades === mine.sink.trades && peer.tradedQty === mine.sink.tradedQty;
    console.log(
      `peer nodejs-order-book on the first ${fmt(cap)} cmds of (a): ${fmt(peer.opsPerSec)} ops/s (${peer.ms.toFixed(0)} ms) vs engine ${fmt(mine.opsPerSec)} ops/s (${mine.ms.toFixed(0)} ms) -> ratio ${(mine.opsPerSec / peer.opsPerSec).toFixed(1)}x\n  trades peer ${peer.trades} / engine ${mine.sink.trades}; traded qty peer ${peer.tradedQty} / engine ${mine.sink.tradedQty}: ${same ? "SAME" : "DIFFERENT"}`,
    );
    if (!same) process.exitCode = 1;
  }

  // journal on (group commit, fdatasync before acknowledgement)
  {
    const n = Math.min(streams[0].cmds.length, Math.round(1_000_000 * SCALE));
    console.log("journaled runs (2) ...");
    const js = [await journaled(streams[0], n), await journaled(streams[0], n)];
    const j = js.reduce((a, b) => (a.opsPerSec > b.opsPerSec ? a : b));
    console.log(
      `journaled engine (file journal, group commit, fdatasync before ack) on ${fmt(n)} cmds of (a): ${fmt(j.opsPerSec)} ops/s (best of 2: ${js.map((x) => fmt(x.opsPerSec)).join(", ")}), ${j.groups} fsync groups (avg ${(n / j.groups).toFixed(0)} cmds/group)`,
    );
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) await main();
