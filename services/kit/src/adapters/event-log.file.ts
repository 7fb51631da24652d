/**
 * Embedded EventLog: append-only segment files per topic-partition under a data directory.
 *
 *   <dir>/topics/<topic>/topic.json                 {"partitions": n}
 *   <dir>/topics/<topic>/<p>/<base offset, 20 digits>.log   segments, rolled at `segmentBytes`
 *   <dir>/groups/<group>.json                       committed offsets {topic: {partition: next offset}}, tmp + rename
 *
 * Record frame: u32 LE payload length | u32 LE crc32(payload) | payload, where payload =
 *   u64 BE offset | u64 BE timestamp | u32 key length | key | u16 header count | (u16 name length | name |
 *   u32 value length | value)* | value (the rest).
 *
 * Group commit: appends queue up while a flush runs; each flush writes every queued record with one write per
 * partition and one fdatasync per touched file, then resolves all of them. Consumers only see flushed records.
 * Opening scans the segments: the first record that is short, fails its checksum or breaks offset continuity is a torn
 * tail; it and everything after it is truncated away (it was never acknowledged).
 * Retention deletes closed segments from the oldest on (enforceRetention): once every group reading their topic
 * committed past them, or once older than `retentionMs`; a reader behind the oldest segment left goes on from it.
 * One process owns a data directory (no cross-process coordination).
 */
import { promises as fsp, constants } from "node:fs";
import path from "node:path";
import { crc32 } from "node:zlib";
import { Wakeups } from "../lifecycle/wakeups.js";
import {
  partitionForKey,
  type AppendRecord,
  type AppendResult,
  type EventLog,
  type LogRecord,
  type SubscribeOptions,
  type Subscription,
  type TopicSpec,
} from "../ports/event-log.port.js";

const FRAME = 8;

export interface FileEventLogOptions {
  readonly dir: string;
  /** roll to a new segment file past this size (default 64 MiB) */
  readonly segmentBytes?: number;
  /** false skips fdatasync (benchmarks only); default true */
  readonly fsync?: boolean;
  /** how long an idle consumer waits before looking again (default 200 ms; appends in this process wake it at once) */
  readonly pollMs?: number;
  /** delay before a failed batch is retried (default 100 ms) */
  readonly retryMs?: number;
  /** max records per handler call (default 500) */
  readonly maxBatch?: number;
  /**
   * Closed segments are deleted once every group reading their topic has committed past them (a group that has not
   * committed for this long does not count, nor holds anything), or once their last record is this old (default
   * 7 days, Kafka's retention.ms); never while a subscription of this process is still before their end. 0 keeps
   * everything.
   */
  readonly retentionMs?: number;
  /** How often retention runs, besides at open and after a segment rolls (default 60 s). */
  readonly retentionCheckMs?: number;
}

interface Segment {
  readonly base: number;
  readonly file: string;
  fh: fsp.FileHandle;
  size: number;
  /** byte position of each record, index = offset - base */
  readonly positions: number[];
}

interface Partition {
  readonly topic: string;
  readonly index: number;
  readonly dir: string;
  readonly segments: Segment[];
  /** next offset to assign */
  next: number;
  /** next offset not yet durable: consumers read below it */
  durable: number;
}

interface Pending {
  readonly partition: Partition;
  readonly frames: Buffer[];
  readonly done: () => void;
  readonly fail: (error: unknown) => void;
}

export class FileEventLog implements EventLog {
  private readonly topics = new Map<string, Partition[]>();
  private readonly segmentBytes: number;
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private readonly appends = new Wakeups();
  private readonly subscriptions = new Set<FileSubscription>();
  private readonly activeGroups = new Set<string>();
  private opened: Promise<void> | null = null;
  private closed = false;
  /** a failed write leaves offsets reserved but not written: the log refuses appends until reopened */
  private failure: unknown = null;
  private readonly retentionMs: number;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retaining: Promise<number> | null = null;

  constructor(readonly options: FileEventLogOptions) {
    this.segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
    this.retentionMs = options.retentionMs ?? 7 * 24 * 60 * 60 * 1000;
  }

  /** Loads existing topics (and truncates torn tails). Called by every other method; call it to recover eagerly. */
  open(): Promise<void> {
    this.opened ??= this.load();
    return this.opened;
  }

