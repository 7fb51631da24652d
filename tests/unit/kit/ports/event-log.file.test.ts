import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, readdirSync, statSync, appendFileSync, truncateSync, utimesSync } from "node:fs";
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

  it("retention deletes the closed segments every group committed past; a restart goes on from the oldest left", async () => {
    const dir = tempDir();
    const text = (r: LogRecord) => new TextDecoder().decode(r.value);
    const append = async (log: EventLog, from: number, to: number) => {
      for (let i = from; i < to; i++) await log.append("t", [{ key: "k", value: new TextEncoder().encode(`record-${i}`) }]);
    };
    let log = new FileEventLog({ dir, segmentBytes: 200, pollMs: 20 });
    await log.ensureTopics([{ name: "t", partitions: 1 }]);
    await append(log, 0, 30);
    const segments = segmentFiles(dir, "t", 0).length;
    expect(segments).toBeGreaterThan(3);
    // Nobody has read the topic: everything stays.
    expect(await log.enforceRetention()).toBe(0);

    const a: string[] = [];
    const b: string[] = [];
    const first = await log.subscribe({ group: "a", topics: ["t"], handler: async (rs) => void a.push(...rs.map(text)) });
    await waitFor(() => a.length >= 30, 10_000, "group a");
    await first.close();
    // Group b is live and behind: what it has not read stays, while a subscription of it runs and after.
    let held = true;
    const slow = await log.subscribe({ group: "b", topics: ["t"], handler: async (rs) => {
      b.push(...rs.map(text));
      if (held) throw new Error("not yet");
    } });
    await waitFor(() => b.length > 0, 10_000, "group b's first batch");
    expect(await log.enforceRetention()).toBe(0);
    held = false;
    await waitFor(async () => (await log.committedOffsets("b", "t"))[0] === 30n, 10_000, "group b's commit");
    await slow.close();
    // Both past every closed segment: all of them go, the open one stays.
    expect(await log.enforceRetention()).toBe(segments - 1);
    expect(segmentFiles(dir, "t", 0)).toHaveLength(1);
    await log.close();

    // After a restart the offsets go on, each group resumes where it was, a new group starts at the oldest left.
    log = new FileEventLog({ dir, segmentBytes: 200, pollMs: 20 });
    const oldest = Number(path.basename(segmentFiles(dir, "t", 0)[0]!, ".log"));
    expect(oldest).toBeGreaterThan(0);
    expect(await log.endOffsets("t")).toEqual([30n]);
    await append(log, 30, 32);
    const resumed: LogRecord[] = [];
    const again = await log.subscribe({ group: "a", topics: ["t"], handler: async (rs) => void resumed.push(...rs) });
    await waitFor(() => resumed.length >= 2, 10_000, "group a resumed");
    await again.close();
    expect(resumed.map(text)).toEqual(["record-30", "record-31"]);
    const fresh: LogRecord[] = [];
    const newcomer = await log.subscribe({ group: "new", topics: ["t"], handler: async (rs) => void fresh.push(...rs) });
    await waitFor(() => fresh.length >= 32 - oldest, 10_000, "the records left");
    await newcomer.close();
    expect(fresh.map((r) => Number(r.offset))).toEqual(Array.from({ length: 32 - oldest }, (_, i) => oldest + i));
    await log.close();
  });

  it("retention deletes segments older than retentionMs unread, and does not wait for a group idle that long", async () => {
    const hour = 60 * 60 * 1000;
    const past = new Date(Date.now() - 2 * hour);
    const fill = async (dir: string) => {
      const log = new FileEventLog({ dir, segmentBytes: 200, retentionMs: hour, maxBatch: 1 });
      await log.ensureTopics([{ name: "t", partitions: 1 }]);
      for (let i = 0; i < 30; i++) await log.append("t", [{ key: "k", value: new TextEncoder().encode(`record-${i}`) }]);
      return log;
    };

    // Nobody reads: the two segments written two hours ago go, the others stay.
    const unread = tempDir();
    await (await fill(unread)).close();
    const files = segmentFiles(unread, "t", 0);
    for (const file of files.slice(0, 2)) utimesSync(file, past, past);
    let log = new FileEventLog({ dir: unread, segmentBytes: 200, retentionMs: hour });
    expect(await log.enforceRetention()).toBe(2);
    expect(segmentFiles(unread, "t", 0)).toEqual(files.slice(2));
    await log.close();

    // A group that read one record and has not committed for two hours holds nothing back from one that read all.
    const idle = tempDir();
    log = await fill(idle);
    let taken = 0;
    const stale = await log.subscribe({ group: "stale", topics: ["t"], handler: async () => {
      if (taken++ > 0) throw new Error("stops after one record");
    } });
    await waitFor(async () => (await log.committedOffsets("stale", "t"))[0] === 1n, 10_000, "the stale group's commit");
    await stale.close();
    const all = await log.subscribe({ group: "live", topics: ["t"], handler: async () => undefined });
    await waitFor(async () => (await log.committedOffsets("live", "t"))[0] === 30n, 10_000, "the live group's commit");
    await all.close();
    const closed = segmentFiles(idle, "t", 0).length - 1;
    expect(await log.enforceRetention()).toBe(0); // both count while the stale one is recent
    utimesSync(path.join(idle, "groups", "stale.json"), past, past);
    expect(await log.enforceRetention()).toBe(closed);
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
