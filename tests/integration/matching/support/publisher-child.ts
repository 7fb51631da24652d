/**
 * Child process for the event backbone test: matching's SymbolBooks on a file journal, publishing its event batches
 * to an event log (the file log under <dataDir>/event-log, or Kafka), fed a seeded stream from where its journal
 * ends, one batch of 10 commands at a time; prints "ACK <last sequence of the batch>" once a batch is journaled.
 * With stallAfter > 0 the log refuses appends of batches past that sequence (Kafka unreachable), so the journal runs
 * ahead of the topic.
 * usage: node --import tsx publisher-child.ts <dataDir> <file|kafka> <topic> <seed> <count> <stallAfter>
 */
import path from "node:path";
import { FileEventLog } from "#kit/adapters/event-log.file.js";
import { KafkaEventLog } from "#kit/adapters/event-log.kafka.js";
import type { EventLog } from "#kit/ports/event-log.port.js";
import { SEQUENCE_HEADER } from "#kit/events/sequenced-feed.js";
import { SymbolBooks } from "../../../../services/matching/src/symbol-books.js";
import { engines } from "../../../support/engines.js";
import { seededMessages } from "../../../unit/matching/support/messages.js";

const [dataDir, engine, topic, seed, count, stallAfter] = process.argv.slice(2);
const SYMBOL = "EVTUSDT";
const real: EventLog = engine === "kafka" ? new KafkaEventLog({ brokers: process.env.BACKBONE_KAFKA_BROKERS?.split(",") ?? engines.kafkaBrokers }) : new FileEventLog({ dir: path.join(dataDir, "event-log") });
const stall = Number(stallAfter);
const log: EventLog =
  stall > 0
    ? Object.assign(Object.create(real) as EventLog, {
        append: (name: string, records: Parameters<EventLog["append"]>[1]) =>
          records.some((r) => Number(r.headers?.[SEQUENCE_HEADER]) > stall) ? Promise.reject(new Error("log unreachable (stalled by the test)")) : real.append(name, records),
      })
    : real;
await log.ensureTopics([{ name: topic, partitions: 3 }]);
const books = new SymbolBooks({ dataDir: path.join(dataDir, "matching"), publish: { log, topic, retryMs: 20 } });
const from = (await books.state(SYMBOL)).sequence;
const messages = seededMessages(Number(seed), Number(count), SYMBOL).slice(from);
for (let i = 0; i < messages.length; i += 10) {
  const results = await books.submitBatch(SYMBOL, messages.slice(i, i + 10));
  const last = results[results.length - 1];
  if (typeof last !== "object" || !("sequence" in last)) throw new Error(`unexpected result ${JSON.stringify(last)}`);
  process.stdout.write(`ACK ${last.sequence}\n`);
}
process.stdout.write("DONE\n");
