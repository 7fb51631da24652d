/**
 * Child process for the split-brain test: a matching engine for one symbol whose Kafka journal is behind a lease on
 * PostgreSQL. Prints "LEADER <epoch> <lastSeq>" once it holds the lease and replayed, "ACK <seq>" per acknowledged
 * group, "REFUSED" when an append is refused (then exits 3), "DONE" when the stream is journaled.
 * usage: node --import tsx leader-child.ts <topic> <holder> <ttlMs> <seed> <count>
 */
import { KafkaJournal } from "../../../../services/matching/src/adapters/journal.kafka.js";
import { PgLeaseStore } from "../../../../services/matching/src/adapters/lease.pg.js";
import { MatchingEngine } from "../../../../services/matching/src/engine.js";
import { LeasedJournal, NotLeaderError } from "../../../../services/matching/src/leased-journal.js";
import { engines } from "../../../support/engines.js";
import { seededCommands } from "../../../unit/matching/support/seeded.js";

const [topic, holder, ttlMs, seed, count] = process.argv.slice(2);
const leases = new PgLeaseStore(engines.pgUrl);
const journal = new LeasedJournal(new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: "SPLIT", topic, partitions: 1 }), leases, { name: `${topic}/SPLIT`, holder, ttlMs: Number(ttlMs), waitMs: 60_000 });
const engine = await MatchingEngine.open({ symbol: "SPLIT", journal });
process.stdout.write(`LEADER ${journal.leaderEpoch} ${engine.lastSeq}\n`);
const cmds = seededCommands(Number(seed), Number(count));
try {
  for (let next = engine.lastSeq; next < cmds.length; ) {
    const group = cmds.slice(next, next + 5);
    next += group.length;
    const batches = await engine.submitBatch(group);
    process.stdout.write(`ACK ${batches[batches.length - 1].seq}\n`);
  }
} catch (error) {
  if (!(error instanceof NotLeaderError)) throw error;
  process.stdout.write("REFUSED\n");
  process.exit(3);
}
process.stdout.write("DONE\n");
await engine.close();
await leases.close();
