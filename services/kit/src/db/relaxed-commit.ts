import { PostgresAdapter, sql, type Kysely, type Transaction } from "kysely";
import { relaxCurrentCommit } from "./database.js";

/**
 * Runs `work` in a transaction whose commit is not flushed to disk on its own: SQLite commits it with synchronous
 * NORMAL (WAL), PostgreSQL with synchronous_commit off. It stays atomic and in order; a killed process loses
 * nothing; only a power cut may undo it, after later flushed commits are kept. For writes that are harmless to redo
 * when undone, such as an outbox forgetting events it published (publishing them again is deduplicated by event id).
 */
export async function relaxedCommit<DB, T>(db: Kysely<DB>, work: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (db.getExecutor().adapter instanceof PostgresAdapter) {
    return db.transaction().execute(async (tx) => {
      await sql`SET LOCAL synchronous_commit = off`.execute(tx);
      return work(tx);
    });
  }
  // SQLite: one connection, held throughout, so nothing else commits under the relaxed setting.
  return db.connection().execute(async (connection) => {
    // A group-commit database (the default): its commits run NORMAL already; this one skips the flush.
    if (relaxCurrentCommit(db)) return connection.transaction().execute(work);
    const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(connection);
    const before = Number(rows[0]?.synchronous ?? 2);
    if (before <= 1) return connection.transaction().execute(work); // OFF or NORMAL already
    await sql`PRAGMA synchronous = NORMAL`.execute(connection);
    try {
      return await connection.transaction().execute(work);
    } finally {
      await sql.raw(`PRAGMA synchronous = ${before}`).execute(connection);
    }
  });
}