  private async load(): Promise<void> {
    const root = path.join(this.options.dir, "topics");
    await fsp.mkdir(root, { recursive: true });
    await fsp.mkdir(path.join(this.options.dir, "groups"), { recursive: true });
    for (const name of await fsp.readdir(root)) {
      const metaFile = path.join(root, name, "topic.json");
      let partitions: number;
      try {
        partitions = (JSON.parse(await fsp.readFile(metaFile, "utf8")) as { partitions: number }).partitions;
      } catch {
        continue; // a topic whose creation did not finish
      }
      await this.loadTopic(decodeURIComponent(name), partitions);
    }
    if (this.retentionMs > 0) {
      // Not awaited: it waits for this load to finish.
      void this.enforceRetention().catch(() => undefined);
      this.retentionTimer = setInterval(() => void this.enforceRetention().catch(() => undefined), this.options.retentionCheckMs ?? 60_000);
      this.retentionTimer.unref();
    }
  }

  private topicDir(topic: string): string {
    return path.join(this.options.dir, "topics", encodeURIComponent(topic));
  }

  private async loadTopic(topic: string, partitions: number): Promise<void> {
    const list: Partition[] = this.topics.get(topic) ?? [];
    for (let p = list.length; p < partitions; p++) list.push(await this.loadPartition(topic, p));
    this.topics.set(topic, list);
  }

  private async loadPartition(topic: string, index: number): Promise<Partition> {
    const dir = path.join(this.topicDir(topic), String(index));
    await fsp.mkdir(dir, { recursive: true });
    const names = (await fsp.readdir(dir)).filter((n) => /^\d{20}\.log$/.test(n)).sort();
    const partition: Partition = { topic, index, dir, segments: [], next: 0, durable: 0 };
    let broken = false;
    for (const name of names) {
      const file = path.join(dir, name);
      const base = Number(name.slice(0, 20));
      // Retention deleted the segments before the first one left.
      if (partition.segments.length === 0 && !broken) partition.next = base;
      if (broken || base !== partition.next) {
        // after a torn record nothing is valid; a segment that does not continue the log is garbage too
        broken = true;
        await fsp.rm(file, { force: true });
        continue;
      }
      const fh = await fsp.open(file, constants.O_RDWR);
      const data = await fh.readFile();
      const positions: number[] = [];
      let off = 0;
      let expected = base;
      while (off + FRAME <= data.length) {
        const len = data.readUInt32LE(off);
        const start = off + FRAME;
        if (len < 24 || start + len > data.length) break;
        const payload = data.subarray(start, start + len);
        if (crc32(payload) !== data.readUInt32LE(off + 4)) break;
        if (Number(payload.readBigUInt64BE(0)) !== expected) break;
        positions.push(off);
        expected++;
        off = start + len;
      }
      if (off < data.length) {
        await fh.truncate(off);
        await fh.datasync();
        broken = true;
      }
      partition.segments.push({ base, file, fh, size: off, positions });
      partition.next = expected;
    }
    if (partition.segments.length === 0) await this.roll(partition, partition.next);
    partition.durable = partition.next;
    return partition;
  }

  /** Starts a new segment at `base` (the next offset written to disk, not the next one reserved). */
  private async roll(partition: Partition, base: number): Promise<Segment> {
    const file = path.join(partition.dir, `${String(base).padStart(20, "0")}.log`);
    const fh = await fsp.open(file, constants.O_RDWR | constants.O_CREAT);
    const segment: Segment = { base, file, fh, size: 0, positions: [] };
    partition.segments.push(segment);
    await syncDir(partition.dir);
    return segment;
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    await this.open();
    for (const spec of topics) {
      if (!Number.isInteger(spec.partitions) || spec.partitions < 1) throw new Error(`${spec.name}: partitions must be >= 1`);
      const existing = this.topics.get(spec.name)?.length ?? 0;
      if (existing >= spec.partitions) continue;
      const dir = this.topicDir(spec.name);
      await fsp.mkdir(dir, { recursive: true });
      await this.loadTopic(spec.name, spec.partitions);
      await writeAtomic(path.join(dir, "topic.json"), JSON.stringify({ partitions: spec.partitions }));
    }
  }

  private partitions(topic: string): Partition[] {
    const list = this.topics.get(topic);
    if (!list) throw new Error(`unknown topic "${topic}" (ensureTopics first)`);
    return list;
  }

