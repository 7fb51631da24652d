import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FileObjectStore } from "#kit/adapters/object-store.file.js";
import type { EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { listSegments } from "../../../services/matching/src/adapters/journal.file.js";
import { FileSnapshotStore } from "../../../services/matching/src/adapters/snapshot-store.file.js";
import { SymbolBooks } from "../../../services/matching/src/symbol-books.js";
import { seededMessages } from "./support/messages.js";

// Embedded mode's archive (a directory through the kit's object store): a node whose disk is gone restores the
// symbol from the archive and reaches the same state, sequence, account names and event stream.

const SYMBOL = "ETHUSDT";
let root = "";
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "matching-archive-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

async function eventsOf(books: SymbolBooks, from: number, to: number): Promise<EventBatch[]> {
  const abort = new AbortController();
  const out: EventBatch[] = [];
  for await (const batch of books.events(SYMBOL, from, abort.signal)) {
    out.push(batch);
    if (Number(batch.sequence) >= to) abort.abort();
  }
  return out;
}

describe("matching's journal archive (directory object store)", () => {
  it("a node with an empty disk restores from the archive to the same state hash, accounts and events", async () => {
    const objects = new FileObjectStore({ dir: path.join(root, "objects") });
    const messages = seededMessages(42, 400, SYMBOL);
    const dataDir = path.join(root, "node-a");
    const a = new SymbolBooks({ dataDir, snapshotEvery: 60, archive: { objects } });
    for (let i = 0; i < messages.length; i += 20) await a.submitBatch(SYMBOL, messages.slice(i, i + 20));
    const before = await a.state(SYMBOL);
    expect(before.sequence).toBe(400);
    const tailEvents = await eventsOf(a, 381, 400);
    await a.close(); // a clean stop: snapshot, roll, the last segment archived

    // local retention: a closed segment wholly before the oldest local snapshot is deleted once archived
    const segments = await listSegments(path.join(dataDir, SYMBOL, "journal"));
    const oldestSnapshot = Math.min(...(await new FileSnapshotStore(path.join(dataDir, SYMBOL, "snapshots")).list()));
    expect(segments[0].first).toBeLessThanOrEqual(oldestSnapshot + 1);
    expect(segments.length > 1 ? segments[1].first - 1 : Infinity).toBeGreaterThan(oldestSnapshot);
    const archived = (await objects.list(`matching/${SYMBOL}/journal/`)).items.map((item) => item.key.slice(-37));
    // the archive holds every closed segment, from seq 1, without a gap
    expect(archived[0].startsWith("0000000000000001-")).toBe(true);
    for (let k = 1; k < archived.length; k++) expect(Number(archived[k].slice(0, 16))).toBe(Number(archived[k - 1].slice(17, 33)) + 1);
    expect(archived[archived.length - 1]).toMatch(/-0000000000000400\.seg$/);

    rmSync(dataDir, { recursive: true, force: true }); // the disk is lost
    const b = new SymbolBooks({ dataDir: path.join(root, "node-b"), snapshotEvery: 60, archive: { objects } });
    expect(await b.state(SYMBOL)).toEqual(before);
    // the events re-derived from the restored journal name the same accounts, byte for byte
    expect(await eventsOf(b, 381, 400)).toEqual(tailEvents);
    // and the node goes on with the next sequence; a retried placement of an archived order is a duplicate
    const [next] = await b.submitBatch(SYMBOL, seededMessages(43, 1, SYMBOL, 10_000));
    expect(typeof next === "object" && "sequence" in next ? next.sequence : next).toBe(401n);
    const place = messages.findLast((m) => m.kind.case === "place")!;
    expect(await b.submitBatch(SYMBOL, [place])).toEqual(["duplicate"]);
    await b.close();
  });

  it("an archived object whose bytes do not match its checksum is refused, and nothing opens", async () => {
    const objects = new FileObjectStore({ dir: path.join(root, "objects") });
    const a = new SymbolBooks({ dataDir: path.join(root, "node-a"), snapshotEvery: 50, archive: { objects } });
    const messages = seededMessages(7, 120, SYMBOL);
    for (let i = 0; i < messages.length; i += 30) await a.submitBatch(SYMBOL, messages.slice(i, i + 30));
    await a.close();
    const { items } = await objects.list(`matching/${SYMBOL}/snapshots/`);
    const key = items[items.length - 1].key;
    const stored = (await objects.get(key))!;
    await objects.put(key, Buffer.from(Buffer.from(stored.body).toString("utf8").replace(/"seq":\d+/, '"seq":1')), { metadata: stored.metadata });
    const b = new SymbolBooks({ dataDir: path.join(root, "node-b"), archive: { objects } });
    await expect(b.state(SYMBOL)).rejects.toThrow("does not match its checksum");
    await b.close();
  });
});
