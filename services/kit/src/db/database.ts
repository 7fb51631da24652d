import BetterSqlite3 from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, type DatabaseIntrospector, type Dialect, type Driver, type SqliteDatabase } from "kysely";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import pg from "pg";
import { redactUrl, SettingValueError, unreachable } from "../config/config-error.js";
import { walCheckpointer } from "./wal-checkpointer.js";
import { WalSync } from "./wal-sync.js";

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
    // NORMAL in WAL mode is durable across process crashes (kill -9); a durable database adds power-loss safety
    // by group commit (a WAL datasync off the main thread before a write's caller goes on), or FULL when asked.
    const forced = process.env.EXCHANGE_SQLITE_SYNCHRONOUS;
    const groupCommit = !rebuildable && !forced && file !== ":memory:";
    sqlite.pragma(`synchronous = ${rebuildable || groupCommit ? "NORMAL" : (forced ?? "FULL")}`);
    sqlite.pragma("busy_timeout = 5000");
    sqlite.pragma("foreign_keys = ON");
    if (groupCommit) {
      // Checkpoints run on their own thread (WalCheckpointer); the automatic one, inside a commit on the event loop,
      // only past 64 MiB of WAL, as a backstop.
      sqlite.pragma("wal_autocheckpoint = 16384");
      const stopCheckpoints = walCheckpointer.register(file);
      const state: CommitState = { wrote: false, relaxed: false };
      dialect = new GroupCommitDialect(new SqliteDialect({ database: withStatementCache(sqlite, () => (state.wrote = true)) }), state, new WalSync(file));
      const db = new Kysely<DB>({ dialect });
      commitStates.set(db, state);
      return {
        db,
        engine: "sqlite",
        url,
        close: async () => {
          await db.destroy();
          await stopCheckpoints();
        },
      };
    }
    dialect = new SqliteDialect({ database: withStatementCache(sqlite) });
    engine = "sqlite";
  } else if (url.startsWith("postgres://") || url.startsWith("postgresql://")) {
    // int8 and numeric come back as strings, so no value is squeezed through a double.
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // An idle connection the server ends (a restart, an Aurora failover, an administrator) leaves the pool, and the
    // next query opens another; without a listener its error would end the whole process.
    pool.on("error", () => undefined);
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
function withStatementCache(sqlite: BetterSqlite3.Database, onWrite?: () => void): SqliteDatabase {
  const prepared = new Map<string, { statement: BetterSqlite3.Statement; writes: boolean }>();
  return {
    prepare(text: string) {
      let entry = prepared.get(text);
      if (entry) {
        // Most recently used last: the first entry is the one to evict.
        prepared.delete(text);
      } else {
        const statement = sqlite.prepare(text);
        entry = { statement, writes: !statement.reader && !NOT_A_WRITE.test(text) };
        if (prepared.size >= STATEMENT_CACHE) prepared.delete(prepared.keys().next().value!);
      }
      prepared.set(text, entry);
      // Kysely prepares each statement it is about to run, on the connection it holds.
      if (entry.writes) onWrite?.();
      return entry.statement;
    },
    close: () => sqlite.close(),
  };
}

/** Statements that change nothing a commit would have to make durable. */
const NOT_A_WRITE = /^\s*(begin|rollback|pragma|savepoint|release)\b/i;

/** The acquisition of the one SQLite connection in progress: whether it wrote, and whether its writes may skip the flush. */
interface CommitState {
  wrote: boolean;
  relaxed: boolean;
}

const commitStates = new WeakMap<object, CommitState>();

/**
 * For relaxedCommit, while it holds the connection of a group-commit database: its writes need no flush. False when
 * `db` is not such a database (then the caller relaxes the commit itself).
 */
export function relaxCurrentCommit(db: object): boolean {
  const state = commitStates.get(db);
  if (!state) return false;
  state.relaxed = true;
  return true;
}

/**
 * SQLite with group commit: the connection is handed back as soon as its work is done (commits run with
 * synchronous=NORMAL), and the holder that wrote is answered once the WAL's datasync covers its commit (WalSync),
 * so other transactions run while the disk syncs, on a thread of the pool.
 */
class GroupCommitDialect implements Dialect {
  constructor(
    private readonly inner: SqliteDialect,
    private readonly state: CommitState,
    private readonly wal: WalSync,
  ) {}

  createAdapter() {
    return this.inner.createAdapter();
  }

  createQueryCompiler() {
    return this.inner.createQueryCompiler();
  }

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Dialect's own signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }

  createDriver(): Driver {
    const driver = this.inner.createDriver();
    const { state, wal } = this;
    return {
      init: () => driver.init(),
      acquireConnection: async () => {
        const connection = await driver.acquireConnection();
        state.wrote = false;
        state.relaxed = false;
        return connection;
      },
      beginTransaction: (connection, settings) => driver.beginTransaction(connection, settings),
      commitTransaction: (connection) => driver.commitTransaction(connection),
      rollbackTransaction: (connection) => driver.rollbackTransaction(connection),
      savepoint: (connection, name, compile) => driver.savepoint!(connection, name, compile),
      rollbackToSavepoint: (connection, name, compile) => driver.rollbackToSavepoint!(connection, name, compile),
      releaseSavepoint: (connection, name, compile) => driver.releaseSavepoint!(connection, name, compile),
      releaseConnection: async (connection) => {
        const flush = state.wrote && !state.relaxed;
        await driver.releaseConnection(connection);
        if (flush) await wal.flush();
      },
      destroy: async () => {
        await driver.destroy();
        await wal.close();
      },
    };
  }
}
