// Child process for the kill -9 test: appends numbered records with a few appends in flight at a time (so group
// commit batches them) and prints "ack <i> <partition> <offset>" once each append is durable. Runs until killed.
import { FileEventLog } from "#kit/adapters/event-log.file.js";

const dir = process.argv[2];
const log = new FileEventLog({ dir });
await log.ensureTopics([{ name: "kill", partitions: 3 }]);
const keys = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT", "XRPUSDT", "ADAUSDT"];
let i = 0;
async function lane(): Promise<void> {
  for (;;) {
    const n = i++;
    const [r] = await log.append("kill", [{ key: keys[n % keys.length], value: new TextEncoder().encode(String(n)) }]);
    process.stdout.write(`ack ${n} ${r.partition} ${r.offset}\n`);
  }
}
await Promise.all([lane(), lane(), lane(), lane()]);
