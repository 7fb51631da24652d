/**
 * Child process for the split-brain and failover tests: a matching engine for one symbol whose Kafka journal is
 * behind a lease on PostgreSQL. Prints "LEADER <epoch> <lastSeq> <stateHash>" once it holds the lease and its book is
 * current, "ACK <seq>" per acknowledged group, "REFUSED" when an append is refused (then exits 3), "DONE" when the
 * stream is journaled. With `warm`, it is a warm standby until it leads: it follows the log while another replica
 * leads (printing "STANDBY <seq>" once its book holds a command), then promotes itself without a replay.
 * usage: node --import tsx leader-child.ts <topic> <holder> <ttlMs> <seed> <count> [warm]
 */
import { KafkaJournal } from "../../../../services/matching/src/adapters/journal.kafka.js";
import { PgLeaseStore } from "../../../../services/matching/src/adapters/lease.pg.js";
import { NullSink } from "../../../../services/matching/src/domain/events.js";
import { OrderBook } from "../../../../services/matching/src/domain/order-book.js";
import { MatchingEngine } from "../../../../services/matching/src/engine.js";
import { LeasedJournal, NotLeaderError } from "../../../../services/matching/src/leased-journal.js";
import { WarmStandby } from "../../../../services/matching/src/warm-standby.js";
import { engines } from "../../../support/engines.js";
import { seededCommands } from "../../../unit/matching/support/seeded.js";

const [topic, holder, ttlMs, seed, count, mode] = process.argv.slice(2);
const leases = new PgLeaseStore(engines.pgUrl);
// as the service does with a lease: the lease's name is the transactional id
const log = new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: "SPLIT", topic, partitions: 1, transactionalId: `${topic}/SPLIT` });
const journal = new LeasedJournal(log, leases, { name: `${topic}/SPLIT`, holder, ttlMs: Number(ttlMs), waitMs: 60_000 });
const engine = mode === "warm" ? await warm() : await MatchingEngine.open({ symbol: "SPLIT", journal });
process.stdout.write(`LEADER ${journal.leaderEpoch} ${engine.lastSeq} ${engine.stateHash()}\n`);

async function warm(): Promise<MatchingEngine> {
  const book = new OrderBook();
  const sink = new NullSink();
  let announced = false;
  const standby = new WarmStandby(
    log,
    (record) => {
      book.apply(record.cmd, sink);
      if (!announced) process.stdout.write(`STANDBY ${record.seq}\n`);
      announced = true;
    },
    `${topic}/SPLIT`,
  );
  await standby.promote(journal, 30_000);
  return MatchingEngine.resume({ symbol: "SPLIT", journal }, book);
}

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
