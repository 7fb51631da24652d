/**
 * Distributed journal: every symbol's commands in one Kafka topic, keyed (and so partitioned)
 * by symbol, produced by an idempotent producer with acks=all: append() resolves once every
 * in-sync replica has the batch, which is matching's acknowledgement point. Record value =
 * f64 LE seq | encoded command (the file journal's payload); Kafka's own CRC guards each batch.
 * replay() reads the symbol's partition from the start up to the high-water mark it saw when
 * called, skipping other symbols; duplicates (seq <= last) are ignored and a gap is an error.
 *
 * Fencing: with a leader's epoch (fence()), a fence record (header `fence`, no command) is appended first and every
 * record carries the epoch in its `epoch` header. Readers drop, deterministically, every record whose epoch is below
 * the highest fence or epoch seen before it in the partition: a deposed leader that wakes up and appends after its
 * successor's fence writes records no replica ever applies. Records without the header are epoch 0. With a
 * transactional id the broker fences too: the successor's producer takes the id over (its open transaction, if the
 * old leader died in one, is aborted), and the deposed leader's appends are refused before they land.
 */
import { injectHeaders, tracingEnabled } from "#kit/telemetry/tracing.js";
import { retryingKafka as retrying } from "#kit/adapters/kafka-retry.js";
import { Kafka, logLevel, type Admin, type Message, type Producer } from "kafkajs";
import { JournalFencedError, type Journal, type JournalRecord, type ReplayResult } from "../ports/journal.port.js";
import { decodeCommand, encodeCommand, MAX_COMMAND_BYTES } from "./command.codec.js";

export interface KafkaJournalOptions {
  readonly brokers: readonly string[];
  readonly symbol: string;
  readonly topic?: string;
  readonly partitions?: number;
  readonly clientId?: string;
  /**
   * Appends as Kafka transactions under this transactional id (one per symbol's writer, e.g. the lease's name): a
   * writer that starts with the same id fences the older one at the broker, whose next append is then refused
   * (ProducerFenced / INVALID_PRODUCER_EPOCH) instead of landing to be dropped by readers. Readers read committed.
   */
  readonly transactionalId?: string;
}

export const COMMANDS_TOPIC = "exchange.matching.commands.v1";


export class KafkaJournal implements Journal {
  private readonly kafka: Kafka;
  private readonly topic: string;
  private producer: Producer | null = null;
  private lastSeq = 0;
  /** the leader's epoch this journal appends under (0: unfenced). */
  private epoch = 0;

  constructor(private readonly options: KafkaJournalOptions) {
    this.kafka = new Kafka({ clientId: options.clientId ?? `matching-${options.symbol}`, brokers: [...options.brokers], logLevel: logLevel.NOTHING });
    this.topic = options.topic ?? COMMANDS_TOPIC;
  }

