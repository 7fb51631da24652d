/**
 * EventLog on Apache Kafka (kafkajs): one Kafka topic per log topic, created idempotently with its partition count.
 * The producer is idempotent with acks=all and picks the partition itself with `partitionForKey` (murmur2, the same
 * hash as Kafka's default partitioner), so embedded and Kafka deployments place a key in the same partition.
 * Consumers use a consumer group with manual commits: a batch's offset is committed after its handler resolves.
 * Works against MSK: pass `ssl` / `sasl` as kafkajs takes them.
 */
import { Kafka, logLevel, type Admin, type Consumer, type KafkaConfig, type Producer, type IHeaders } from "kafkajs";
import { unreachable } from "../config/config-error.js";
import { retryingKafka } from "./kafka-retry.js";
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

export interface KafkaEventLogOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  readonly ssl?: KafkaConfig["ssl"];
  readonly sasl?: KafkaConfig["sasl"];
  /** replication factor for created topics (default 1 here; 3 on MSK) */
  readonly replicationFactor?: number;
  /** consumer group timings: short values make tests join quickly */
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  /** how long a fetch waits for data (default 100 ms) */
  readonly maxWaitTimeMs?: number;
  readonly logLevel?: logLevel;
}

export class KafkaEventLog implements EventLog {
  private readonly kafka: Kafka;
  private readonly partitionCounts = new Map<string, number>();
  private admin: Promise<Admin> | null = null;
  private producer: Promise<Producer> | null = null;
  private readonly subscriptions = new Set<KafkaSubscription>();

  constructor(private readonly options: KafkaEventLogOptions) {
    this.kafka = new Kafka({
      clientId: options.clientId ?? "exchange",
      brokers: [...options.brokers],
      ssl: options.ssl,
      sasl: options.sasl,
      logLevel: options.logLevel ?? logLevel.NOTHING,
      retry: { retries: 8, initialRetryTime: 100 },
    });
  }

  private getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const connecting = (this.admin = this.connect(admin));
      // Not kept when it failed: the next call connects again (the brokers may be back).
      connecting.catch(() => {
        if (this.admin === connecting) this.admin = null;
      });
    }
    return this.admin;
  }

  private getProducer(): Promise<Producer> {
    if (!this.producer) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      const connecting = (this.producer = this.connect(producer));
      connecting.catch(() => {
        if (this.producer === connecting) this.producer = null;
      });
    }
    return this.producer;
  }

  /** A first connection that fails is the broker list's fault: the error names it (EXCHANGE_KAFKA_BROKERS at start). */
  private async connect<T extends Admin | Producer>(client: T): Promise<T> {
    try {
      await client.connect();
      return client;
    } catch (error) {
      throw unreachable("Kafka", this.options.brokers.join(","), error);
    }
  }

  async ensureTopics(topics: readonly TopicSpec[]): Promise<void> {
    const admin = await this.getAdmin();
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: this.options.replicationFactor ?? 1 })),
    });
    // Another client may have just created a topic: its partitions get leaders a moment later.
    const meta = await retryingKafka(() => admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) }));
    const grow: { topic: string; count: number }[] = [];
    for (const spec of topics) {
      const found = meta.topics.find((t) => t.name === spec.name);
      const count = found?.partitions.length ?? 0;
      if (count < spec.partitions) grow.push({ topic: spec.name, count: spec.partitions });
      this.partitionCounts.set(spec.name, Math.max(count, spec.partitions));
    }
    if (grow.length > 0) await admin.createPartitions({ topicPartitions: grow, validateOnly: false });
  }

  private async partitions(topic: string): Promise<number> {
    const known = this.partitionCounts.get(topic);
    if (known) return known;
    const admin = await this.getAdmin();
    const meta = await admin.fetchTopicMetadata({ topics: [topic] }).catch((error: unknown) => {
      throw new Error(`unknown topic "${topic}" (ensureTopics first)`, { cause: error });
    });
    const count = meta.topics[0]?.partitions.length ?? 0;
    if (count === 0) throw new Error(`unknown topic "${topic}" (ensureTopics first)`);
    this.partitionCounts.set(topic, count);
    return count;
  }

  /**
   * Appends issued while a send is in flight are queued and go out together in the next send, in call order, so
   * concurrent appends keep their call order per key (as the file adapter's group commit does).
   */
  async append(topic: string, records: readonly AppendRecord[]): Promise<AppendResult[]> {
    if (records.length === 0) return [];
    const count = await this.partitions(topic);
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.queue.push({ topic, records, partitions: records.map((r) => partitionForKey(r.key, count)), resolve, reject });
      this.sending ??= this.sendLoop();
    });
  }

  private queue: QueuedAppend[] = [];
  private sending: Promise<void> | null = null;

  private async sendLoop(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const producer = await this.getProducer();
          const byTopic = new Map<string, QueuedAppend[]>();
          for (const item of batch) {
            const list = byTopic.get(item.topic);
            if (list) list.push(item);
            else byTopic.set(item.topic, [item]);
          }
          const metadata = await producer.sendBatch({
            acks: -1,
            topicMessages: [...byTopic].map(([topic, items]) => ({
              topic,
              messages: items.flatMap((item) =>
                item.records.map((r, i) => ({
                  key: r.key,
                  value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
                  headers: { ...r.headers },
                  partition: item.partitions[i],
                })),
              ),
            })),
          });
          // one result per topic-partition with the base offset; its messages keep their relative order
          const next = new Map<string, bigint>();
          for (const m of metadata) next.set(`${m.topicName}/${m.partition}`, BigInt(m.baseOffset ?? "0"));
          for (const item of batch) {
            item.resolve(
              item.partitions.map((partition) => {
                const id = `${item.topic}/${partition}`;
                const offset = next.get(id);
                if (offset === undefined) throw new Error(`no produce result for ${id}`);
                next.set(id, offset + 1n);
                return { partition, offset };
              }),
            );
          }
        } catch (error) {
          for (const item of batch) item.reject(error);
        }
      }
    } finally {
      this.sending = null;
    }
  }

  async subscribe(options: SubscribeOptions): Promise<Subscription> {
    const consumer = this.kafka.consumer({
      groupId: options.group,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeout: this.options.rebalanceTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 1_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 100,
      allowAutoTopicCreation: false,
      retry: { retries: 8, initialRetryTime: 100 },
    });
    const subscription = new KafkaSubscription(consumer, options, await this.startPositions(options), () => this.subscriptions.delete(subscription));
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (error) {
      await subscription.close();
      throw error;
    }
    return subscription;
  }

  /**
   * Where the subscription seeks its partitions at each join, "topic/partition" -> offset: with start=latest, the
   * end offsets now (kafkajs would resolve "latest" at its first fetch, after subscribe resolved, missing what was
   * appended in between) for the partitions the group has not committed; without commits, those of every partition.
   */
  private async startPositions(options: SubscribeOptions): Promise<Map<string, bigint>> {
    const positions = new Map<string, bigint>();
    if ((options.start ?? "earliest") !== "latest") return positions;
    for (const topic of options.topics) {
      const ends = await this.endOffsets(topic);
      const committed = options.commit === false ? [] : await this.committedOffsets(options.group, topic);
      ends.forEach((end, partition) => {
        if ((committed[partition] ?? -1n) < 0n) positions.set(`${topic}/${partition}`, end);
      });
    }
    return positions;
  }

  async endOffsets(topic: string): Promise<bigint[]> {
    const admin = await this.getAdmin();
    const offsets = await retryingKafka(() => admin.fetchTopicOffsets(topic));
    const out: bigint[] = [];
    for (const o of offsets) out[o.partition] = BigInt(o.high);
    return out;
  }

  async committedOffsets(group: string, topic: string): Promise<bigint[]> {
    const admin = await this.getAdmin();
    const [entry] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const out: bigint[] = [];
    for (const p of entry?.partitions ?? []) out[p.partition] = BigInt(p.offset);
    const count = await this.partitions(topic);
    for (let p = 0; p < count; p++) out[p] ??= -1n;
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    const producer = this.producer;
    const admin = this.admin;
    this.producer = null;
    this.admin = null;
    // A client that never connected has nothing to disconnect.
    await Promise.all([producer?.then((p) => p.disconnect(), () => undefined), admin?.then((a) => a.disconnect(), () => undefined)]);
  }
}