  async append(topic: string, records: readonly AppendRecord[]): Promise<AppendResult[]> {
    await this.open();
    if (this.closed) throw new Error("event log is closed");
    if (this.failure) throw new Error("event log failed a write; reopen it", { cause: this.failure });
    const partitions = this.partitions(topic);
    const now = Date.now();
    const results: AppendResult[] = [];
    const byPartition = new Map<Partition, Buffer[]>();
    for (const record of records) {
      const partition = partitions[partitionForKey(record.key, partitions.length)];
      const offset = partition.next++;
      results.push({ partition: partition.index, offset: BigInt(offset) });
      let frames = byPartition.get(partition);
      if (!frames) byPartition.set(partition, (frames = []));
      frames.push(encodeFrame(offset, now, record));
    }
    if (records.length === 0) return results;
    await new Promise<void>((resolve, reject) => {
      let left = byPartition.size;
      for (const [partition, frames] of byPartition) {
        this.pending.push({
          partition,
          frames,
          done: () => {
            if (--left === 0) resolve();
          },
          fail: reject,
        });
      }
      this.flushing ??= this.flushLoop();
    });
    return results;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          await this.flush(batch);
          for (const item of batch) item.done();
        } catch (error) {
          this.failure = error;
          for (const item of batch) item.fail(error);
        }
        this.wake();
      }
    } finally {
      this.flushing = null;
    }
  }

  private async flush(batch: Pending[]): Promise<void> {
    const byPartition = new Map<Partition, Buffer[]>();
    for (const item of batch) {
      const frames = byPartition.get(item.partition);
      if (frames) frames.push(...item.frames);
      else byPartition.set(item.partition, [...item.frames]);
    }
    const touched = new Set<Segment>();
    let rolled = false;
    for (const [partition, frames] of byPartition) {
      let segment = partition.segments[partition.segments.length - 1];
      if (segment.size >= this.segmentBytes) {
        if (this.options.fsync !== false) await segment.fh.datasync();
        segment = await this.roll(partition, segment.base + segment.positions.length);
        rolled = true;
      }
      const data = Buffer.concat(frames);
      let written = 0;
      while (written < data.length) {
        const { bytesWritten } = await segment.fh.write(data, written, data.length - written, segment.size + written);
        written += bytesWritten;
      }
      let pos = segment.size;
      for (const frame of frames) {
        segment.positions.push(pos);
        pos += frame.length;
      }
      segment.size = pos;
      touched.add(segment);
    }
    if (this.options.fsync !== false) await Promise.all([...touched].map((s) => s.fh.datasync()));
    for (const partition of byPartition.keys()) {
      const last = partition.segments[partition.segments.length - 1];
      partition.durable = last.base + last.positions.length;
    }
    if (rolled) void this.enforceRetention().catch(() => undefined);
  }

  /**
   * Deletes the closed segments retention allows (FileEventLogOptions.retentionMs), oldest first; resolves with how
   * many. Runs at open, after a segment rolls and every `retentionCheckMs`.
   */
  enforceRetention(): Promise<number> {
    this.retaining ??= this.retain().finally(() => (this.retaining = null));
    return this.retaining;
  }

  private async retain(): Promise<number> {
    await this.open();
    if (this.closed || this.retentionMs <= 0) return 0;
    const now = Date.now();
    const groups = await this.liveGroups(now);
    let deleted = 0;
    for (const [topic, partitions] of this.topics) {
      const readers = groups.filter((group) => group[topic] !== undefined);
      for (const partition of partitions) {
        // The last segment is the one appended to: never deleted.
        while (partition.segments.length > 1 && !this.closed) {
          const segment = partition.segments[0];
          const end = segment.base + segment.positions.length;
          if ([...this.subscriptions].some((subscription) => subscription.before(partition, end))) break;
          const consumed = readers.length > 0 && readers.every((group) => (group[topic]?.[partition.index] ?? 0) >= end);
          if (!consumed && now - (await fsp.stat(segment.file)).mtimeMs <= this.retentionMs) break;
          partition.segments.shift();
          await segment.fh.close();
          await fsp.rm(segment.file, { force: true });
          deleted++;
        }
      }
    }
    return deleted;
  }

  /** The committed offsets of the groups that committed within the retention time. */
  private async liveGroups(now: number): Promise<GroupOffsets[]> {
    const dir = path.join(this.options.dir, "groups");
    const live: GroupOffsets[] = [];
    for (const name of await fsp.readdir(dir)) {
      if (!name.endsWith(".json")) continue;
      try {
        const file = path.join(dir, name);
        if (now - (await fsp.stat(file)).mtimeMs > this.retentionMs) continue;
        live.push(JSON.parse(await fsp.readFile(file, "utf8")) as GroupOffsets);
      } catch {
        // written over or removed meanwhile: read again next time
      }
    }
    return live;
  }

  private wake(): void {
    this.appends.wakeAll();
  }

  /** Resolves on the next flush or after `ms`. */
  waitForAppend(ms: number): Promise<void> {
    return this.appends.wait({ ms });
  }


  /** Reads up to `max` durable records of a partition starting at `from`, or at its oldest record if retention deleted `from`. */
  async read(partition: Partition, from: number, max: number): Promise<LogRecord[]> {
    from = Math.max(from, partition.segments[0]?.base ?? 0);
    const end = Math.min(partition.durable, from + max);
    const out: LogRecord[] = [];
    let offset = from;
    while (offset < end) {
      const segment = findSegment(partition.segments, offset);
      const first = offset - segment.base;
      const last = Math.min(end - segment.base, segment.positions.length);
      if (last <= first) break;
      const startPos = segment.positions[first];
      const endPos = last < segment.positions.length ? segment.positions[last] : segment.size;
      const buf = Buffer.allocUnsafe(endPos - startPos);
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await segment.fh.read(buf, got, buf.length - got, startPos + got);
        if (bytesRead === 0) throw new Error(`short read in ${segment.file}`);
        got += bytesRead;
      }
      let off = 0;
      for (let i = first; i < last; i++) {
        const len = buf.readUInt32LE(off);
        out.push(decodePayload(partition.topic, partition.index, buf.subarray(off + FRAME, off + FRAME + len)));
        off += FRAME + len;
      }
      offset = segment.base + last;
    }
    return out;
  }

  topicPartitions(topic: string): Partition[] {
    return this.partitions(topic);
  }

  async endOffsets(topic: string): Promise<bigint[]> {
    await this.open();
    return this.partitions(topic).map((p) => BigInt(p.durable));
  }

  async committedOffsets(group: string, topic: string): Promise<bigint[]> {
    await this.open();
    const offsets = await this.readGroup(group);
    return this.partitions(topic).map((p) => BigInt(offsets[topic]?.[p.index] ?? -1));
  }

  groupFile(group: string): string {
    return path.join(this.options.dir, "groups", `${encodeURIComponent(group)}.json`);
  }

  async readGroup(group: string): Promise<GroupOffsets> {
    try {
      return JSON.parse(await fsp.readFile(this.groupFile(group), "utf8")) as GroupOffsets;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw error;
    }
  }

  async writeGroup(group: string, offsets: GroupOffsets): Promise<void> {
    await writeAtomic(this.groupFile(group), JSON.stringify(offsets), this.options.fsync !== false);
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    await this.open();
    if (this.closed) throw new Error("event log is closed");
    if (this.activeGroups.has(options.group)) {
      throw new Error(`group "${options.group}" already has a member here (one member per group in embedded mode)`);
    }
    const partitions = options.topics.flatMap((t) => this.partitions(t));
    const committed = options.commit === false ? {} : await this.readGroup(options.group);
    const positions = new Map<Partition, number>();
    for (const p of partitions) {
      const stored = committed[p.topic]?.[p.index];
      positions.set(p, stored ?? (options.start === "latest" ? p.durable : 0));
    }
    this.activeGroups.add(options.group);
    const subscription = new FileSubscription(this, options, positions, committed, () => {
      this.activeGroups.delete(options.group);
      this.subscriptions.delete(subscription);
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    await this.retaining;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    while (this.flushing) await this.flushing;
    for (const partitions of this.topics.values()) {
      for (const p of partitions) for (const s of p.segments) await s.fh.close();
    }
    this.topics.clear();
  }
}

type GroupOffsets = Record<string, Record<number, number>>;

class FileSubscription implements Subscription {
  private stopping = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly log: FileEventLog,
    private readonly options: SubscribeOptions,
    private readonly positions: Map<Partition, number>,
    private readonly committed: GroupOffsets,
    private readonly onClosed: () => void,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const maxBatch = this.log.options.maxBatch ?? 500;
    while (!this.stopping) {
      try {
        if (!(await this.deliverOnce(maxBatch)) && !this.stopping) await this.log.waitForAppend(this.log.options.pollMs ?? 200);
      } catch (error) {
        // an I/O error reading the log or writing offsets: report and retry
        this.options.onError?.(error);
        await sleep(this.log.options.retryMs ?? 100);
      }
    }
  }

  /** One pass over the partitions; true if anything was delivered (or failed and will be retried). */
  private async deliverOnce(maxBatch: number): Promise<boolean> {
    let delivered = false;
    {
      for (const [partition, from] of this.positions) {
        if (this.stopping) break;
        if (from >= partition.durable) continue;
        const records = await this.log.read(partition, from, maxBatch);
        if (records.length === 0) continue;
        try {
          await this.options.handler(records);
        } catch (error) {
          if (this.stopping) return true; // shutting down mid-batch: nothing committed, redelivered next time
          this.options.onError?.(error);
          await sleep(this.log.options.retryMs ?? 100);
          delivered = true;
          continue;
        }
        const next = Number(records[records.length - 1].offset) + 1;
        this.positions.set(partition, next);
        if (this.options.commit !== false) {
          (this.committed[partition.topic] ??= {})[partition.index] = next;
          await this.log.writeGroup(this.options.group, this.committed);
        }
        delivered = true;
      }
    }
    return delivered;
  }

  /** Whether this subscription still has to read offsets of `partition` below `end`. */
  before(partition: Partition, end: number): boolean {
    const position = this.positions.get(partition);
    return position !== undefined && position < end;
  }

  async close(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      // wake the idle wait so close is prompt
      void this.log.waitForAppend(0);
    }
    await this.loop;
    this.onClosed();
  }
}

