import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, type Dialect, type SqliteDatabase } from "kysely";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import pg from "pg";
import { redactUrl, SettingValueError, unreachable } from "../config/config-error.js";

// One query layer (Kysely) over two engines: SQLite through better-sqlite3 in embedded mode,
// PostgreSQL in distributed mode. Each store is written once against Kysely; only the
// dialect differs. Money columns are TEXT/NUMERIC decimal integers, never REAL/double.

export type Engine = "sqlite" | "postgres";

export interface Database<DB> {
  readonly db: Kysely<DB>;
  readonly engine: Engine;
  /** What it was opened with (a store may open a second connection, e.g. a writer thread). */
  readonly url: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /**
   * "rebuildable": a projection whose every commit also moves its consumer's position over a durable source (the
   * matching journal), so a commit lost to a power cut is applied again from the source. Its commits are not
   * flushed to disk one by one: SQLite WAL synchronous=NORMAL, PostgreSQL synchronous_commit=off. Both stay
   * consistent (atomic, in order) after any crash; a process killed (kill -9) loses nothing either way.
   * Default "durable": every commit flushed before it returns.
   */
  readonly durability?: "durable" | "rebuildable";
}

/** `sqlite:/path/file.db`, `sqlite::memory:` or `postgres://user:pass@host:port/db`. */
export function openDatabase<DB>(url: string, options: DatabaseOptions = {}): Database<DB> {
  const rebuildable = options.durability === "rebuildable";
  let dialect: Dialect;
  let engine: Engine;
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length);
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    const sqlite = new BetterSqlite3(file);
    sqlite.pragma("journal_mode = WAL");
    // NORMAL in WAL mode is durable across process crashes (kill -9); FULL adds power-loss safety.
    sqlite.pragma(`synchronous = ${rebuildable ? "NORMAL" : (process.env.EXCHANGE_SQLITE_SYNCHRONOUS ?? "FULL")}`);
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("foreign_keys = ON");
    dialect = new SqliteDialect({ database: withStatementCache(sqlite) });
    engine = "sqlite";
  } else if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    // int8 and numeric come back as strings, so no value is squeezed through a double.
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // Set per connection (the URL's own options, e.g. a search_path, stay as they are).
    if (rebuildable) pool.on("connect", (client) => void client.query("SET synchronous_commit = off").catch(() => undefined));
    // A connection that cannot be made (refused, unknown host, bad password, no such database) names
    // the URL, so a process that cannot reach its database at start says which setting to fix.
    dialect = new PostgresDialect({
      pool: {
        connect: () =>
          pool.connect().catch((error: unknown) => {
            throw unreachable("PostgreSQL", url, error);
          }),
        end: () => pool.end(),
      },
    });
    engine = "postgres";
  } else {
    throw new SettingValueError(url, `unsupported database URL "${redactUrl(url)}" (use sqlite:<file> or postgres://...)`);
  }
  const db = new Kysely<DB>({ dialect });
  return { db, engine, url, close: () => db.destroy() };
}

/** Prepared statements kept per SQL text. */
const STATEMENT_CACHE = 256;

/**
 * better-sqlite3 behind Kysely, with its prepared statements reused: Kysely's SQLite driver
 * prepares every query it runs, and parsing and planning the SQL again cost the hot paths (the
 * ledger's bulk reads) more than running it. Safe because Kysely runs one query at a time per
 * connection; a statement is re-prepared by SQLite itself when the schema changes.
 */
function withStatementCache(sqlite: BetterSqlite3.Database): SqliteDatabase {
  const prepared = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(text: string) {
      let statement = prepared.get(text);
      if (statement) {
        // Most recently used last: the first entry is the one to evict.
        prepared.delete(text);
      } else {
        statement = sqlite.prepare(text);
        if (prepared.size >= STATEMENT_CACHE) prepared.delete(prepared.keys().next().value!);
      }
      prepared.set(text, statement);
      return statement;
    },
    close: () => sqlite.close(),
  };
}