interface QueuedAppend {
  readonly topic: string;
  readonly records: readonly AppendRecord[];
  readonly partitions: number[];
  readonly resolve: (results: AppendResult[]) => void;
  readonly reject: (error: unknown) => void;
}

class KafkaSubscription implements Subscription {
  private stopping = false;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly consumer: Consumer,
    private readonly options: SubscribeOptions,
    /**
     * Where to seek at each join, "topic/partition" -> offset: the start positions until a commit takes over, and
     * without commits the next offset to deliver (a rejoin goes on from there, not from `start` again).
     */
    private readonly positions: Map<string, bigint>,
    private readonly onClosed: () => void,
  ) {}

  async start(): Promise<void> {
    // Before the first fetch of each (re)join.
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const [topic, partitions] of Object.entries(payload.memberAssignment)) {
        for (const partition of partitions) {
          const offset = this.positions.get(`${topic}/${partition}`);
          if (offset !== undefined) this.consumer.seek({ topic, partition, offset: offset.toString() });
        }
      }
    });
    const joined = new Promise<void>((resolve) => {
      const off = this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
        off();
        resolve();
      });
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...this.options.topics], fromBeginning: (this.options.start ?? "earliest") === "earliest" });
    await this.consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: this.options.concurrentPartitions ?? 1,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (this.stopping || batch.messages.length === 0) return;
        const records: LogRecord[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: BigInt(m.offset),
          key: m.key?.toString("utf8") ?? "",
          value: new Uint8Array(m.value ?? Buffer.alloc(0)),
          headers: headersToStrings(m.headers),
          timestamp: Number(m.timestamp),
        }));
        try {
          await this.options.handler(records);
        } catch (error) {
          if (this.stopping) return; // shutting down mid-batch: nothing committed, redelivered next time
          this.options.onError?.(error);
          throw error; // kafkajs retries the batch from the uncommitted offset
        }
        const last = batch.messages[batch.messages.length - 1].offset;
        const id = `${batch.topic}/${batch.partition}`;
        if (this.options.commit === false) {
          this.positions.set(id, BigInt(last) + 1n);
        } else {
          await this.consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() }]);
          this.positions.delete(id); // the committed offset is the group's position now
        }
        resolveOffset(last);
        await heartbeat();
      },
    });
    await joined;
  }

  close(): Promise<void> {
    this.stopping = true;
    this.closing ??= this.consumer.disconnect().finally(this.onClosed);
    return this.closing;
  }
}

function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    out[name] = typeof first === "string" ? first : first.toString("utf8");
  }
  return out;
}
