import { afterEach, describe, expect, it } from "vitest";
import { KafkaJournal } from "../../../services/matching/src/adapters/journal.kafka.js";
import { PgLeaseStore } from "../../../services/matching/src/adapters/lease.pg.js";
import { LeasedJournal, NotLeaderError } from "../../../services/matching/src/leased-journal.js";
import { JournalFencedError } from "../../../services/matching/src/ports/journal.port.js";
import { NullSink } from "../../../services/matching/src/domain/events.js";
import { OrderBook } from "../../../services/matching/src/domain/order-book.js";
import { stateHash } from "../../../services/matching/src/domain/state-hash.js";
import type { Command } from "../../../services/matching/src/domain/commands.js";
import { engines } from "../../support/engines.js";
import { seededCommands } from "../../unit/matching/support/seeded.js";
import { startLeader as start, stopLeaders } from "./support/leaders.js";

// Split brain on the real engines: a leader (lease on PostgreSQL, journal on Kafka) is paused with SIGSTOP past its
// lease, a new leader takes the lease, fences the log and goes on; the old one is resumed. None of the old leader's
// writes after the fence lands: it acknowledges nothing more, and every reader of the log drops its late records.

afterEach(stopLeaders);
const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

describe("matching leadership: split brain", () => {
  it.each(["cold", "warm"] as const)("a leader paused past its lease and resumed lands none of its writes (%s successor)", async (mode) => {
    const topic = `exchange.matching.commands.split-${mode}-${Date.now()}-${process.pid}`;
    const count = 3_000;
    const cmds = seededCommands(5150, count);
    const a = start([topic, "replica-a", "1500", "5150", String(count)]);
    expect((await a.until(/^LEADER (\d+) 0 [0-9a-f]+$/))[1]).toBe("1");
    await a.until(/^ACK (\d{3,})$/);
    a.process.kill("SIGSTOP");

    // warm: B follows the log (A's records, then whatever A lands late) and promotes itself without a replay
    const b = start([topic, "replica-b", "1500", "5150", String(count), ...(mode === "warm" ? ["warm"] : [])]);
    const [, epoch, resumedAt] = await b.until(/^LEADER (\d+) (\d+) [0-9a-f]+$/);
    expect(Number(epoch)).toBe(2);
    await b.until(/^ACK \d+$/);

    a.process.kill("SIGCONT");
    expect(await a.exited).toBe(3); // its next append is refused
    expect(a.lines).toContain("REFUSED");
    // A's acknowledgements still in the pipe when it stopped arrive late; each of them, and any A printed after it
    // resumed, must be in the log B took over from: nothing A acknowledged is lost, and it acknowledged no late write
    expect(Math.max(...a.acks())).toBeLessThanOrEqual(Number(resumedAt));
    await b.until(/^DONE$/);
    expect(await b.exited).toBe(0);

    // every reader sees exactly the stream's prefix, in order, and the state of an uninterrupted run
    const seen: Command[] = [];
    const r = await new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: "SPLIT", topic }).replay(0, (rec) => {
      expect(rec.seq).toBe(seen.length + 1);
      seen.push(rec.cmd);
    });
    expect(r.lastSeq).toBe(cmds.length);
    seen.forEach((cmd, i) => expect(canon(cmd)).toBe(canon(cmds[i])));
    const replayed = new OrderBook();
    const sink = new NullSink();
    for (const cmd of seen) replayed.apply(cmd, sink);
    const uninterrupted = new OrderBook();
    for (const cmd of cmds) uninterrupted.apply(cmd, sink);
    expect(stateHash(replayed.state())).toBe(stateHash(uninterrupted.state()));
  }, 120_000);

  it("records a deposed writer appends after its successor's fence are dropped by every reader", async () => {
    const topic = `exchange.matching.commands.fence-${Date.now()}-${process.pid}`;
    const cmds = seededCommands(77, 20);
    const old = new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: "FNC", topic, partitions: 1 });
    await old.fence(1);
    await old.append(cmds.slice(0, 5).map((cmd, i) => ({ seq: i + 1, cmd })));
    const successor = new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: "FNC", topic, partitions: 1 });
    await successor.fence(2);
    expect((await successor.replay(0, () => {})).lastSeq).toBe(5);
    // the deposed writer goes on at seq 6 (it never learned): its records land in the log after the fence
    await old.append(cmds.slice(5, 8).map((cmd, i) => ({ seq: i + 6, cmd })));
    await successor.append(cmds.slice(10, 13).map((cmd, i) => ({ seq: i + 6, cmd })));
    const seen: Command[] = [];
    const r = await new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: "FNC", topic }).replay(0, (rec) => seen.push(rec.cmd));
    expect(r.lastSeq).toBe(8);
    expect(seen.map(canon)).toEqual([...cmds.slice(0, 5), ...cmds.slice(10, 13)].map(canon));
    await Promise.all([old.close(), successor.close()]);
  }, 60_000);

  it("a transactional writer whose id its successor took over is refused at the broker, and lands nothing", async () => {
    const topic = `exchange.matching.commands.txn-${Date.now()}-${process.pid}`;
    const cmds = seededCommands(78, 20);
    const writer = () => new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: "TXN", topic, partitions: 1, transactionalId: `${topic}/TXN` });
    const old = writer();
    await old.fence(1);
    await old.append(cmds.slice(0, 5).map((cmd, i) => ({ seq: i + 1, cmd })));
    const successor = writer();
    await successor.fence(2); // takes the transactional id over
    expect((await successor.replay(0, () => {})).lastSeq).toBe(5);
    await expect(old.append(cmds.slice(5, 8).map((cmd, i) => ({ seq: i + 6, cmd })))).rejects.toBeInstanceOf(JournalFencedError);
    await successor.append(cmds.slice(10, 13).map((cmd, i) => ({ seq: i + 6, cmd })));
    const seen: Command[] = [];
    const r = await new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: "TXN", topic }).replay(0, (rec) => seen.push(rec.cmd));
    expect(r.lastSeq).toBe(8);
    expect(seen.map(canon)).toEqual([...cmds.slice(0, 5), ...cmds.slice(10, 13)].map(canon));
    // behind a lease the refusal is the leader's NotLeaderError, which callers retry elsewhere
    const leases = new PgLeaseStore(engines.pgUrl);
    try {
      const deposed = new LeasedJournal(writer(), leases, { name: `${topic}/TXN-lease`, holder: "deposed", ttlMs: 5_000 });
      await deposed.replay(0, () => {});
      await writer().fence(3); // a successor takes the transactional id while the deposed one still believes it leads
      await expect(deposed.append([{ seq: 9, cmd: cmds[13]! }])).rejects.toBeInstanceOf(NotLeaderError);
      await deposed.close();
    } finally {
      await leases.close();
    }
    await Promise.all([old.close(), successor.close()]);
  }, 60_000);
});
