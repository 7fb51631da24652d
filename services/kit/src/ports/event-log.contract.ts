/**
 * The one contract suite every EventLog adapter passes (tests/unit for the file adapter, tests/integration for Kafka).
 * `harness.open()` must return a fresh instance on the same underlying storage (same directory / same brokers), so
 * closing and reopening models a process restart. Topic and group names come from `harness.name()` and are unique
 * per run.
 */
import { describe, it, expect, afterEach } from "vitest";
import { partitionForKey, type EventLog, type LogRecord, type Subscription } from "./event-log.port.js";

export interface EventLogHarness {
  open(): Promise<EventLog>;
  /** a unique topic/group name for this run */
  name(base: string): string;
}

const text = new TextEncoder();
const untext = new TextDecoder();
const value = (s: string) => text.encode(s);
const str = (r: LogRecord) => untext.decode(r.value);

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** keys that land in distinct partitions of an n-partition topic */
export function keysForPartitions(n: number, prefix = "key"): string[] {
  const keys: string[] = [];
  for (let i = 0; keys.length < n; i++) {
    const key = `${prefix}-${i}`;
    if (partitionForKey(key, n) === keys.length) keys.push(key);
  }
  return keys;
}

export function eventLogContract(engine: string, makeHarness: () => EventLogHarness): void {
  describe(`EventLog contract: ${engine}`, () => {
    const opened: EventLog[] = [];
    const subs: Subscription[] = [];
    let harness: EventLogHarness;

    async function open(): Promise<EventLog> {
      harness ??= makeHarness();
      const log = await harness.open();
      opened.push(log);
      return log;
    }

    afterEach(async () => {
      for (const s of subs.splice(0)) await s.close();
      for (const l of opened.splice(0)) await l.close();
    });

    it("creates topics idempotently and places each key with partitionForKey, offsets consecutive per partition", async () => {
      harness = makeHarness();
      const log = await open();
      const topic = harness.name("place");
      await log.ensureTopics([{ name: topic, partitions: 3 }]);
      await log.ensureTopics([{ name: topic, partitions: 3 }]);
      expect(await log.endOffsets(topic)).toEqual([0n, 0n, 0n]);
      const keys = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT"];
      const results = await log.append(
        topic,
        Array.from({ length: 20 }, (_, i) => ({ key: keys[i % keys.length], value: value(`v${i}`) })),
      );
      expect(results).toHaveLength(20);
      const next = [0n, 0n, 0n];
      results.forEach((r, i) => {
        expect(r.partition).toBe(partitionForKey(keys[i % keys.length], 3));
        expect(r.offset).toBe(next[r.partition]);
        next[r.partition]++;
      });
      expect(await log.endOffsets(topic)).toEqual(next);
      expect(await log.committedOffsets(harness.name("nobody"), topic)).toEqual([-1n, -1n, -1n]);
    });

    it("delivers every record once per group, in order per key, with key, value bytes, headers and offsets intact", async () => {
      harness = makeHarness();
      const log = await open();
      const topic = harness.name("order");
      await log.ensureTopics([{ name: topic, partitions: 2 }]);
      const [k0, k1] = keysForPartitions(2);
      const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      // appends in flight at the same time still keep their call order per key
      const sent: { key: string; v: string }[] = [];
      const appends: Promise<unknown>[] = [];
      for (let batch = 0; batch < 6; batch++) {
        const records = Array.from({ length: 5 }, (_, i) => {
          const key = (batch + i) % 2 === 0 ? k0 : k1;
          const v = `${key}:${batch * 5 + i}`;
          sent.push({ key, v });
          return { key, value: value(v), headers: { traceparent, "x-batch": String(batch) } };
        });
        appends.push(log.append(topic, records));
      }
      await Promise.all(appends);
      const binary = new Uint8Array([0, 255, 1, 128, 10, 13]);
      await log.append(topic, [{ key: k1, value: binary }]);

      const got: LogRecord[] = [];
      const group = harness.name("g-order");
      subs.push(await log.subscribe({ group, topics: [topic], handler: async (rs) => void got.push(...rs) }));
      await waitFor(() => got.length >= 31, 30_000, "31 records");
      await new Promise((r) => setTimeout(r, 300)); // nothing extra arrives
      expect(got).toHaveLength(31);

      for (const key of [k0, k1]) {
        const mine = got.filter((r) => r.key === key);
        const expected = sent.filter((s) => s.key === key).map((s) => s.v);
        expect(mine.filter((r) => r.headers["x-batch"] !== undefined).map(str)).toEqual(expected);
        for (const r of mine) expect(r.partition).toBe(partitionForKey(key, 2));
        const offsets = mine.map((r) => r.offset);
        expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)));
      }
      const first = got.find((r) => r.key === k0)!;
      expect(first.topic).toBe(topic);
      expect(first.headers.traceparent).toBe(traceparent);
      expect(Math.abs(first.timestamp - Date.now())).toBeLessThan(60_000);
      const last = got.filter((r) => r.key === k1).at(-1)!;
      expect([...last.value]).toEqual([...binary]);
      expect(last.headers).toEqual({});

      await waitFor(async () => {
        const committed = await log.committedOffsets(group, topic);
        const end = await log.endOffsets(topic);
        return committed.every((c, p) => c === end[p]);
      }, 10_000, "commits");
    });

    it("spreads two keys over two partitions; each partition is consumed independently", async () => {
      harness = makeHarness();
      const log = await open();
      const topic = harness.name("two");
      await log.ensureTopics([{ name: topic, partitions: 2 }]);
      const [k0, k1] = keysForPartitions(2, "acct");
      const r = await log.append(topic, [
        { key: k0, value: value("a0") },
        { key: k1, value: value("b0") },
        { key: k0, value: value("a1") },
        { key: k1, value: value("b1") },
      ]);
      expect(r.map((x) => x.partition)).toEqual([0, 1, 0, 1]);
      expect(r.map((x) => x.offset)).toEqual([0n, 0n, 1n, 1n]);
      expect(await log.endOffsets(topic)).toEqual([2n, 2n]);
      const batches: LogRecord[][] = [];
      subs.push(await log.subscribe({ group: harness.name("g-two"), topics: [topic], handler: async (rs) => void batches.push([...rs]) }));
      await waitFor(() => batches.flat().length >= 4, 30_000, "4 records");
      for (const b of batches) expect(new Set(b.map((x) => x.partition)).size).toBe(1); // a batch is one partition
      const p0 = batches.flat().filter((x) => x.partition === 0);
      const p1 = batches.flat().filter((x) => x.partition === 1);
      expect(p0.map(str)).toEqual(["a0", "a1"]);
      expect(p1.map(str)).toEqual(["b0", "b1"]);
      expect(p0.every((x) => x.key === k0) && p1.every((x) => x.key === k1)).toBe(true);
    });

    it("retries a batch whose handler throws, then commits it", async () => {
      harness = makeHarness();
      const log = await open();
      const topic = harness.name("retry");
      await log.ensureTopics([{ name: topic, partitions: 1 }]);
      await log.append(topic, [0, 1, 2].map((i) => ({ key: "k", value: value(`r${i}`) })));
      const seen: string[] = [];
      const errors: unknown[] = [];
      let fail = true;
      const group = harness.name("g-retry");
      subs.push(
        await log.subscribe({
          group,
          topics: [topic],
          onError: (e) => errors.push(e),
          handler: async (rs) => {
            seen.push(...rs.map(str));
            if (fail) {
              fail = false;
              throw new Error("transient");
            }
          },
        }),
      );
      await waitFor(async () => (await log.committedOffsets(group, topic))[0] === 3n, 30_000, "commit after retry");
      expect(errors).toHaveLength(1);
      expect(seen[0]).toBe("r0"); // the failed batch came again from its first record
      expect(seen.filter((s) => s === "r0")).toHaveLength(2);
      expect([...new Set(seen)]).toEqual(["r0", "r1", "r2"]);
    });

    it("resumes a group from its committed offset after close and reopen, redelivering what was not committed", async () => {
      harness = makeHarness();
      const topic = harness.name("resume");
      const group = harness.name("g-resume");
      const batch = (from: number) => Array.from({ length: 5 }, (_, i) => ({ key: "BTCUSDT", value: value(`m${from + i}`) }));

      // run 1: consume and commit m0..m4
      let log = await open();
      await log.ensureTopics([{ name: topic, partitions: 1 }]);
      await log.append(topic, batch(0));
      const first: LogRecord[] = [];
      const a = await log.subscribe({ group, topics: [topic], handler: async (rs) => void first.push(...rs) });
      await waitFor(() => first.length >= 5, 30_000, "run 1");
      await a.close();
      expect(first.map(str)).toEqual(["m0", "m1", "m2", "m3", "m4"]);
      expect(await log.committedOffsets(group, topic)).toEqual([5n]);
      await log.close();

      // run 2 (after a restart): m5..m9 are received but the process stops before the handler finishes
      log = await open();
      await log.append(topic, batch(5));
      const second: LogRecord[] = [];
      let crash!: (e: Error) => void;
      const inFlight = new Promise<void>((_, reject) => (crash = reject));
      const b = await log.subscribe({
        group,
        topics: [topic],
        handler: async (rs) => {
          second.push(...rs);
          await inFlight;
        },
      });
      await waitFor(() => second.length > 0, 30_000, "run 2 delivery");
      const closing = b.close();
      crash(new Error("stopped mid-batch"));
      await closing;
      expect(second[0].offset).toBe(5n); // resumed, m0..m4 not redelivered
      expect(await log.committedOffsets(group, topic)).toEqual([5n]);
      await log.close();

      // run 3: everything from the committed offset on arrives, the uncommitted m5..m9 again, then m10..m14
      log = await open();
      await log.append(topic, batch(10));
      const third: LogRecord[] = [];
      subs.push(await log.subscribe({ group, topics: [topic], handler: async (rs) => void third.push(...rs) }));
      await waitFor(() => third.length >= 10, 30_000, "run 3");
      expect(third.map(str)).toEqual(Array.from({ length: 10 }, (_, i) => `m${5 + i}`));
      expect(third.map((r) => r.offset)).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(5 + i)));
      await waitFor(async () => (await log.committedOffsets(group, topic))[0] === 15n, 10_000, "final commit");
      expect(await log.endOffsets(topic)).toEqual([15n]);
    });

    it("starts a new group at the end with start=latest: the end when subscribe was called", async () => {
      harness = makeHarness();
      const log = await open();
      const topic = harness.name("latest");
      await log.ensureTopics([{ name: topic, partitions: 1 }]);
      await log.append(topic, [{ key: "k", value: value("old") }]);
      const got: string[] = [];
      subs.push(await log.subscribe({ group: harness.name("g-latest"), topics: [topic], start: "latest", handler: async (rs) => void got.push(...rs.map(str)) }));
      // At once: an append right after subscribe resolved is delivered (no waiting for the first fetch).
      await log.append(topic, [{ key: "k", value: value("new") }]);
      await waitFor(() => got.length >= 1, 30_000, "new record");
      await log.append(topic, [{ key: "k", value: value("newer") }]);
      await waitFor(() => got.length >= 2, 30_000, "newer record");
      expect(got).toEqual(["new", "newer"]);
    });

    it("commit=false reads from `start` each time, keeps its position in memory and commits nothing", async () => {
      harness = makeHarness();
      let log = await open();
      const topic = harness.name("uncommitted");
      const group = harness.name("g-uncommitted");
      const keys = keysForPartitions(2);
      await log.ensureTopics([{ name: topic, partitions: 2 }]);
      await log.append(topic, [{ key: keys[0], value: value("before") }]);
      const first: string[] = [];
      const a = await log.subscribe({ group, topics: [topic], start: "latest", commit: false, handler: async (rs) => void first.push(...rs.map(str)) });
      await log.append(topic, [{ key: keys[0], value: value("a0") }, { key: keys[1], value: value("a1") }]);
      await waitFor(() => first.length >= 2, 30_000, "first subscription");
      await log.append(topic, [{ key: keys[0], value: value("b0") }]);
      await waitFor(() => first.length >= 3, 30_000, "its next record");
      expect(first.sort()).toEqual(["a0", "a1", "b0"]);
      expect(await log.committedOffsets(group, topic)).toEqual([-1n, -1n]);
      await a.close();
      await log.close();

      // A restart: the same group starts at the end again, not where the last one was.
      log = await open();
      await log.append(topic, [{ key: keys[1], value: value("missed") }]);
      const second: string[] = [];
      subs.push(await log.subscribe({ group, topics: [topic], start: "latest", commit: false, handler: async (rs) => void second.push(...rs.map(str)) }));
      await log.append(topic, [{ key: keys[1], value: value("c1") }]);
      await waitFor(() => second.length >= 1, 30_000, "second subscription");
      expect(second).toEqual(["c1"]);
      // From the beginning with start=earliest, every time.
      const all: string[] = [];
      subs.push(await log.subscribe({ group: harness.name("g-uncommitted-earliest"), topics: [topic], commit: false, handler: async (rs) => void all.push(...rs.map(str)) }));
      await waitFor(() => all.length >= 6, 30_000, "whole topic");
      expect(all.sort()).toEqual(["a0", "a1", "b0", "before", "c1", "missed"]);
      expect(await log.committedOffsets(group, topic)).toEqual([-1n, -1n]);
    });
  });
}
