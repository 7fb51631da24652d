import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, readFileSync, writeFileSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { MatchingEngine } from "../../../services/matching/src/engine.js";
import { FileJournal, JOURNAL_FILE_HEADER_BYTES } from "../../../services/matching/src/adapters/journal.file.js";
import { FileSnapshotStore } from "../../../services/matching/src/adapters/snapshot-store.file.js";
import { encodeCommand, decodeCommand } from "../../../services/matching/src/adapters/command.codec.js";
import { OrderBook } from "../../../services/matching/src/domain/order-book.js";
import { CollectingSink, NullSink } from "../../../services/matching/src/domain/events.js";
import { stateHash } from "../../../services/matching/src/domain/state-hash.js";
import type { Command } from "../../../services/matching/src/domain/commands.js";
import { seededCommands, seededListCommands } from "./support/seeded.js";
import { build, recipeArb } from "./support/recipes.js";

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "matching-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function uninterrupted(cmds: Command[]): OrderBook {
  const b = new OrderBook();
  const s = new NullSink();
  for (const c of cmds) b.apply(c, s);
  return b;
}
const open = (d: string, snapshotEvery = 0) =>
  MatchingEngine.open({ symbol: "T", journal: new FileJournal(d), snapshots: new FileSnapshotStore(d), snapshotEvery });

describe("command codec", () => {
  it("round-trips every generated command (including invalid ones) to identical events", () => {
    fc.assert(
      fc.property(fc.array(recipeArb, { maxLength: 80 }).map(build), (cmds) => {
        const buf = Buffer.alloc(256);
        const decoded = cmds.map((c) => decodeCommand(buf, 0, encodeCommand(c, buf, 0)));
        const a = new CollectingSink();
        const b = new CollectingSink();
        const ba = new OrderBook();
        const bb = new OrderBook();
        cmds.forEach((c) => ba.apply(c, a));
        decoded.forEach((c) => bb.apply(c, b));
        expect(b.take()).toEqual(a.take());
      }),
      { numRuns: 100 },
    );
  });
});

/** JSON with sorted keys and undefined-valued keys dropped (the codec does not keep key order or undefined keys). */
const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : typeof x === "number" && Object.is(x, -0) ? "-0" : x,
  );

describe("order lists in the journal", () => {
  it("a list command round-trips the codec to the same command and the same events", () => {
    const buf = Buffer.alloc(1024);
    const cmds = seededListCommands(17, 400);
    const lists = cmds.filter((c) => c.type === "PLACE_LIST" || c.type === "FUND_PENDING");
    expect(lists.filter((c) => c.type === "PLACE_LIST").length).toBeGreaterThan(20);
    expect(lists.filter((c) => c.type === "FUND_PENDING").length).toBeGreaterThan(10);
    for (const c of lists) expect(canon(decodeCommand(buf, 0, encodeCommand(c, buf, 0)))).toBe(canon(c));
    const a = new CollectingSink();
    const b = new CollectingSink();
    const ba = new OrderBook();
    const bb = new OrderBook();
    cmds.forEach((c) => ba.apply(c, a));
    cmds.forEach((c) => bb.apply(decodeCommand(buf, 0, encodeCommand(c, buf, 0)), b));
    const events = a.take();
    expect(b.take()).toEqual(events);
    // the stream exercises the contingencies: legs expired by a sibling and pending orders placed
    const flat = events.flatMap((x) => x.events);
    expect(flat.some((e) => e.kind === "ORDER_UPDATE" && e.orderId > 1_000_000 && e.status === "EXPIRED")).toBe(true);
    expect(flat.some((e) => e.kind === "TRADE" && e.makerOrderId > 1_000_000)).toBe(true);
    // pending orders funded after their working order filled, and others expired unfunded
    expect(events.some((x, i) => cmds[i]!.type === "FUND_PENDING" && x.events.some((e) => e.kind === "ACCEPTED"))).toBe(true);
    expect(events.some((x, i) => cmds[i]!.type === "FUND_PENDING" && x.events.some((e) => e.kind === "ORDER_UPDATE" && e.status === "EXPIRED"))).toBe(true);
  });

  it("malformed lists are journaled faithfully and rejected alike after decoding", () => {
    const buf = Buffer.alloc(1024);
    const cmds = [
      { type: "PLACE_LIST", ts: 5, contingency: "NOPE", orders: [] },
      { type: "PLACE_LIST", ts: -1, contingency: "OCO", orders: [{ orderId: 1, userId: 1, side: "SELL", orderType: "LIMIT_MAKER", price: 1.5, qty: 1, budget: 1 }] },
      { type: "PLACE_LIST", ts: 6, contingency: "OTO", orders: [{ orderId: 2 }, { orderId: 2 }] },
      { type: "FUND_PENDING", ts: 7, workingOrderId: 2, funded: true, budgets: [1.5, -1] },
      { type: "FUND_PENDING", ts: 8, funded: "yes", budgets: [] },
      { type: "FUND_PENDING", ts: 9, workingOrderId: 0, funded: false, budgets: [] },
    ] as unknown as Command[];
    const a = new CollectingSink();
    const b = new CollectingSink();
    const ba = new OrderBook();
    const bb = new OrderBook();
    for (const c of cmds) {
      const d = decodeCommand(buf, 0, encodeCommand(c, buf, 0));
      // an unknown contingency decodes to "?" (still unknown), as unknown enums do; so does a funded that is no boolean
      expect(canon(d)).toBe(canon(c).replace('"NOPE"', '"?"').replace('"yes"', '"?"'));
      ba.apply(c, a);
      bb.apply(d, b);
    }
    const events = a.take();
    expect(b.take()).toEqual(events);
    expect(events.every((x) => x.events.every((e) => e.kind === "REJECTED"))).toBe(true);
  });

  it("for many seeds: snapshots + journal replay of streams with lists == uninterrupted run", async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const d = path.join(dir, `lists-${seed}`);
      const cmds = seededListCommands(seed * 104_729, 300);
      const e = await open(d, 29 + seed);
      for (let i = 0; i < cmds.length; i += 19) await e.submitBatch(cmds.slice(i, i + 19));
      const live = e.stateHash();
      await e.close();
      const r = await open(d);
      expect(r.recovery.fromSnapshotSeq).toBeGreaterThan(0);
      expect(r.stateHash()).toBe(live);
      expect(r.stateHash()).toBe(stateHash(uninterrupted(cmds).state()));
      await r.close();
    }
  });
});