function findSegment(segments: Segment[], offset: number): Segment {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segments[mid].base <= offset) lo = mid;
    else hi = mid - 1;
  }
  return segments[lo];
}

function encodeFrame(offset: number, timestamp: number, record: AppendRecord): Buffer {
  const key = Buffer.from(record.key, "utf8");
  const headers = Object.entries(record.headers ?? {}).map(([k, v]) => [Buffer.from(k, "utf8"), Buffer.from(v, "utf8")] as const);
  let size = 8 + 8 + 4 + key.length + 2 + record.value.length;
  for (const [k, v] of headers) size += 2 + k.length + 4 + v.length;
  const buf = Buffer.allocUnsafe(FRAME + size);
  let off = FRAME;
  buf.writeBigUInt64BE(BigInt(offset), off);
  buf.writeBigUInt64BE(BigInt(timestamp), off + 8);
  buf.writeUInt32BE(key.length, off + 16);
  off += 20;
  off += key.copy(buf, off);
  buf.writeUInt16BE(headers.length, off);
  off += 2;
  for (const [k, v] of headers) {
    buf.writeUInt16BE(k.length, off);
    off += 2 + k.copy(buf, off + 2);
    buf.writeUInt32BE(v.length, off);
    off += 4 + v.copy(buf, off + 4);
  }
  buf.set(record.value, off);
  buf.writeUInt32LE(size, 0);
  buf.writeUInt32LE(crc32(buf.subarray(FRAME)), 4);
  return buf;
}

function decodePayload(topic: string, partition: number, payload: Buffer): LogRecord {
  const offset = payload.readBigUInt64BE(0);
  const timestamp = Number(payload.readBigUInt64BE(8));
  const keyLength = payload.readUInt32BE(16);
  let off = 20;
  const key = payload.toString("utf8", off, off + keyLength);
  off += keyLength;
  const count = payload.readUInt16BE(off);
  off += 2;
  const headers: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const kl = payload.readUInt16BE(off);
    const name = payload.toString("utf8", off + 2, off + 2 + kl);
    off += 2 + kl;
    const vl = payload.readUInt32BE(off);
    headers[name] = payload.toString("utf8", off + 4, off + 4 + vl);
    off += 4 + vl;
  }
  return { topic, partition, offset, key, value: new Uint8Array(payload.subarray(off)), headers, timestamp };
}

/** Write a small file atomically: tmp file, fsync, rename over, fsync the directory. */
export async function writeAtomic(file: string, data: string | Uint8Array, sync = true): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  const fh = await fsp.open(tmp, "w");
  try {
    await fh.writeFile(data);
    if (sync) await fh.datasync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, file);
  if (sync) await syncDir(path.dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, constants.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
