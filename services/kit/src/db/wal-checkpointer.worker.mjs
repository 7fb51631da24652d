// The WAL checkpoint thread of the group-commit SQLite files (wal-checkpointer.ts). A checkpoint copies the WAL into
// the database file and fsyncs both; here it costs the event loop nothing. Plain JavaScript: a worker is loaded by
// Node itself, whatever runs the main thread.
//
// Messages in:  { add: file } | { remove: file, id }
// Messages out: { removed: id } | { checkpointed: file, frames } | { failed: file, message }
import { parentPort, workerData } from "node:worker_threads";
import { setInterval } from "node:timers";
import Database from "better-sqlite3";

const connections = new Map();

function checkpointAll() {
  for (const [file, db] of connections) {
    try {
      // PASSIVE: copies what no reader still needs, never waits for or blocks a writer.
      const [result] = db.pragma("wal_checkpoint(PASSIVE)");
      parentPort.postMessage({ checkpointed: file, frames: result?.checkpointed ?? 0 });
    } catch (error) {
      parentPort.postMessage({ failed: file, message: String(error?.message ?? error) });
    }
  }
}

parentPort.on("message", (message) => {
  if (message.add !== undefined) {
    if (connections.has(message.add)) return;
    try {
      const db = new Database(message.add);
      db.pragma("busy_timeout = 1000");
      db.pragma("synchronous = NORMAL");
      connections.set(message.add, db);
    } catch (error) {
      parentPort.postMessage({ failed: message.add, message: String(error?.message ?? error) });
    }
  } else if (message.remove !== undefined) {
    const db = connections.get(message.remove);
    connections.delete(message.remove);
    try {
      db?.close();
    } finally {
      parentPort.postMessage({ removed: message.id });
    }
  }
});

setInterval(checkpointAll, workerData.intervalMs);