describe("command codec v2 (varints, raw f64 for anything else)", () => {
  it("decodes every generated command to an identical command (same fields, same values)", () => {
    fc.assert(
      fc.property(fc.array(recipeArb, { maxLength: 80 }).map(build), (cmds) => {
        const buf = Buffer.alloc(256);
        for (const c of cmds) expect(canon(decodeCommand(buf, 0, encodeCommand(c, buf, 0)))).toBe(canon(c));
      }),
      { numRuns: 100 },
    );
  });

  it("keeps edge values exactly: 0, -0, 2^31, 2^53-1, 2^53, negatives, fractions, NaN, infinities", () => {
    const buf = Buffer.alloc(256);
    const values = [0, -0, 1, 127, 128, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 60, -1, -3, 1.5, Number.NaN, Infinity, -Infinity];
    for (const v of values) {
      const cmds: Command[] = [
        { type: "PLACE", ts: v, orderId: v, userId: v, side: "BUY", orderType: "LIMIT", price: v, qty: v, budget: v, icebergQty: v, stp: "EXPIRE_BOTH" },
        { type: "AMEND", ts: 1, orderId: v, newQty: v, newPrice: v, budgetDelta: v },
        { type: "CANCEL_REPLACE", ts: v, cancelOrderId: v, mode: "ALLOW_FAILURE", order: { orderId: v, userId: 2, side: "SELL", orderType: "MARKET", quoteQty: v, budget: v }, budgetFromCanceled: v },
      ];
      for (const c of cmds) {
        const d = decodeCommand(buf, 0, encodeCommand(c, buf, 0));
        expect(canon(d)).toBe(canon(c));
        const n = (d as { ts: number }).ts;
        expect(Object.is(n, (c as { ts: number }).ts)).toBe(true);
      }
    }
  });

  it("invalid enum values decode to invalid values that the book rejects the same way", () => {
    const buf = Buffer.alloc(256);
    const cmds = [
      { type: "PLACE", ts: 1, orderId: 1, userId: 1, side: "UP", orderType: "LIMIT", price: 1, qty: 1, budget: 1 },
      { type: "SET_STATUS", ts: 1, status: "TRADING", cancelOnly: "true" },
      { type: "NOPE", ts: 3 },
      { type: "CANCEL", ts: 1, orderId: "7" },
    ] as unknown as Command[];
    const a = new CollectingSink();
    const b = new CollectingSink();
    const ba = new OrderBook();
    const bb = new OrderBook();
    for (const c of cmds) {
      ba.apply(c, a);
      bb.apply(decodeCommand(buf, 0, encodeCommand(c, buf, 0)), b);
    }
    expect(b.take()).toEqual(a.take());
    expect(bb.cancelOnly).toBe(ba.cancelOnly);
  });
});