  /** Creates the topic with its partition count if it does not exist (idempotent). */
  async provision(): Promise<void> {
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = await admin.listTopics();
      if (!existing.includes(this.topic)) {
        // false when another client created it first: fine, it exists either way.
        await admin.createTopics({ waitForLeaders: true, topics: [{ topic: this.topic, numPartitions: this.options.partitions ?? 8, replicationFactor: -1 }] });
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** The partition this symbol's commands go to: the one its first record landed in, else the producer's choice by key. */
  private async partitionOf(admin: Admin): Promise<number[]> {
    const offsets = await retrying(() => admin.fetchTopicOffsets(this.topic));
    return offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => o.partition);
  }

  async replay(afterSeq: number, onRecord: (record: JournalRecord) => void): Promise<ReplayResult> {
    await this.provision();
    const admin = this.kafka.admin();
    await admin.connect();
    let replayed = 0;
    const log = new SymbolLog(this.options.symbol);
    try {
      const offsets = await retrying(() => admin.fetchTopicOffsets(this.topic));
      const partitions = await this.partitionOf(admin);
      const high = new Map(offsets.map((o) => [o.partition, Number(o.high)]));
      if (partitions.length > 0) {
        const consumer = this.kafka.consumer({ groupId: `matching-replay-${this.options.symbol}-${process.pid}-${Date.now()}`, sessionTimeout: 10_000, rebalanceTimeout: 5_000 });
        await consumer.connect();
        await consumer.subscribe({ topic: this.topic, fromBeginning: true });
        const done = new Set<number>();
        await new Promise<void>((resolve, reject) => {
          // Done per partition once a fetched batch reaches the high-water mark seen at the start. Batch events rather
          // than messages: a transaction's commit marker takes an offset but is never handed over as a message.
          consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
            if (Number(payload.lastOffset) + 1 >= (high.get(payload.partition) ?? 0)) done.add(payload.partition);
            if (partitions.every((p) => done.has(p))) resolve();
          });
          consumer
            .run({
              autoCommit: false,
              eachMessage: async ({ message }) => {
                const record = log.read(message);
                if (record && record !== FENCE && record.seq > afterSeq) {
                  onRecord(record);
                  replayed++;
                }
              },
            })
            .catch(reject);
        });
        await consumer.disconnect();
      }
    } finally {
      await admin.disconnect();
    }
    this.lastSeq = log.lastSeq;
    return { lastSeq: log.lastSeq, replayed, truncatedBytes: 0 };
  }

  /**
   * Follows the symbol's log from the start and goes on with every record appended after (a warm standby): each
   * command once, in order, through the same epoch rule as replay(); `onFence` hears each fence's epoch, once every
   * record before it was handed over. Runs until stop(); a failure (a gap, a broker gone for good) reaches `onError`.
   */
  follow(handlers: { onRecord(record: JournalRecord): void; onFence(epoch: number): void; onError(error: unknown): void }): { stop(): Promise<void> } {
    const log = new SymbolLog(this.options.symbol);
    let failed = false;
    const consumer = this.kafka.consumer({ groupId: `matching-follow-${this.options.symbol}-${process.pid}-${Date.now()}`, sessionTimeout: 10_000, rebalanceTimeout: 5_000, maxWaitTimeInMs: 50 });
    const running = (async () => {
      await this.provision();
      await consumer.connect();
      await consumer.subscribe({ topic: this.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (failed) return;
          try {
            const record = log.read(message);
            if (record === FENCE) handlers.onFence(log.epoch);
            else if (record) handlers.onRecord(record);
          } catch (error) {
            failed = true; // a gap: nothing after it may be applied
            handlers.onError(error);
          }
        },
      });
    })();
    running.catch(handlers.onError);
    return {
      stop: async () => {
        await running.catch(() => undefined);
        await consumer.disconnect();
      },
    };
  }

  private async connected(): Promise<Producer> {
    if (!this.producer) {
      const transactionalId = this.options.transactionalId;
      this.producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        ...(transactionalId
          ? {
              transactionalId,
              // A transaction begun right after the previous commit is refused (CONCURRENT_TRANSACTIONS) until the
              // coordinator finished it; retry within milliseconds, not the client's default quarter second.
              retry: { initialRetryTime: 2, maxRetryTime: 50, retries: 30 },
            }
          : {}),
      });
      await this.producer.connect();
    }
    return this.producer;
  }

  /** Sends one batch of messages: as one transaction with a transactional id, else as one idempotent send. */
  private async send(messages: Message[]): Promise<void> {
    const producer = await this.connected();
    if (!this.options.transactionalId) {
      await producer.send({ topic: this.topic, acks: -1, messages });
      return;
    }
    try {
      const transaction = await producer.transaction();
      try {
        await transaction.send({ topic: this.topic, acks: -1, messages });
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => undefined);
        throw error;
      }
    } catch (error) {
      if (fenced(error)) throw new JournalFencedError(`${this.options.symbol}: a newer writer took transactional id ${this.options.transactionalId} over`, { cause: error });
      throw error;
    }
  }

  /**
   * Appends a fence at `epoch` (a leader that just took the lease calls it before replaying): from it on, readers
   * drop records of lower epochs; later appends of this journal carry `epoch`.
   */
  async fence(epoch: number): Promise<void> {
    await this.provision();
    await this.send([{ key: this.options.symbol, value: Buffer.alloc(0), headers: { fence: "1", epoch: String(epoch) } }]);
    this.epoch = epoch;
  }

  async append(records: readonly JournalRecord[]): Promise<void> {
    if (records.length === 0) return;
    const scratch = Buffer.allocUnsafe(8 + MAX_COMMAND_BYTES);
    // With tracing on, each record carries the appending span's traceparent (a reader continues the trace).
    let headers: Record<string, string> | undefined = this.epoch > 0 ? { epoch: String(this.epoch) } : undefined;
    if (tracingEnabled()) injectHeaders((headers ??= {}));
    const messages = records.map((record) => {
      scratch.writeDoubleLE(record.seq, 0);
      const length = 8 + encodeCommand(record.cmd, scratch, 8);
      return { key: this.options.symbol, value: Buffer.from(scratch.subarray(0, length)), headers };
    });
    await this.send(messages);
    this.lastSeq = records[records.length - 1].seq;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = null;
  }
}

/** What SymbolLog.read answers for a fence record of the symbol. */
const FENCE = "fence";

/**
 * The symbol's records in a partition as readers apply them: other symbols' records skipped, a record whose epoch is
 * below the highest fence or epoch seen before it dropped (a deposed leader's), duplicates (seq <= last) ignored, and
 * a gap an error.
 */
class SymbolLog {
  epoch = 0;
  lastSeq = 0;

  constructor(private readonly symbol: string) {}

  read(message: { key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }): JournalRecord | typeof FENCE | null {
    if (message.key?.toString() !== this.symbol) return null;
    const recordEpoch = epochOf(message.headers);
    if (recordEpoch < this.epoch) return null; // a deposed leader's record, after its successor's fence: never applied
    this.epoch = recordEpoch;
    if (message.headers?.fence !== undefined) return FENCE;
    const payload = message.value;
    if (!payload) return null;
    const seq = payload.readDoubleLE(0);
    if (seq <= this.lastSeq) return null;
    if (this.lastSeq !== 0 && seq !== this.lastSeq + 1) throw new Error(`journal gap for ${this.symbol}: ${this.lastSeq} then ${seq}`);
    this.lastSeq = seq;
    return { seq, cmd: decodeCommand(payload, 8, payload.length) };
  }
}

/** The broker's answer to a producer whose transactional id a newer producer took over. */
function fenced(error: unknown): boolean {
  const type = (error as { type?: unknown } | null)?.type;
  return type === "INVALID_PRODUCER_EPOCH" || type === "PRODUCER_FENCED";
}

/** The epoch header of a record (0 when absent). */
function epochOf(headers: Record<string, unknown> | undefined): number {
  const value = headers?.epoch;
  if (value === undefined) return 0;
  const text = Buffer.isBuffer(value) ? value.toString() : String(value);
  const epoch = Number(text);
  return Number.isSafeInteger(epoch) && epoch >= 0 ? epoch : 0;
}
