import { sql, type CompiledQuery, type Kysely, type Migration, type RawBuilder, type Transaction } from "kysely";
import type { Database, Engine } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { preparedQuery } from "#kit/db/prepared-query.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { runBatch, type BatchResult, type BatchWrites, type StateLoader } from "../domain/ledger-engine.js";
import { LedgerStateCache } from "../domain/state-cache.js";
import { SqliteWriter, StaleState, type WriteStatement } from "./sqlite-writer.js";
import {
  ADJUSTMENT_ACCOUNT,
  EXTERNAL_ACCOUNT,
  decodeDoc,
  docAwaitingSince,
  docDue,
  encodeDoc,
  type BalanceRow,
  type Command,
  type CommandKind,
  type Doc,
  type DocType,
  type LedgerEntry,
  type Outcome,
  type Page,
  type TransferRecord,
  type VersionedDoc,
  type WithdrawalDoc,
} from "../domain/ledger.js";
import { decodeQueueCursor, encodeQueueCursor } from "../domain/approval-queue.js";
import type { LedgerAudit, LedgerStore, PageRequest } from "../ports/ledger-store.port.js";

// One implementation for SQLite (embedded) and PostgreSQL through the kit's Kysely layer.
// Money columns: NUMERIC(78,0) in PostgreSQL, decimal TEXT in SQLite (SQLite arithmetic would
// turn values beyond int64 into doubles, so all arithmetic happens in bigint here, never in SQL).
// Both engines refuse a negative balance with a CHECK constraint.
// Concurrency: PostgreSQL runs READ COMMITTED with SELECT ... FOR UPDATE on every balance and
// document a batch reads; a race on a row that does not exist yet ends in a unique violation,
// and the whole batch is retried (as are deadlocks 40P01 and serialization failures 40001).
// SQLite has one writer: better-sqlite3 is synchronous and Kysely serializes the connection.

type Money = string;
type Int8 = number | string | bigint;

interface BalancesTable {
  account: string;
  asset: string;
  available: Money;
  locked: Money;
  pending: Money;
}

interface TransfersTable {
  id: string;
  kind: string;
  fingerprint: string;
  result: string;
  time: Int8;
}

/** A view over wallet_history (read-only). */
interface EntriesTable {
  seq: Int8;
  pos: Int8;
  transfer_id: string;
  kind: string;
  account: string;
  asset: string;
  available: Money;
  locked: Money;
  pending: Money;
  time: Int8;
}

interface DocsTable {
  id: string;
  type: string;
  account: string;
  version: number;
  due: Int8 | null;
  /** docAwaitingSince: the creation time of a withdrawal awaiting approval, else null (partial index). */
  awaiting_since: Int8 | null;
  created: Int8;
  body: string;
}

/**
 * History, packed: one row per account per batch, holding that account's entries of the batch in
 * order (a JSON array of [transferId, kind, asset, available, locked, pending, time]). A hot
 * account (the fee account, a market maker) costs one row per batch, not two per settlement.
 * The view `wallet_entries` unpacks it into one row per entry for ad-hoc SQL.
 */
interface HistoryTable {
  seq: Int8;
  account: string;
  entries: string;
}

export interface WalletDb {
  wallet_balances: BalancesTable;
  wallet_transfers: TransfersTable;
  wallet_entries: EntriesTable;
  wallet_history: Omit<HistoryTable, "seq"> & { seq?: Int8 };
  wallet_docs: DocsTable;
}

