import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FileEventLog } from "#kit/adapters/event-log.file.js";
import { SEQUENCE_HEADER, SequenceGap, SequencedFeed, withGapsFilled } from "#kit/events/sequenced-feed.js";
import { partitionForKey, type EventLog } from "#kit/ports/event-log.port.js";
import { until } from "../../../support/until.js";

// The consumer side of the event backbone on the file event log: per-key streams in sequence order, copies
// dropped, the group's commit held until the consumer acknowledged, gaps named and filled from a fallback.

const dirs: string[] = [];
afterAll(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const TOPIC = "events";

async function openLog(): Promise<EventLog> {
  const dir = mkdtempSync(path.join(tmpdir(), "sequenced-feed-"));
  dirs.push(dir);
  const log = new FileEventLog({ dir, pollMs: 10, retryMs: 10 });
  await log.ensureTopics([{ name: TOPIC, partitions: 2 }]);
  return log;
}

const record = (key: string, sequence: number) => ({ key, value: new TextEncoder().encode(`${key}#${sequence}`), headers: { [SEQUENCE_HEADER]: String(sequence) } });
const feedOf = (log: EventLog, group = "g") => new SequencedFeed({ log, topic: TOPIC, group, partitions: 2, decode: (r) => new TextDecoder().decode(r.value) });
const sequenceOf = (item: string) => Number(item.split("#")[1]);

/** Reads `count` items of `key` from `from`, acknowledging each as it is "stored". */
async function take(feed: SequencedFeed<string>, key: string, from: number, count: number, acknowledge = true): Promise<string[]> {
  const out: string[] = [];
  const stop = new AbortController();
  for await (const item of feed.events(key, from, stop.signal)) {
    out.push(item);
    if (acknowledge) feed.acknowledge(key, sequenceOf(item));
    if (out.length === count) break;
  }
  return out;
}

describe("SequencedFeed", () => {
  it("hands each key its records in order, once, and commits only what was acknowledged", async () => {
    const log = await openLog();
    await log.append(TOPIC, [record("A", 1), record("B", 1), record("A", 2), record("A", 1), record("A", 3), record("B", 2)]);
    const feed = feedOf(log);
    await feed.start();
    try {
      expect(await take(feed, "A", 1, 3, false)).toEqual(["A#1", "A#2", "A#3"]); // the copy of 1 is dropped
      expect(await take(feed, "B", 1, 2)).toEqual(["B#1", "B#2"]);
      // A is not acknowledged: its partition is not committed past it
      const end = await log.endOffsets(TOPIC);
      const partitionA = partitionForKey("A", 2);
      expect((await log.committedOffsets("g", TOPIC))[partitionA]).toBeLessThan(end[partitionA]!);
      feed.acknowledge("A", 3);
      await until(async () => (await log.committedOffsets("g", TOPIC)).every((offset, p) => offset === end[p] || end[p] === 0n));
    } finally {
      await feed.close();
      await log.close();
    }
  });

  it("redelivers what a consumer had not acknowledged, and skips what it had stored", async () => {
    const log = await openLog();
    await log.append(TOPIC, [1, 2, 3, 4, 5].map((n) => record("A", n)));
    let feed = feedOf(log);
    await feed.start();
    // stored 1..3, "crashed" before acknowledging anything
    expect(await take(feed, "A", 1, 3, false)).toEqual(["A#1", "A#2", "A#3"]);
    await feed.close();
    feed = feedOf(log);
    await feed.start();
    try {
      // resumes from its store's next sequence: 1..3 are redelivered by the log and skipped
      expect(await take(feed, "A", 4, 2)).toEqual(["A#4", "A#5"]);
      const end = await log.endOffsets(TOPIC);
      await until(async () => (await log.committedOffsets("g", TOPIC)).every((offset, p) => offset === end[p] || end[p] === 0n));
    } finally {
      await feed.close();
      await log.close();
    }
  });

  it("names a gap, and withGapsFilled takes the missing records from the fallback", async () => {
    const log = await openLog();
    await log.append(TOPIC, [5, 6, 7].map((n) => record("A", n)));
    const feed = feedOf(log);
    await feed.start();
    try {
      const stop = new AbortController();
      await expect(take(feed, "A", 3, 1)).rejects.toBeInstanceOf(SequenceGap);
      const fallback = async function* (key: string, from: number) {
        for (let n = from; n < 100; n++) yield `${key}#${n}`;
      };
      const out: string[] = [];
      for await (const item of withGapsFilled(feed, fallback, sequenceOf, "A", 3, stop.signal)) {
        out.push(item);
        feed.acknowledge("A", sequenceOf(item));
        if (out.length === 5) break;
      }
      expect(out).toEqual(["A#3", "A#4", "A#5", "A#6", "A#7"]);
    } finally {
      await feed.close();
      await log.close();
    }
  });
});
