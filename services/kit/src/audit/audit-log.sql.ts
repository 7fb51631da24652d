/**
 * The audit log in a service's own database (SQLite or PostgreSQL through Kysely), one table per service. Rows are
 * only inserted: nothing here updates or deletes them, and the database itself refuses to (appendOnlyAuditMigration).
 * A store appends inside its own transaction (appendAudit) so an action and its record are committed together.
 */
import { PostgresAdapter, sql, type Kysely, type Migration, type Transaction } from "kysely";
import { auditJson, type AuditEntry, type AuditLog, type AuditQuery, type AuditRecord } from "../ports/audit-log.port.js";

interface AuditRow {
  id: number | string | bigint;
  time: number | string | bigint;
  actor: string;
  action: string;
  target: string;
  reason: string;
  before_json: string;
  after_json: string;
}

type AnyDb = Kysely<Record<string, AuditRow>>;

/** The migration creating `table` (idempotent): ids from the engine's own sequence. */
export function auditLogMigration(table: string): Migration {
  return {
    up: async (db: Kysely<unknown>) => {
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      await db.schema
        .createTable(table)
        .ifNotExists()
        .addColumn("id", postgres ? "bigserial" : "integer", (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
        .addColumn("time", "bigint", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("target", "text", (c) => c.notNull())
        .addColumn("reason", "text", (c) => c.notNull())
        .addColumn("before_json", "text", (c) => c.notNull())
        .addColumn("after_json", "text", (c) => c.notNull())
        .execute();
    },
  };
}

/**
 * The migration making `table` append-only in the database itself (idempotent): on PostgreSQL a trigger function
 * raising an exception, fired before every UPDATE or DELETE row and before TRUNCATE; on SQLite BEFORE UPDATE and
 * BEFORE DELETE triggers that RAISE(ABORT) (SQLite has no TRUNCATE; DROP TABLE stays an owner's act on either engine).
 * Whoever writes through the service's own connection can then only insert.
 */
export function appendOnlyAuditMigration(table: string): Migration {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`audit table name ${table} is not a plain identifier`);
  return {
    up: async (db: Kysely<unknown>) => {
      const name = sql.raw(table);
      const fn = sql.raw(`${table}_append_only`);
      const message = sql.lit(`${table} is append-only`);
      if (db.getExecutor().adapter instanceof PostgresAdapter) {
        await sql`create or replace function ${fn}() returns trigger language plpgsql as $$
          begin raise exception ${message} using errcode = 'insufficient_privilege'; end $$`.execute(db);
        await sql`drop trigger if exists ${sql.raw(`${table}_no_change`)} on ${name}`.execute(db);
        await sql`create trigger ${sql.raw(`${table}_no_change`)} before update or delete on ${name} for each row execute function ${fn}()`.execute(db);
        await sql`drop trigger if exists ${sql.raw(`${table}_no_truncate`)} on ${name}`.execute(db);
        await sql`create trigger ${sql.raw(`${table}_no_truncate`)} before truncate on ${name} for each statement execute function ${fn}()`.execute(db);
        return;
      }
      await sql`create trigger if not exists ${sql.raw(`${table}_no_update`)} before update on ${name} begin select raise(abort, ${message}); end`.execute(db);
      await sql`create trigger if not exists ${sql.raw(`${table}_no_delete`)} before delete on ${name} begin select raise(abort, ${message}); end`.execute(db);
    },
  };
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: Number(row.id),
    time: Number(row.time),
    actor: row.actor,
    action: row.action,
    target: row.target,
    reason: row.reason,
    beforeJson: row.before_json,
    afterJson: row.after_json,
  };
}

/** Appends `record` inside the caller's transaction (or alone) and answers it with its id. */
export async function appendAudit(tx: Transaction<never> | Kysely<never>, table: string, record: AuditRecord): Promise<AuditEntry> {
  const db = tx as unknown as AnyDb;
  const row = await db
    .insertInto(table)
    .values({
      time: record.time,
      actor: record.actor,
      action: record.action,
      target: record.target,
      reason: record.reason,
      before_json: auditJson(record.before),
      after_json: auditJson(record.after),
    } as never)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toEntry(row as AuditRow);
}

export class SqlAuditLog implements AuditLog {
  constructor(
    private readonly db: Kysely<never>,
    readonly table: string,
  ) {}

  append(record: AuditRecord): Promise<AuditEntry> {
    return appendAudit(this.db, this.table, record);
  }

  async list(query: AuditQuery): Promise<AuditEntry[]> {
    const db = this.db as unknown as AnyDb;
    let select = db.selectFrom(this.table).selectAll();
    if (query.beforeId) select = select.where("id", "<", query.beforeId as never);
    const rows = await select.orderBy("id", "desc").limit(query.limit).execute();
    return rows.map((row) => toEntry(row as AuditRow));
  }
}

/**
 * An audit log in a database of its own (`url`), opened and migrated on first use: a service whose store of record is
 * not SQL (wallet on DynamoDB) keeps its audit log there, and a database that is down delays only the back office.
 */
export function lazySqlAuditLog(url: string, service: string, table: string): AuditLog & { close(): Promise<void> } {
  let opened: Promise<{ log: SqlAuditLog; close(): Promise<void> }> | undefined;
  const open = () =>
    (opened ??= (async () => {
      const { openDatabase } = await import("../db/database.js");
      const { migrate } = await import("../db/migrate.js");
      const database = openDatabase<never>(url);
      try {
        await migrate(database.db as never, service, { "001_audit_log": auditLogMigration(table), "002_audit_log_append_only": appendOnlyAuditMigration(table) });
      } catch (error) {
        await database.close();
        throw error;
      }
      return { log: new SqlAuditLog(database.db, table), close: () => database.close() };
    })().catch((error: unknown) => {
      opened = undefined;
      throw error;
    }));
  return {
    append: async (record) => (await open()).log.append(record),
    list: async (query) => (await open()).log.list(query),
    close: async () => {
      if (opened) await (await opened.catch(() => undefined))?.close();
    },
  };
}