export function walletMigrations(engine: Engine): Record<string, Migration> {
  const money = engine === "postgres" ? sql`numeric(78,0)` : sql`text`;
  const nonNegative = (column: string) =>
    engine === "postgres" ? sql`${sql.ref(column)} >= 0` : sql`typeof(${sql.ref(column)}) = 'text' AND ${sql.ref(column)} NOT LIKE '-%' AND ${sql.ref(column)} <> ''`;
  /**
   * A document body's status, for migrations. PostgreSQL's json and jsonb refuse to read a body at
   * all (bigints are tagged "\u0000n:<digits>", and \u0000 has no text form), so there the text is
   * matched: bodies are flat JSON.stringify output, where `"status":"<s>"` with bare quotes can only
   * be the status field itself (quotes inside values are escaped).
   */
  const statusIs = (status: string) =>
    engine === "postgres" ? sql`body LIKE ${`%"status":${JSON.stringify(status)}%`}` : sql`json_extract(body, '$.status') = ${status}`;
  return {
    "001_ledger": {
      up: async (db: Kysely<unknown>) => {
        await db.schema
          .createTable("wallet_balances")
          .ifNotExists()
          .addColumn("account", "text", (c) => c.notNull())
          .addColumn("asset", "text", (c) => c.notNull())
          .addColumn("available", money, (c) => c.notNull().check(nonNegative("available")))
          .addColumn("locked", money, (c) => c.notNull().check(nonNegative("locked")))
          .addColumn("pending", money, (c) => c.notNull().check(nonNegative("pending")))
          .addPrimaryKeyConstraint("wallet_balances_pk", ["account", "asset"])
          .execute();
        await db.schema
          .createTable("wallet_transfers")
          .ifNotExists()
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("fingerprint", "text", (c) => c.notNull())
          .addColumn("result", "text", (c) => c.notNull())
          .addColumn("time", "bigint", (c) => c.notNull())
          .execute();
        let entries = db.schema.createTable("wallet_entries").ifNotExists();
        entries =
          engine === "postgres"
            ? entries.addColumn("seq", "bigserial", (c) => c.primaryKey())
            : entries.addColumn("seq", "integer", (c) => c.primaryKey().autoIncrement());
        await entries
          .addColumn("transfer_id", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("account", "text", (c) => c.notNull())
          .addColumn("asset", "text", (c) => c.notNull())
          .addColumn("available", money, (c) => c.notNull())
          .addColumn("locked", money, (c) => c.notNull())
          .addColumn("pending", money, (c) => c.notNull())
          .addColumn("time", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("wallet_entries_account").ifNotExists().on("wallet_entries").columns(["account", "seq"]).execute();
        await db.schema
          .createTable("wallet_docs")
          .ifNotExists()
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("type", "text", (c) => c.notNull())
          .addColumn("account", "text", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("due", "bigint")
          .addColumn("created", "bigint", (c) => c.notNull())
          .addColumn("body", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("wallet_docs_account").ifNotExists().on("wallet_docs").columns(["account", "type", "created", "id"]).execute();
        await db.schema.createIndex("wallet_docs_due").ifNotExists().on("wallet_docs").columns(["type", "due"]).execute();
      },
    },
    "002_packed_history": {
      up: async (db: Kysely<unknown>) => {
        let history = db.schema.createTable("wallet_history");
        history =
          engine === "postgres"
            ? history.addColumn("seq", "bigserial", (c) => c.primaryKey())
            : history.addColumn("seq", "integer", (c) => c.primaryKey().autoIncrement());
        await history
          .addColumn("account", "text", (c) => c.notNull())
          .addColumn("entries", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("wallet_history_account").on("wallet_history").columns(["account", "seq"]).execute();
        // Existing entries move over one per row, keeping their order.
        if (engine === "postgres") {
          await sql`INSERT INTO wallet_history (seq, account, entries)
            SELECT seq, account, json_build_array(json_build_array(transfer_id, kind, asset, available::text, locked::text, pending::text, time))::text
            FROM wallet_entries ORDER BY seq`.execute(db);
          await sql`SELECT setval(pg_get_serial_sequence('wallet_history', 'seq'), GREATEST((SELECT max(seq) FROM wallet_history), 1))`.execute(db);
        } else {
          await sql`INSERT INTO wallet_history (seq, account, entries)
            SELECT seq, account, json_array(json_array(transfer_id, kind, asset, available, locked, pending, time))
            FROM wallet_entries ORDER BY seq`.execute(db);
        }
        await db.schema.dropTable("wallet_entries").execute();
        await (engine === "postgres"
          ? sql`CREATE VIEW wallet_entries AS
              SELECT h.seq, e.ordinality AS pos, e.value->>0 AS transfer_id, e.value->>1 AS kind, h.account, e.value->>2 AS asset,
                (e.value->>3)::numeric(78,0) AS available, (e.value->>4)::numeric(78,0) AS locked, (e.value->>5)::numeric(78,0) AS pending,
                (e.value->>6)::bigint AS time
              FROM wallet_history h CROSS JOIN LATERAL jsonb_array_elements(h.entries::jsonb) WITH ORDINALITY AS e(value, ordinality)`
          : sql`CREATE VIEW wallet_entries AS
              SELECT h.seq, e.key AS pos, json_extract(e.value, '$[0]') AS transfer_id, json_extract(e.value, '$[1]') AS kind, h.account,
                json_extract(e.value, '$[2]') AS asset, json_extract(e.value, '$[3]') AS available, json_extract(e.value, '$[4]') AS locked,
                json_extract(e.value, '$[5]') AS pending, json_extract(e.value, '$[6]') AS time
              FROM wallet_history h, json_each(h.entries) e`
        ).execute(db);
      },
    },
    "003_room_for_in_place_updates": {
      // Balances and documents are updated on every batch that touches them. Free space on each
      // page lets PostgreSQL update a row on its own page without touching its indexes (a HOT
      // update: no indexed column changes). SQLite has no equivalent setting.
      up: async (db: Kysely<unknown>) => {
        if (engine !== "postgres") return;
        await sql`ALTER TABLE wallet_balances SET (fillfactor = 70)`.execute(db);
        await sql`ALTER TABLE wallet_docs SET (fillfactor = 70)`.execute(db);
      },
    },
    "004_due_pending_withdrawals": {
      // Withdrawals left pending now carry a due time (docDue), so the ledger's clock drives them again.
      // (It read the status with body::jsonb on PostgreSQL, which fails on any withdrawal body.)
      up: async (db: Kysely<unknown>) => {
        await sql`UPDATE wallet_docs SET due = created WHERE type = 'withdrawal' AND ${statusIs("pending")}`.execute(db);
      },
    },
    "005_approval_queue": {
      // The operators' approval queue: a withdrawal awaiting approval carries its creation time in
      // awaiting_since (docAwaitingSince), every other document null, and a partial index holds
      // only the waiting ones, oldest first. Its predicate names only its own column, so an update
      // that leaves the column alone stays a HOT update on PostgreSQL and touches no index on SQLite.
      up: async (db: Kysely<unknown>) => {
        await db.schema.alterTable("wallet_docs").addColumn("awaiting_since", "bigint").execute();
        await sql`UPDATE wallet_docs SET awaiting_since = created WHERE type = 'withdrawal' AND ${statusIs("awaiting_approval")}`.execute(db);
        await sql`CREATE INDEX wallet_docs_awaiting_approval ON wallet_docs (awaiting_since, id) WHERE awaiting_since IS NOT NULL`.execute(db);
      },
    },
  };
}

const RETRYABLE_PG = new Set(["40001", "40P01", "23505"]);
const CHECK_VIOLATION = "check";
const MAX_ATTEMPTS = 12;

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "";
}

function classify(error: unknown): "retry" | typeof CHECK_VIOLATION | "fatal" {
  const code = errorCode(error);
  if (RETRYABLE_PG.has(code) || code === "SQLITE_BUSY" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") return "retry";
  if (code === "23514" || code === "SQLITE_CONSTRAINT_CHECK") return CHECK_VIOLATION;
  return "fatal";
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

/** Rows per bulk statement: each statement takes its rows as ONE array parameter, so its SQL text is constant. */
const BULK = 20_000;

type ColumnType = "text" | "money" | "int8" | "int4";

/** A compiled statement whose one parameter is its rows (or list) as JSON. */
type Bulk = CompiledQuery;

/** One statement of a batch's writes, with its rows (see SqlLedgerStore.plannedWrites). */
interface PlannedWrite {
  readonly name:
    | "insertBalances"
    | "updateBalances"
    | "updateBalancesIfUnchanged"
    | "insertDocs"
    | "updateDocs"
    | "updateDocsIfUnchanged"
    | "updateDocBodiesIfUnchanged"
    | "insertTransfers"
    | "insertHistory";
  readonly rows: unknown[][];
  readonly checked: boolean;
}

/**
 * The hot-path statements, built with Kysely's `sql` template and compiled once per store: a
 * batch runs a handful of them, each with its rows as one JSON array parameter. SQLite reads the
 * rows with `json_each`, PostgreSQL with `json_array_elements`: the only difference between the
 * dialects is that row source.
 */
class Statements {
  readonly selectTransfers: Bulk;
  readonly selectBalances: Bulk;
  readonly selectDocs: Bulk;
  /** The same reads without row locks: the cached path reads committed state and writes conditionally. */
  readonly readBalances: Bulk;
  readonly readDocs: Bulk;
  readonly insertBalances: Bulk;
  readonly updateBalances: Bulk;
  /** Compare-and-set: a row changes only if it still holds the values the batch was planned against. */
  readonly updateBalancesIfUnchanged: Bulk;
  readonly insertDocs: Bulk;
  readonly updateDocs: Bulk;
  readonly updateDocsIfUnchanged: Bulk;
  /** The same for documents whose due time and place in the approval queue stay as they were. */
  readonly updateDocBodiesIfUnchanged: Bulk;
  readonly insertTransfers: Bulk;
  readonly insertHistory: Bulk;

  constructor(
    private readonly engine: Engine,
    db: Kysely<WalletDb>,
  ) {
    const postgres = engine === "postgres";
    const compile = (query: RawBuilder<unknown>): Bulk => query.compile(db);
    const list = (): RawBuilder<unknown> => (postgres ? sql`ANY(ARRAY(SELECT json_array_elements_text(${"[]"}::json)))` : sql`(SELECT value FROM json_each(${"[]"}))`);
    const inList = (column: string) => (postgres ? sql`${sql.ref(column)} = ${list()}` : sql`${sql.ref(column)} IN ${list()}`);
    const forUpdate = postgres ? sql` FOR UPDATE` : sql``;
    const rows = (columns: Record<string, ColumnType>): RawBuilder<unknown> => {
      const names = Object.keys(columns);
      if (postgres) {
        // One JSON text parameter, as in SQLite: JSON.stringify is native, where node-postgres
        // would escape every element of every array parameter in JavaScript.
        const pgType = { text: "text", money: "numeric", int8: "bigint", int4: "integer" } as const;
        const fields = names.map((name, index) => sql`(value->>${sql.lit(index)})::${sql.raw(pgType[columns[name]!])} AS ${sql.id(name)}`);
        return sql`(SELECT ${sql.join(fields)} FROM jsonb_array_elements(${"[]"}::jsonb))`;
      }
      // SQLite: the text parsed once into its binary form (JSONB), so each column is a lookup in
      // that, not a parse of the row's text (json_extract parses it again per column; ~25% of
      // the statements' time on the settlement path).
      const fields = names.map((name, index) => sql`value ->> ${sql.lit(index)} AS ${sql.id(name)}`);
      return sql`(SELECT ${sql.join(fields)} FROM jsonb_each(jsonb(${"[]"})))`;
    };
    const balance = { account: "text", asset: "text", available: "money", locked: "money", pending: "money" } as const;
    const doc = { id: "text", type: "text", account: "text", version: "int4", due: "int8", awaiting_since: "int8", created: "int8", body: "text" } as const;
    this.selectTransfers = compile(sql`SELECT id, kind, fingerprint, result, time FROM wallet_transfers WHERE ${inList("id")}`);
    this.selectBalances = compile(
      sql`SELECT account, asset, available, locked, pending FROM wallet_balances WHERE ${inList("account")} ORDER BY account, asset${forUpdate}`,
    );
    this.selectDocs = compile(sql`SELECT body, version FROM wallet_docs WHERE ${inList("id")} ORDER BY id${forUpdate}`);
    this.readBalances = compile(sql`SELECT account, asset, available, locked, pending FROM wallet_balances WHERE ${inList("account")}`);
    this.readDocs = compile(sql`SELECT body, version FROM wallet_docs WHERE ${inList("id")}`);
    this.insertBalances = compile(sql`INSERT INTO wallet_balances (account, asset, available, locked, pending) SELECT * FROM ${rows(balance)} AS r`);
    this.updateBalances = compile(
      sql`UPDATE wallet_balances SET available = r.available, locked = r.locked, pending = r.pending FROM ${rows(balance)} AS r
        WHERE wallet_balances.account = r.account AND wallet_balances.asset = r.asset`,
    );
    const balanceChange = { available: "money", locked: "money", pending: "money", account: "text", asset: "text", was_available: "money", was_locked: "money", was_pending: "money" } as const;
    this.updateBalancesIfUnchanged = compile(
      sql`UPDATE wallet_balances SET available = r.available, locked = r.locked, pending = r.pending FROM ${rows(balanceChange)} AS r
        WHERE wallet_balances.account = r.account AND wallet_balances.asset = r.asset
          AND wallet_balances.available = r.was_available AND wallet_balances.locked = r.was_locked AND wallet_balances.pending = r.was_pending`,
    );
    this.updateDocsIfUnchanged = compile(
      sql`UPDATE wallet_docs SET version = r.version, due = r.due, awaiting_since = r.awaiting_since, body = r.body
        FROM ${rows({ version: "int4", due: "int8", awaiting_since: "int8", body: "text", id: "text", was_version: "int4" })} AS r
        WHERE wallet_docs.id = r.id AND wallet_docs.version = r.was_version`,
    );
    this.updateDocBodiesIfUnchanged = compile(
      sql`UPDATE wallet_docs SET version = r.version, body = r.body FROM ${rows({ version: "int4", body: "text", id: "text", was_version: "int4" })} AS r
        WHERE wallet_docs.id = r.id AND wallet_docs.version = r.was_version`,
    );
    this.insertDocs = compile(sql`INSERT INTO wallet_docs (id, type, account, version, due, awaiting_since, created, body) SELECT * FROM ${rows(doc)} AS r`);
    this.updateDocs = compile(
      sql`UPDATE wallet_docs SET version = r.version, due = r.due, awaiting_since = r.awaiting_since, body = r.body FROM ${rows(doc)} AS r WHERE wallet_docs.id = r.id`,
    );
    this.insertTransfers = compile(
      sql`INSERT INTO wallet_transfers (id, kind, fingerprint, result, time) SELECT * FROM ${rows({ id: "text", kind: "text", fingerprint: "text", result: "text", time: "int8" })} AS r`,
    );
    this.insertHistory = compile(sql`INSERT INTO wallet_history (account, entries) SELECT * FROM ${rows({ account: "text", entries: "text" })} AS r`);
  }

  /** The statement with its data (a list, or rows), as its one JSON parameter. */
  bind(bulk: Bulk, data: readonly unknown[]): CompiledQuery {
    return { ...bulk, parameters: [JSON.stringify(data)] };
  }
}

export interface SqlLedgerStoreOptions {
  /** Close the database with the store (default true). */
  readonly ownsDatabase?: boolean;
  /**
   * Keep the working set in memory and write conditionally instead of locking rows (default
   * true). Safe with other writers (a changed row refuses the batch, which then runs locked),
   * fast when this process is the only writer.
   */
  readonly cached?: boolean;
  /** SQLite files, cached path: write from a worker thread, beside the planning of the next batch (default true). */
  readonly writerThread?: boolean;
}

const toNumber = (value: Int8): number => Number(value);
/** Most fields of an entry are zero: no new string for those. */
const decimal = (value: bigint): string => (value === 0n ? "0" : value.toString());
const toUnits = (value: Money): bigint => BigInt(value);

export class SqlLedgerStore implements LedgerStore {
  readonly engine: string;

  private readonly statements: Statements;
  private readonly cache: LedgerStateCache | undefined;
  private readonly writer: SqliteWriter | undefined;
  private readonly committedState: StateLoader;
  /** The cached path: each batch plans after the previous one planned, and commits after it committed. */
  private planning: Promise<void> = Promise.resolve();
  private committing: Promise<void> = Promise.resolve();
  /** Bumped whenever the cache starts over: batches planned before that are planned again. */
  private generation = 0;
  private drainBeforePlanning = false;
  /** Batches the cached path handed to the locking path (a row changed behind the cache, or a refusal). */
  fallbacks = 0;

  /** Milliseconds SQLite's writer thread has worked so far; undefined without one. */
  writerBusyMs(): number | undefined {
    return this.writer?.busyMs();
  }

  /** The cached path plans and commits overlapping batches in call order. */
  get appliesInCallOrder(): boolean {
    return this.cache !== undefined;
  }

  private constructor(
    private readonly database: Database<WalletDb>,
    private readonly ownsDatabase: boolean,
    cached: boolean,
    writerFile: string | undefined,
  ) {
    this.engine = database.engine;
    this.statements = new Statements(database.engine, database.db);
    this.cache = cached ? new LedgerStateCache() : undefined;
    this.writer = cached && writerFile ? new SqliteWriter(writerFile) : undefined;
    this.committedState = this.loader(database.db, false);
  }

  /** Migrates (idempotently) and returns the store. */
  static async open(database: Database<WalletDb>, options: SqlLedgerStoreOptions = {}): Promise<SqlLedgerStore> {
    await migrate(database.db as Kysely<unknown>, "wallet", walletMigrations(database.engine));
    // A 64 MiB page cache keeps the balance and entry indexes in memory under batch writes.
    if (database.engine === "sqlite") await sql`PRAGMA cache_size = -65536`.execute(database.db);
    const cached = options.cached ?? true;
    const file = database.engine === "sqlite" ? database.url.slice("sqlite:".length) : "";
    const writerFile = file !== "" && file !== ":memory:" && (options.writerThread ?? true) ? file : undefined;
    return new SqlLedgerStore(database, options.ownsDatabase ?? true, cached, writerFile);
  }

  private get db(): Kysely<WalletDb> {
    return this.database.db;
  }

  async execute(commands: readonly Command[]): Promise<Outcome[]> {
    if (commands.length === 0) return [];
    return this.cache ? this.executeCached(commands, this.cache) : this.executeLocked(commands);
  }

  /**
   * The fast path: plan against the in-memory working set (reading only what it has not seen),
   * write conditionally, and let the next batch plan while this one commits. Batches are planned
   * and committed in submission order. A conditional write that finds a row changed behind the
   * cache (another writer) refuses the batch: the cache starts over and the batch runs through
   * the locking path, as does every batch planned before that.
   */
  private async executeCached(commands: readonly Command[], cache: LedgerStateCache): Promise<Outcome[]> {
    const turn = this.planning;
    let release!: () => void;
    this.planning = new Promise<void>((resolve) => (release = resolve));
    let planned: BatchResult | undefined;
    let generation: number;
    let commit: Promise<Outcome[]>;
    try {
      await turn;
      // After the cache was cleared, plan only once every earlier batch is in the store.
      if (this.drainBeforePlanning) {
        await this.committing;
        this.drainBeforePlanning = false;
      }
      generation = this.generation;
      try {
        planned = await runBatch(commands, cache.loader(this.committedState));
        if (generation === this.generation) cache.absorb(planned.writes);
      } catch {
        planned = undefined;
      }
      const previous = this.committing;
      commit = this.commitInTurn(previous, commands, planned, generation, cache);
      this.committing = commit.then(
        () => undefined,
        () => undefined,
      );
    } finally {
      release();
    }
    return commit;
  }

  private async commitInTurn(previous: Promise<void>, commands: readonly Command[], planned: BatchResult | undefined, generation: number, cache: LedgerStateCache): Promise<Outcome[]> {
    await previous;
    if (planned && generation === this.generation) {
      try {
        if (this.writer) {
          await this.writer.write(this.writerStatements(planned.writes));
        } else {
          await this.db.transaction().execute((trx) => this.write(trx, planned.writes, true));
        }
        cache.committed(planned.writes);
        return await this.confirmRefusals(commands, planned.outcomes, generation, cache);
      } catch {
        // A row changed behind the cache (StaleState), a refusal (CHECK, unique violation) or a
        // transient failure: the locking path below runs the batch again and retries or reports it.
      }
    }
    if (generation === this.generation) {
      this.generation += 1;
      this.drainBeforePlanning = true;
      cache.clear();
    }
    this.fallbacks += 1;
    return this.executeLocked(commands);
  }

  /**
   * Refusals planned on the working set, checked against the store on PostgreSQL, where other
   * replicas write too: the set may be behind (a balance another replica raised), and a write made
   * from it would be refused by its conditions, but a refusal writes nothing to be refused. Each
   * refused command runs again under row locks, after the batch's other commands; if one then
   * changes the store, the working set starts over (as after a conditional write refused). SQLite
   * has one writer, this one: its working set is the store.
   */
  private async confirmRefusals(commands: readonly Command[], outcomes: Outcome[], generation: number, cache: LedgerStateCache): Promise<Outcome[]> {
    if (this.engine !== "postgres") return outcomes;
    const refused: number[] = [];
    for (let index = 0; index < outcomes.length; index += 1) if (!outcomes[index]!.ok) refused.push(index);
    if (refused.length === 0) return outcomes;
    const again = await this.executeLocked(refused.map((index) => commands[index]!));
    let changed = false;
    refused.forEach((index, at) => {
      const outcome = again[at]!;
      outcomes[index] = outcome;
      if (outcome.ok && !outcome.duplicate) changed = true;
    });
    if (changed && generation === this.generation) {
      this.generation += 1;
      this.drainBeforePlanning = true;
      cache.clear();
    }
    return outcomes;
  }

  private async executeLocked(commands: readonly Command[]): Promise<Outcome[]> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const { outcomes, writes } = await runBatch(commands, this.loader(trx, true));
          await this.write(trx, writes, false);
          return outcomes;
        });
      } catch (error) {
        const kind = classify(error);
        if (kind === CHECK_VIOLATION) {
          // The planner let something through that the database refuses: isolate the culprit.
          if (commands.length > 1) return this.executeOneByOne(commands);
          const failure = new DomainError("INSUFFICIENT_BALANCE", undefined, [], { refusedBy: "store" });
          return [{ ok: false, error: failure }];
        }
        if (kind === "retry" && attempt < MAX_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
          continue;
        }
        throw error;
      }
    }
  }

  private async executeOneByOne(commands: readonly Command[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const command of commands) outcomes.push(...(await this.executeLocked([command])));
    return outcomes;
  }

  /**
   * Reads for planning. `locking`: inside the batch's transaction, rows locked (PostgreSQL);
   * otherwise committed state, for the cached path whose writes are conditional.
   */
  private loader(trx: Kysely<WalletDb> | Transaction<WalletDb>, locking: boolean): StateLoader {
    const q = this.statements;
    const selectBalances = locking ? q.selectBalances : q.readBalances;
    const selectDocs = locking ? q.selectDocs : q.readDocs;
    return {
      transfers: async (ids) => {
        const records: TransferRecord[] = [];
        for (const part of chunks(ids, BULK)) {
          const { rows } = await trx.executeQuery(q.bind(q.selectTransfers, part));
          for (const row of rows) records.push(toTransfer(row as TransfersTable));
        }
        return records;
      },
      balances: async (keys) => {
        const wanted = new Set(keys.map((key) => `${key.account}\u001f${key.asset}`));
        const accounts = [...new Set(keys.map((key) => key.account))].sort();
        const rows: BalanceRow[] = [];
        for (const part of chunks(accounts, BULK)) {
          const found = await trx.executeQuery(q.bind(selectBalances, part));
          for (const row of found.rows as BalancesTable[]) if (wanted.has(`${row.account}\u001f${row.asset}`)) rows.push(toBalance(row));
        }
        return rows;
      },
      docs: async (ids) => {
        const docs: VersionedDoc[] = [];
        for (const part of chunks([...ids].sort(), BULK)) {
          const found = await trx.executeQuery(q.bind(selectDocs, part));
          for (const row of found.rows as Pick<DocsTable, "body" | "version">[]) docs.push({ doc: decodeDoc(row.body), version: Number(row.version) });
        }
        return docs;
      },
    };
  }

  /** Writes a planned batch inside `trx` (see plannedWrites). */
  private async write(trx: Transaction<WalletDb>, writes: BatchWrites, conditional: boolean): Promise<void> {
    const q = this.statements;
    for (const { name, rows, checked } of this.plannedWrites(writes, conditional)) {
      for (const part of chunks(rows, BULK)) {
        const result = await trx.executeQuery(q.bind(q[name], part));
        if (checked) {
          const changed = Number(result.numAffectedRows ?? 0n);
          if (changed !== part.length) throw new StaleState(`${part.length - changed} of ${part.length} rows changed since they were read`);
        }
      }
    }
  }

  /** The same writes for SQLite's writer thread: each statement's SQL and its one JSON parameter. */
  private writerStatements(writes: BatchWrites): WriteStatement[] {
    const q = this.statements;
    const out: WriteStatement[] = [];
    for (const { name, rows, checked } of this.plannedWrites(writes, true)) {
      for (const part of chunks(rows, BULK)) out.push({ sql: q[name].sql, parameter: JSON.stringify(part), expect: checked ? part.length : -1 });
    }
    return out;
  }

  /**
   * What writing a planned batch takes, in order: each statement with its rows. `conditional`:
   * rows were not locked when read, so each update applies only if the row still holds what the
   * batch was planned against; `checked` statements must change exactly as many rows as they
   * name (fewer: StaleState, the transaction rolls back).
   */
  private plannedWrites(writes: BatchWrites, conditional: boolean): PlannedWrite[] {
    const out: PlannedWrite[] = [];
    const add = (name: PlannedWrite["name"], rows: unknown[][], checked: boolean) => {
      if (rows.length > 0) out.push({ name, rows, checked });
    };
    const fresh: unknown[][] = [];
    const changed: unknown[][] = [];
    for (const write of writes.balances) {
      const after = write.after;
      if (write.before === null) fresh.push([write.account, write.asset, decimal(after.available), decimal(after.locked), decimal(after.pending)]);
      else if (conditional) {
        const before = write.before;
        changed.push([decimal(after.available), decimal(after.locked), decimal(after.pending), write.account, write.asset, decimal(before.available), decimal(before.locked), decimal(before.pending)]);
      } else changed.push([write.account, write.asset, decimal(after.available), decimal(after.locked), decimal(after.pending)]);
    }
    // New rows: a plain INSERT, so a concurrent creator makes one of us retry instead of overwriting.
    // Existing rows: one UPDATE ... FROM writes the netted values (the CHECK constraints still apply).
    add("insertBalances", fresh, false);
    add(conditional ? "updateBalancesIfUnchanged" : "updateBalances", changed, conditional);
    const newDocs: unknown[][] = [];
    const oldDocs: unknown[][] = [];
    const sameDue: unknown[][] = [];
    for (const write of writes.docs) {
      const doc = write.doc;
      const due = docDue(doc);
      const awaiting = docAwaitingSince(doc);
      if (conditional && write.beforeVersion > 0) {
        // Most updates (a hold a settlement draws on) leave the due time and the approval queue as
        // they were: not naming those columns spares SQLite an index delete + insert per row. An
        // approval or rejection changes awaiting_since (to null), so it takes the full update.
        if (due === write.beforeDue && awaiting === write.beforeAwaiting) sameDue.push([write.version, encodeDoc(doc), doc.id, write.beforeVersion]);
        else oldDocs.push([write.version, due, awaiting, encodeDoc(doc), doc.id, write.beforeVersion]);
      } else (write.beforeVersion === 0 ? newDocs : oldDocs).push([doc.id, doc.type, doc.account, write.version, due, awaiting, doc.createdAt, encodeDoc(doc)]);
    }
    add("insertDocs", newDocs, false);
    add(conditional ? "updateDocsIfUnchanged" : "updateDocs", oldDocs, conditional);
    add("updateDocBodiesIfUnchanged", sameDue, true);
    add(
      "insertTransfers",
      writes.transfers.map((record) => [record.id, record.kind, record.fingerprint, JSON.stringify(record.result), record.time]),
      false,
    );
    // One history row per account for the whole batch, entries in command order. Its entries go
    // as a JSON string inside the parameter: the engines copy a string out, where a nested array
    // would be parsed and written out again (measured: 2x the cost of this statement).
    const byAccount = new Map<string, unknown[][]>();
    for (const entry of writes.entries) {
      let list = byAccount.get(entry.account);
      if (!list) byAccount.set(entry.account, (list = []));
      list.push([entry.transferId, entry.kind, entry.asset, decimal(entry.available), decimal(entry.locked), decimal(entry.pending), entry.time]);
    }
    const history: unknown[][] = [];
    for (const [account, list] of byAccount) history.push([account, JSON.stringify(list)]);
    add("insertHistory", history, false);
    return out;
  }

  async balances(account: string): Promise<BalanceRow[]> {
    const rows = await this.db.selectFrom("wallet_balances").selectAll().where("account", "=", account).orderBy("asset").execute();
    return rows.map(toBalance);
  }

  /** Read for each hold, release and settlement not in the working set: compiled once. */
  private readonly docById = preparedQuery(1, (id: string) => this.db.selectFrom("wallet_docs").select(["body", "version"]).where("id", "=", id));

  async doc(id: string): Promise<VersionedDoc | undefined> {
    const [row] = (await this.docById(this.db, id)).rows;
    return row ? { doc: decodeDoc(row.body), version: row.version } : undefined;
  }

  async transfer(id: string): Promise<TransferRecord | undefined> {
    const row = await this.db.selectFrom("wallet_transfers").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toTransfer(row) : undefined;
  }

  async listDocs(account: string, type: DocType, page: PageRequest): Promise<Page<Doc>> {
    const size = pageSize(page);
    let query = this.db
      .selectFrom("wallet_docs")
      .select(["body", "created", "id"])
      .where("account", "=", account)
      .where("type", "=", type)
      .orderBy("created", "desc")
      .orderBy("id", "desc")
      .limit(size + 1);
    if (page.token !== "") {
      const at = page.token.indexOf(":");
      const created = Number(page.token.slice(0, at));
      const id = page.token.slice(at + 1);
      query = query.where((eb) => eb.or([eb("created", "<", created), eb.and([eb("created", "=", created), eb("id", "<", id)])]));
    }
    const rows = await query.execute();
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return { items: items.map((row) => decodeDoc(row.body)), next: rows.length > size && last ? `${toNumber(last.created)}:${last.id}` : "" };
  }

  async dueDocs(type: DocType, now: number, limit: number): Promise<Doc[]> {
    const rows = await this.db
      .selectFrom("wallet_docs")
      .select(["body"])
      .where("type", "=", type)
      .where("due", "is not", null)
      .where("due", "<=", now)
      .orderBy("due")
      .limit(limit)
      .execute();
    return rows.map((row) => decodeDoc(row.body));
  }

  async awaitingApproval(page: PageRequest): Promise<Page<WithdrawalDoc>> {
    const size = pageSize(page);
    const after = decodeQueueCursor(page.token);
    // `awaiting_since IS NOT NULL` is the partial index's own predicate: the index holds only
    // the waiting withdrawals, in this order, so the page is read from it alone.
    const rows = await this.db
      .selectFrom("wallet_docs")
      .select(["body", "awaiting_since", "id"])
      .where("awaiting_since", "is not", null)
      .$if(after !== undefined, (query) => query.where((eb) => eb(eb.refTuple("awaiting_since", "id"), ">", eb.tuple(after!.since, after!.id))))
      .orderBy("awaiting_since")
      .orderBy("id")
      .limit(size + 1)
      .execute();
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => decodeDoc(row.body) as WithdrawalDoc),
      next: rows.length > size && last ? encodeQueueCursor({ since: toNumber(last.awaiting_since!), id: last.id }) : "",
    };
  }

  async entries(account: string, asset: string, page: PageRequest): Promise<Page<LedgerEntry>> {
    const size = pageSize(page);
    // Token `seq:index`: continue in history row `seq` below entry `index` (rows are newest first,
    // entries within a row oldest first).
    let seq = Number.POSITIVE_INFINITY;
    let below = Number.POSITIVE_INFINITY;
    if (page.token !== "") {
      const [rowSeq, index] = page.token.split(":");
      seq = Number(rowSeq);
      below = Number(index ?? Number.POSITIVE_INFINITY);
    }
    const items: LedgerEntry[] = [];
    let next = "";
    const ROWS = 64;
    for (;;) {
      const rows = await this.db
        .selectFrom("wallet_history")
        .select(["seq", "entries"])
        .where("account", "=", account)
        .$if(Number.isFinite(seq), (query) => query.where("seq", "<=", seq))
        .orderBy("seq", "desc")
        .limit(ROWS)
        .execute();
      for (const row of rows) {
        const rowSeq = Number(row.seq);
        const packed = JSON.parse(row.entries) as PackedEntry[];
        for (let index = Math.min(packed.length, rowSeq === seq ? below : packed.length) - 1; index >= 0; index -= 1) {
          const entry = packed[index]!;
          if (asset !== "" && entry[2] !== asset) continue;
          if (items.length === size) {
            next = `${rowSeq}:${index + 1}`;
            return { items, next };
          }
          items.push(unpackEntry(account, entry));
        }
      }
      if (rows.length < ROWS) return { items, next };
      seq = Number(rows[rows.length - 1]!.seq) - 1;
      below = Number.POSITIVE_INFINITY;
    }
  }

  async audit(): Promise<LedgerAudit> {
    const balances = new Map<string, bigint>();
    const negative: BalanceRow[] = [];
    for (const row of (await this.db.selectFrom("wallet_balances").selectAll().execute()).map(toBalance)) {
      balances.set(row.asset, (balances.get(row.asset) ?? 0n) + row.available + row.locked + row.pending);
      if (row.available < 0n || row.locked < 0n || row.pending < 0n) negative.push(row);
    }
    // The flows of the two counterparties outside the books, negated: what came in through each.
    const inflowOf = async (account: string) => {
      const flow = new Map<string, bigint>();
      const rows = await this.db.selectFrom("wallet_history").select("entries").where("account", "=", account).execute();
      for (const row of rows) {
        for (const entry of JSON.parse(row.entries) as PackedEntry[]) flow.set(entry[2], (flow.get(entry[2]) ?? 0n) - toUnits(entry[3]));
      }
      return flow;
    };
    const netInflow = await inflowOf(EXTERNAL_ACCOUNT);
    const adjustments = await inflowOf(ADJUSTMENT_ACCOUNT);
    const count = await this.db.selectFrom("wallet_transfers").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
    return { balances, netInflow, adjustments, negative, transfers: Number(count.n) };
  }

  async close(): Promise<void> {
    await this.committing;
    await this.writer?.close();
    if (this.ownsDatabase) await this.database.close();
  }
}

function pageSize(page: PageRequest): number {
  return page.size > 0 ? Math.min(page.size, 1000) : 100;
}

function toBalance(row: BalancesTable): BalanceRow {
  return { account: row.account, asset: row.asset, available: toUnits(row.available), locked: toUnits(row.locked), pending: toUnits(row.pending) };
}

/** [transferId, kind, asset, available, locked, pending, time] */
type PackedEntry = [string, CommandKind, string, string, string, string, number];

function unpackEntry(account: string, entry: PackedEntry): LedgerEntry {
  return { transferId: entry[0], kind: entry[1], account, asset: entry[2], available: toUnits(entry[3]), locked: toUnits(entry[4]), pending: toUnits(entry[5]), time: entry[6] };
}

function toTransfer(row: TransfersTable): TransferRecord {
  return { id: row.id, kind: row.kind as CommandKind, fingerprint: row.fingerprint, result: JSON.parse(row.result) as Record<string, string>, time: toNumber(row.time) };
}
