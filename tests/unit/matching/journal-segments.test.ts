import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FileJournal, JOURNAL_FILE_HEADER_BYTES, listSegments } from "../../../services/matching/src/adapters/journal.file.js";
import { FileSnapshotStore } from "../../../services/matching/src/adapters/snapshot-store.file.js";
import { NullSink } from "../../../services/matching/src/domain/events.js";
import { OrderBook } from "../../../services/matching/src/domain/order-book.js";
import { stateHash } from "../../../services/matching/src/domain/state-hash.js";
import { MatchingEngine } from "../../../services/matching/src/engine.js";
import { seededCommands } from "./support/seeded.js";

// The file journal in segments: roll() closes one (after everything before it is durable), replay crosses them,
// skips the ones wholly before the point asked for, and refuses damage anywhere but the last segment's tail.

let dir = "";
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "matching-segments-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const records = (from: number, count: number, cmds = seededCommands(9, 400)) => Array.from({ length: count }, (_, i) => ({ seq: from + i, cmd: cmds[from + i - 1] }));

describe("file journal segments", () => {
  it("roll() closes the segment; appends made before and after it replay in order across segments", async () => {
    const j = new FileJournal(dir);
    await j.replay(0, () => {});
    const first = j.append(records(1, 50));
    const closed = j.roll(); // called while the first append is in flight: it closes after it
    const second = j.append(records(51, 30));
    await Promise.all([first, second]);
    expect(await closed).toEqual({ file: path.join(dir, "journal.log"), first: 1, last: 50 });
    expect(await j.roll()).toEqual({ file: path.join(dir, "journal-0000000000000051.log"), first: 51, last: 80 });
    expect(await j.roll()).toBeNull(); // the new segment is empty: nothing to close
    await j.append(records(81, 5));
    await j.close();
    expect((await listSegments(dir)).map((s) => s.first)).toEqual([1, 51, 81]);

    const seen: number[] = [];
    const r = await new FileJournal(dir).replay(0, (rec) => seen.push(rec.seq));
    expect(r.lastSeq).toBe(85);
    expect(seen).toEqual(Array.from({ length: 85 }, (_, i) => i + 1));
    const tail: number[] = [];
    const after = await new FileJournal(dir).replay(60, (rec) => tail.push(rec.seq));
    expect(after.replayed).toBe(25);
    expect(tail[0]).toBe(61);
  });

  it("a journal whose oldest segments are gone replays from where it starts, and refuses earlier points", async () => {
    const j = new FileJournal(dir);
    await j.append(records(1, 40));
    await j.roll();
    await j.append(records(41, 40));
    await j.close();
    rmSync(path.join(dir, "journal.log"));
    const again = new FileJournal(dir);
    expect(await again.firstSeq()).toBe(41);
    await expect(again.replay(10, () => {})).rejects.toThrow("starts at seq 41");
    const r = await again.replay(40, () => {});
    expect(r).toEqual({ lastSeq: 80, replayed: 40, truncatedBytes: 0 });
  });

  it("damage in a closed segment is refused and left as it is; in the last one it is cut", async () => {
    const j = new FileJournal(dir);
    await j.append(records(1, 20));
    await j.roll();
    await j.append(records(21, 20));
    await j.close();
    const closed = path.join(dir, "journal.log");
    const bytes = readFileSync(closed);
    bytes[JOURNAL_FILE_HEADER_BYTES + 8 + 3] ^= 0x10;
    writeFileSync(closed, bytes);
    await expect(new FileJournal(dir).replay(0, () => {})).rejects.toThrow("closed segment");
    expect(readFileSync(closed).length).toBe(bytes.length);
  });

  it("the engine rolls the journal after each snapshot; recovery from the last snapshot equals an uninterrupted run", async () => {
    const cmds = seededCommands(31, 600);
    const open = () => MatchingEngine.open({ symbol: "T", journal: new FileJournal(dir), snapshots: new FileSnapshotStore(path.join(dir, "snap")), snapshotEvery: 100 });
    const e = await open();
    for (let i = 0; i < cmds.length; i += 25) await e.submitBatch(cmds.slice(i, i + 25));
    await e.close();
    // A snapshot is skipped while the previous one is written (how many depends on the disk and the load), and the
    // journal rolls after each one written: one segment more than snapshots.
    const saved = await new FileSnapshotStore(path.join(dir, "snap")).list();
    expect(saved.length).toBeGreaterThanOrEqual(2);
    const segments = readdirSync(dir).filter((n) => n.startsWith("journal"));
    expect(segments.length).toBeGreaterThanOrEqual(saved.length);
    const r = await open();
    expect(r.recovery.fromSnapshotSeq).toBe(Math.max(...saved));
    const book = new OrderBook();
    const sink = new NullSink();
    for (const c of cmds) book.apply(c, sink);
    expect(r.lastSeq).toBe(cmds.length);
    expect(r.stateHash()).toBe(stateHash(book.state()));
    await r.close();
  });
});
