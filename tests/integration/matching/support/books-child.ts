/**
 * Child process for the restore test: matching's SymbolBooks on a Kafka command log with its archive on S3 (moto),
 * fed a seeded stream one batch at a time; prints "ACK <last sequence of the batch>" once a batch is acknowledged.
 * usage: node --import tsx books-child.ts <dataDir> <topic> <bucket> <seed> <count> <snapshotEvery>
 */
import { S3ObjectStore } from "#kit/adapters/object-store.s3.js";
import { KafkaJournal } from "../../../../services/matching/src/adapters/journal.kafka.js";
import { SymbolBooks } from "../../../../services/matching/src/symbol-books.js";
import { engines } from "../../../support/engines.js";
import { seededMessages } from "../../../unit/matching/support/messages.js";

const [dataDir, topic, bucket, seed, count, snapshotEvery] = process.argv.slice(2);
const SYMBOL = "RSTUSDT";
const objects = new S3ObjectStore({ bucket, endpoint: engines.awsEndpoint, region: engines.awsRegion });
const books = new SymbolBooks({
  dataDir,
  snapshotEvery: Number(snapshotEvery),
  journal: (symbol) => new KafkaJournal({ brokers: engines.kafkaBrokers, symbol, topic, partitions: 2 }),
  archive: { objects },
  onError: (error, context) => process.stderr.write(`${context}: ${String(error)}\n`),
});
const messages = seededMessages(Number(seed), Number(count), SYMBOL);
for (let i = 0; i < messages.length; i += 10) {
  const results = await books.submitBatch(SYMBOL, messages.slice(i, i + 10));
  const last = results[results.length - 1];
  if (typeof last !== "object" || !("sequence" in last)) throw new Error(`unexpected result ${JSON.stringify(last)}`);
  process.stdout.write(`ACK ${last.sequence}\n`);
}
process.stdout.write("DONE\n");