describe("file journal v2", () => {
  it("pipelined appends (called before the previous one resolved) land in call order", async () => {
    const j = new FileJournal(dir);
    await j.replay(0, () => {});
    const cmds = seededCommands(11, 500);
    const parts: Promise<void>[] = [];
    for (let i = 0; i < cmds.length; i += 37) parts.push(j.append(cmds.slice(i, i + 37).map((cmd, k) => ({ seq: i + k + 1, cmd }))));
    await Promise.all(parts);
    await j.close();
    const seen: number[] = [];
    const r = await new FileJournal(dir).replay(0, (rec) => {
      seen.push(rec.seq);
      expect(canon(rec.cmd)).toBe(canon(cmds[rec.seq - 1]));
    });
    expect(r.truncatedBytes).toBe(0);
    expect(seen).toEqual(cmds.map((_, i) => i + 1));
  });

  it("refuses (and does not truncate) a file with an unknown header", async () => {
    const file = path.join(dir, "journal.log");
    writeFileSync(file, Buffer.from("some other journal format, not ours"));
    await expect(new FileJournal(dir).replay(0, () => {})).rejects.toThrow("unknown header");
    expect(statSync(file).size).toBe(35);
  });

  it("a torn file header (crash during the very first write) counts as empty", async () => {
    const file = path.join(dir, "journal.log");
    writeFileSync(file, Buffer.from("MJRN"));
    const e = await open(dir);
    expect(e.recovery.truncatedBytes).toBe(4);
    expect(e.lastSeq).toBe(0);
    await e.submit({ type: "CANCEL_ALL", ts: 1, userId: 1 });
    await e.close();
    const r = await open(dir);
    expect(r.lastSeq).toBe(1);
    await r.close();
  });
});

