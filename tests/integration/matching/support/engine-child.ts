/**
 * Child process for the kill -9 test: runs the engine on a temp dir, submits a seeded stream with several groups in
 * flight (group commit), and prints "ACK <last seq of the group>" after each acknowledgement (i.e. after fsync).
 * usage: node --import tsx engine-child.ts <dir> <seed> <n recipes>
 */
import { MatchingEngine } from "../../../../services/matching/src/engine.js";
import { FileJournal } from "../../../../services/matching/src/adapters/journal.file.js";
import { FileSnapshotStore } from "../../../../services/matching/src/adapters/snapshot-store.file.js";
import { seededCommands } from "../../../unit/matching/support/seeded.js";

const [dir, seedArg, nArg] = process.argv.slice(2);
const cmds = seededCommands(Number(seedArg), Number(nArg));
const engine = await MatchingEngine.open({ symbol: "T", journal: new FileJournal(dir), snapshots: new FileSnapshotStore(dir), snapshotEvery: 500 });
let next = engine.lastSeq; // resume where the journal ends
const inFlight = new Set<Promise<void>>();
while (next < cmds.length) {
  const group = cmds.slice(next, next + 10);
  next += group.length;
  const p = engine.submitBatch(group).then((batches) => {
    process.stdout.write(`ACK ${batches[batches.length - 1].seq}\n`);
  });
  inFlight.add(p);
  void p.finally(() => inFlight.delete(p));
  if (inFlight.size >= 4) await Promise.race(inFlight);
}
await Promise.all(inFlight);
process.stdout.write("DONE\n");
await engine.close();
