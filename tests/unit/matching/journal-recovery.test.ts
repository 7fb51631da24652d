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
import { seededCommands } from "./support/seeded.js";
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

  it("rejects malformed commands before journaling", async () => {
    const e = await open(dir);
    await expect(e.submit({ type: "CANCEL_REPLACE", ts: 1, cancelOrderId: 1 } as unknown as Command)).rejects.toThrow("malformed");
    expect(e.lastSeq).toBe(0);
    await e.close();
  });
});
