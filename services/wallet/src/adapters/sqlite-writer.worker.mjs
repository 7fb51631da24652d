// The SQLite ledger's write thread. better-sqlite3 is synchronous, so a batch written on the main
// thread stops everything else there, fsync included; here it runs beside the planning of the next
// batch. Plain JavaScript: a worker is loaded by Node itself, whatever runs the main thread.
//
// Message in:  { id, statements: [{ sql, parameter, expect }] }  (expect: rows it must change, or -1)
// Message out: { id, ok: true } | { id, ok: false, stale, code, message }
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const db = new Database(workerData.file);
db.pragma("journal_mode = WAL");
db.pragma(`synchronous = ${workerData.synchronous}`);
db.pragma("busy_timeout = 5000");
db.pragma("cache_size = -65536");
// Checkpoint every 64 MiB of WAL rather than 4: a checkpoint runs inside a commit, so fewer and larger ones spend less time in fsync.
db.pragma("wal_autocheckpoint = 16384");

const prepared = new Map();
const statement = (sql) => {
  let found = prepared.get(sql);
  if (!found) prepared.set(sql, (found = db.prepare(sql)));
  return found;
};

class Stale extends Error {}

parentPort.on("message", ({ id, statements, close }) => {
  if (close) {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.exec("BEGIN IMMEDIATE");
    try {
      for (const { sql, parameter, expect } of statements) {
        const { changes } = statement(sql).run(parameter);
        if (expect >= 0 && changes !== expect) throw new Stale(`${expect - changes} of ${expect} rows changed since they were read`);
      }
      db.exec("COMMIT");
    } catch (error) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw error;
    }
    parentPort.postMessage({ id, ok: true });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, stale: error instanceof Stale, code: error?.code ?? "", message: String(error?.message ?? error) });
  }
});
