import path from "node:path";
import { FileEventLog } from "#kit/adapters/event-log.file.js";
import { eventBackboneSuite } from "./event-backbone.suite.js";

// Embedded mode: the file event log under the data dir, through the same port as Kafka.
eventBackboneSuite("the file event log", {
  engine: "file",
  open: (dir) => new FileEventLog({ dir: path.join(dir, "event-log"), pollMs: 20 }),
});
