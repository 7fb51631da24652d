/**
 * EventLog: per-topic, partitioned-by-key, ordered, append-only logs with consumer groups.
 *
 * - A topic has a fixed number of partitions; a record goes to `partitionForKey(key, partitions)` (murmur2, the hash
 *   Kafka's Java client and kafkajs's DefaultPartitioner use), so the same key always lands in the same partition, in
 *   both the embedded and the Kafka adapter.
 * - Within a partition records keep append order and get consecutive offsets starting at 0.
 * - Delivery is at-least-once: a consumer group's handler gets batches of records from one partition, in order; the
 *   group's offset for that partition is committed after the handler resolves. A handler that throws (or is still
 *   running when the subscription closes) commits nothing, and its records are delivered again, on retry or to the
 *   next subscription of the group. Consumers must be idempotent (e.g. by (symbol, sequence)).
 */

export type Headers = Readonly<Record<string, string>>;

export interface AppendRecord {
  readonly key: string;
  readonly value: Uint8Array;
  /** W3C trace context (`traceparent`, `tracestate`) and anything else; passed through unchanged. */
  readonly headers?: Headers;
}

export interface LogRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Headers;
  /** milliseconds since the epoch, set at append */
  readonly timestamp: number;
}

export interface AppendResult {
  readonly partition: number;
  readonly offset: bigint;
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
}

export type BatchHandler = (records: readonly LogRecord[]) => Promise<void>;

export interface SubscribeOptions {
  readonly group: string;
  readonly topics: readonly string[];
  /**
   * Where a group with no committed offset starts (default "earliest"). "latest": the end of each partition when
   * subscribe was called, so every record appended after the call is delivered.
   */
  readonly start?: "earliest" | "latest";
  /**
   * false: the subscription keeps its position in memory and commits nothing, so it starts at `start` each time and
   * leaves no offsets behind (a reader of its own per process, e.g. every replica reading the whole topic; one
   * member per such group). Default true.
   */
  readonly commit?: boolean;
  readonly handler: BatchHandler;
  /**
   * How many partitions' batches may be in the handler at once (default 1). Batches of one partition are always
   * handed over one after the other. An adapter may hand them over one at a time regardless (the file log does).
   */
  readonly concurrentPartitions?: number;
  /** called when a handler throws (the batch is retried); default: ignored */
  readonly onError?: (error: unknown) => void;
}

export interface Subscription {
  /** Stops delivery, waits for the running handler, keeps what it committed. Idempotent. */
  close(): Promise<void>;
}

export interface EventLog {
  /** Creates the topics with at least these partition counts; idempotent. */
  ensureTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Appends durably (fsync / acks=all) and returns each record's partition and offset, in input order. */
  append(topic: string, records: readonly AppendRecord[]): Promise<AppendResult[]>;
  /** Resolves once the subscription is consuming (group joined, partitions assigned). */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
  /** The next offset to be written, per partition (index = partition). */
  endOffsets(topic: string): Promise<bigint[]>;
  /** The group's committed offsets (next offset to consume) per partition; -1n where nothing is committed. */
  committedOffsets(group: string, topic: string): Promise<bigint[]>;
  close(): Promise<void>;
}

/** Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), seed 0x9747b28c. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const length4 = length >>> 2;
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4;
    let k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16) + ((data[i4 + 3] & 0xff) << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  const rest = length & 3;
  const base = length & ~3;
  if (rest === 3) h ^= (data[base + 2] & 0xff) << 16;
  if (rest >= 2) h ^= (data[base + 1] & 0xff) << 8;
  if (rest >= 1) {
    h ^= data[base] & 0xff;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

const utf8 = new TextEncoder();

/** Same as Kafka's default partitioner for keyed records: toPositive(murmur2(key)) % partitions. */
export function partitionForKey(key: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) throw new Error(`partitions must be >= 1, got ${partitions}`);
  return (murmur2(utf8.encode(key)) & 0x7fffffff) % partitions;
}
