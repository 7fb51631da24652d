import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, readdirSync, statSync, appendFileSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Partitioners } from "kafkajs";
import { FileEventLog } from "#kit/adapters/event-log.file.js";
import { eventLogContract, waitFor } from "#kit/ports/event-log.contract.js";
import { partitionForKey, type EventLog, type LogRecord } from "#kit/ports/event-log.port.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "event-log-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

eventLogContract("file", () => {
  const dir = tempDir();
  let n = 0;
  return {
    open: async () => new FileEventLog({ dir, pollMs: 50, retryMs: 20 }),
    name: (base) => `${base}-${n++}`,
  };
});

/** every record of a topic, read through a fresh consumer group */
async function readAll(log: EventLog, topic: string): Promise<LogRecord[]> {
  const end = await log.endOffsets(topic);
  const total = end.reduce((a, b) => a + Number(b), 0);
  const got: LogRecord[] = [];
  const sub = await log.subscribe({ group: `read-${Math.random()}`, topics: [topic], handler: async (rs) => void got.push(...rs) });
  await waitFor(() => got.length >= total, 10_000, `${total} records`);
  await sub.close();
  return got;
}

const segmentFiles = (dir: string, topic: string, p: number) =>
  readdirSync(path.join(dir, "topics", topic, String(p)))
    .sort()
    .map((f) => path.join(dir, "topics", topic, String(p), f));

describe("partitionForKey", () => {
  it("matches kafkajs's DefaultPartitioner (Java client murmur2) for keyed records", () => {
    const partitioner = Partitioners.DefaultPartitioner();
    for (const n of [1, 2, 3, 12, 64]) {
      const partitionMetadata = Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 0, partitionErrorCode: 0, replicas: [0], isr: [0] }));
      for (const key of ["", "a", "ab", "abc", "abcd", "BTCUSDT", "ETHUSDT", "acct-123456", "ключ", "🙂x"]) {
        const expected = partitioner({ topic: "t", partitionMetadata, message: { key, value: null } });
        expect(partitionForKey(key, n), `${key} / ${n}`).toBe(expected);
      }
    }
  });
});

describe("FileEventLog on disk", () => {
  it("truncates a torn tail on open and continues the offsets after it", async () => {
    const dir = tempDir();
    let log = new FileEventLog({ dir });
    await log.ensureTopics([{ name: "t", partitions: 1 }]);
    await log.append("t", Array.from({ length: 10 }, (_, i) => ({ key: "k", value: new TextEncoder().encode(`r${i}`) })));
    await log.close();
    const [segment] = segmentFiles(dir, "t", 0);
    const intact = statSync(segment).size;
    truncateSync(segment, intact - 3); // the last record lost its final bytes
    appendFileSync(segment, Buffer.from([1, 2])); // plus some garbage
    log = new FileEventLog({ dir });
    expect(await log.endOffsets("t")).toEqual([9n]);
    expect(statSync(segment).size).toBeLessThan(intact - 3);
    expect((await log.append("t", [{ key: "k", value: new TextEncoder().encode("after") }]))[0].offset).toBe(9n);
    const all = await readAll(log, "t");
    expect(all.map((r) => new TextDecoder().decode(r.value))).toEqual([...Array.from({ length: 9 }, (_, i) => `r${i}`), "after"]);
    await log.close();
  });

  it("drops a record whose checksum does not match, and everything after it", async () => {
    const dir = tempDir();
    let log = new FileEventLog({ dir });
    await log.ensureTopics([{ name: "t", partitions: 1 }]);
    for (let i = 0; i < 5; i++) await log.append("t", [{ key: "k", value: new TextEncoder().encode(`payload-${i}`) }]);
    await log.close();
    const [segment] = segmentFiles(dir, "t", 0);
    const size = statSync(segment).size;
    const fd = await import("node:fs/promises").then((m) => m.open(segment, "r+"));
    await fd.write(Buffer.from("X"), 0, 1, Math.floor((size * 3) / 5) + 35); // inside record 3's value bytes
    await fd.close();
    log = new FileEventLog({ dir });
    const end = (await log.endOffsets("t"))[0];
    expect(end).toBe(3n);
    await log.close();
  });

  it("rolls segments and reads across them after reopening", async () => {
    const dir = tempDir();
    let log = new FileEventLog({ dir, segmentBytes: 200 });
    await log.ensureTopics([{ name: "t", partitions: 1 }]);
    for (let i = 0; i < 30; i++) await log.append("t", [{ key: "k", value: new TextEncoder().encode(`record-${i}`) }]);
    await log.close();
    expect(segmentFiles(dir, "t", 0).length).toBeGreaterThan(3);
    log = new FileEventLog({ dir, segmentBytes: 200 });
    const all = await readAll(log, "t");
    expect(all.map((r) => Number(r.offset))).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new TextDecoder().decode(all[29].value)).toBe("record-29");
    await log.close();
  });

  it("keeps every acknowledged record exactly once and in order after kill -9 during appends", async () => {
    const dir = tempDir();
    const writer = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "event-log-writer.ts");
    const child = spawn(process.execPath, ["--import", "tsx", writer, dir], { stdio: ["ignore", "pipe", "pipe"] });
    const acked: { i: number; partition: number; offset: number }[] = [];
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let buffered = "";
    child.stdout.on("data", (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        const [tag, i, partition, offset] = line.split(" ");
        if (tag === "ack") acked.push({ i: Number(i), partition: Number(partition), offset: Number(offset) });
      }
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
    await waitFor(() => acked.length >= 400 || child.exitCode !== null, 20_000, "400 acks");
    expect(child.exitCode, stderr).toBeNull();
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const log = new FileEventLog({ dir });
    const all = await readAll(log, "kill");
    await log.close();
    const values = all.map((r) => ({ i: Number(new TextDecoder().decode(r.value)), key: r.key, partition: r.partition, offset: Number(r.offset) }));
    // exactly once: no value twice
    expect(new Set(values.map((v) => v.i)).size).toBe(values.length);
    // every acknowledged record is there, at the offset it was acknowledged with
    const byI = new Map(values.map((v) => [v.i, v]));
    for (const a of acked) {
      const found = byI.get(a.i);
      expect(found, `acked record ${a.i}`).toBeDefined();
      expect([found!.partition, found!.offset]).toEqual([a.partition, a.offset]);
    }
    // in order: per partition, offsets are 0..n-1 and values increase (the writer appends in increasing i)
    for (const p of [0, 1, 2]) {
      const mine = values.filter((v) => v.partition === p);
      expect(mine.map((v) => v.offset)).toEqual(mine.map((_, k) => k));
      for (let k = 1; k < mine.length; k++) expect(mine[k].i).toBeGreaterThan(mine[k - 1].i);
      for (const v of mine) expect(partitionForKey(v.key, 3)).toBe(p);
    }
    expect(values.length).toBeGreaterThanOrEqual(acked.length);
  });
});