describe("engine: journal-then-apply, snapshots, recovery", () => {
  it("acks carry gap-free seqs and events; a restart rebuilds the same state and last seq", async () => {
    const cmds = seededCommands(7, 400);
    const e = await open(dir);
    const batches = (await Promise.all([e.submitBatch(cmds.slice(0, 150)), e.submitBatch(cmds.slice(150, 300)), ...cmds.slice(300).map((c) => e.submit(c))])).flat();
    expect(batches.map((b) => b.seq)).toEqual(cmds.map((_, i) => i + 1));
    const hash = e.stateHash();
    await e.close();
    const r = await open(dir);
    expect(r.lastSeq).toBe(cmds.length);
    expect(r.stateHash()).toBe(hash);
    expect(r.stateHash()).toBe(stateHash(uninterrupted(cmds).state()));
    await r.close();
  });

  it("for many seeds: snapshot + journal tail replay == uninterrupted run", async () => {
    for (let seed = 1; seed <= 25; seed++) {
      const d = path.join(dir, String(seed));
      const cmds = seededCommands(seed * 7919, 300);
      const e = await open(d, 37 + seed); // periodic snapshots at varying points
      for (let i = 0; i < cmds.length; i += 23) await e.submitBatch(cmds.slice(i, i + 23));
      await e.close();
      const r = await open(d);
      expect(r.recovery.fromSnapshotSeq).toBeGreaterThan(0);
      expect(r.recovery.fromSnapshotSeq + r.recovery.replayed).toBe(cmds.length);
      expect(r.lastSeq).toBe(cmds.length);
      expect(r.stateHash()).toBe(stateHash(uninterrupted(cmds).state()));
      // the engine keeps going after recovery with the next seq
      const [b] = await r.submitBatch([{ type: "CANCEL_ALL", ts: 1, userId: 1 }]);
      expect(b.seq).toBe(cmds.length + 1);
      await r.close();
    }
  });

  it("a torn tail (record cut mid-way) is detected, cut, never applied", async () => {
    const cmds = seededCommands(3, 120).slice(0, 120);
    const e = await open(dir);
    await e.submitBatch(cmds.slice(0, 100));
    await e.submitBatch(cmds.slice(100, 101));
    await e.close();
    const file = path.join(dir, "journal.log");
    const full = statSync(file).size;
    truncateSync(file, full - 5); // cut inside the last record
    const r = await open(dir);
    expect(r.recovery.truncatedBytes).toBeGreaterThan(0);
    expect(r.lastSeq).toBe(100);
    expect(r.stateHash()).toBe(stateHash(uninterrupted(cmds.slice(0, 100)).state()));
    // new appends continue from 101 on a clean file
    await r.submitBatch(cmds.slice(100, 120));
    await r.close();
    const again = await open(dir);
    expect(again.lastSeq).toBe(120);
    expect(again.stateHash()).toBe(stateHash(uninterrupted(cmds).state()));
    await again.close();
  });

  it("a flipped byte in the tail fails the checksum: that record and the rest are cut", async () => {
    const cmds = seededCommands(4, 60).slice(0, 60);
    const e = await open(dir);
    await e.submitBatch(cmds.slice(0, 50));
    await e.submitBatch(cmds.slice(50, 60));
    await e.close();
    const file = path.join(dir, "journal.log");
    const bytes = readFileSync(file);
    // find the offset of record 51 by walking the framing (after the file header)
    let off = JOURNAL_FILE_HEADER_BYTES;
    for (let i = 0; i < 50; i++) off += 8 + bytes.readUInt32LE(off);
    bytes[off + 8 + 10] ^= 0x40; // flip a bit inside record 51's payload
    writeFileSync(file, bytes);
    const r = await open(dir);
    expect(r.lastSeq).toBe(50);
    expect(r.recovery.truncatedBytes).toBe(bytes.length - off);
    expect(r.stateHash()).toBe(stateHash(uninterrupted(cmds.slice(0, 50)).state()));
    await r.close();
  });

  it("pipelined groups: applied and acknowledged strictly in order, each only once durable; a failed append fails it and everything after", async () => {
    type Deferred = { resolve: () => void; reject: (e: unknown) => void; seqs: number[] };
    const calls: Deferred[] = [];
    const journal = {
      pipelined: true,
      replay: () => Promise.resolve({ lastSeq: 0, replayed: 0, truncatedBytes: 0 }),
      append: (recs: readonly { seq: number }[]) => {
        const seqs = recs.map((r) => r.seq);
        return new Promise<void>((resolve, reject) => calls.push({ resolve, reject, seqs }));
      },
      close: () => Promise.resolve(),
    };
    const e = await MatchingEngine.open({ symbol: "T", journal });
    const cmds = seededCommands(5, 40);
    const acked: number[] = [];
    const a = e.submitBatch(cmds.slice(0, 10)).then((b) => acked.push(...b.map((x) => x.seq)));
    const b = e.submitBatch(cmds.slice(10, 20)).then((x) => acked.push(...x.map((y) => y.seq)));
    const c = e.submitBatch(cmds.slice(20, 30));
    const cSettled = c.then(
      () => "ok",
      (err: Error) => err.message,
    );
    // two groups in flight (a, b), c queued
    expect(calls.map((x) => x.seqs[0])).toEqual([1, 11]);
    calls[1].resolve(); // b durable before a: nothing applied yet
    await new Promise((r) => setImmediate(r));
    expect(e.lastSeq).toBe(0);
    expect(acked).toEqual([]);
    calls[0].resolve();
    await a;
    await b;
    expect(acked).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(e.lastSeq).toBe(20);
    // c started once a was done; it fails: not applied, rejected, and the engine refuses further work
    expect(calls.length).toBe(3);
    expect(calls[2].seqs).toEqual(Array.from({ length: 10 }, (_, i) => i + 21));
    calls[2].reject(new Error("disk gone"));
    expect(await cSettled).toBe("disk gone");
    expect(e.lastSeq).toBe(20);
    await expect(e.submit(cmds[30])).rejects.toThrow("disk gone");
    expect(e.stateHash()).toBe(stateHash(uninterrupted(cmds.slice(0, 20)).state()));
  });

  it("rejects malformed commands before journaling", async () => {
    const e = await open(dir);
    await expect(e.submit({ type: "CANCEL_REPLACE", ts: 1, cancelOrderId: 1 } as unknown as Command)).rejects.toThrow("malformed");
    expect(e.lastSeq).toBe(0);
    await e.close();
  });
});
