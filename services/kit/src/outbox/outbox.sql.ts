/**
 * A transactional outbox in a service's own database (SQLite or PostgreSQL through Kysely): the service inserts its
 * notifications in the same transaction as the change they tell of, and an OutboxRelay publishes them and deletes
 * them. A crash between publishing and deleting publishes again with the same event ids (consumers deduplicate), so
 * the delete's commit is not flushed to disk on its own (relaxedCommit): a power cut may undo it, which publishes again.
 */
import { sql, type Kysely, type Migration, type Transaction } from "kysely";
import { relaxedCommit } from "../db/relaxed-commit.js";
import type { NotificationEvent } from "../ports/notifier.port.js";
import type { OutboxBatch, OutboxSource } from "./outbox-relay.js";

interface OutboxRow {
  id: string;
  created: number | string;
  body: string;
}

/** The migration creating `table` (idempotent). */
export function outboxMigration(table: string): Migration {
  return {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable(table)
        .ifNotExists()
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("created", "bigint", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex(`${table}_created`).ifNotExists().on(table).columns(["created", "id"]).execute();
    },
  };
}

type AnyDb = Kysely<Record<string, OutboxRow>>;

export class SqlOutbox implements OutboxSource {
  constructor(
    private readonly db: Kysely<never>,
    readonly table: string,
  ) {}

  /** Inserts inside the caller's transaction; an event id already waiting is left as it is. */
  static async insert(tx: Transaction<never> | Kysely<never>, table: string, events: readonly NotificationEvent[], created: number): Promise<void> {
    if (events.length === 0) return;
    const db = tx as unknown as AnyDb;
    for (let from = 0; from < events.length; from += 500) {
      await db
        .insertInto(table)
        .values(events.slice(from, from + 500).map((event) => ({ id: event.id, created, body: JSON.stringify(event) })))
        .onConflict((c) => c.column("id").doNothing())
        .execute();
    }
  }

  async pending(limit: number): Promise<OutboxBatch> {
    const db = this.db as unknown as AnyDb;
    const rows = await db.selectFrom(this.table).select(["id", "body"]).orderBy("created").orderBy("id").limit(limit).execute();
    return {
      events: rows.map((row) => JSON.parse(row.body) as NotificationEvent),
      done: async () => {
        if (rows.length === 0) return;
        const ids = rows.map((row) => row.id);
        await relaxedCommit(db, (tx) => tx.deleteFrom(this.table).where("id", "in", ids).execute());
      },
    };
  }

  async size(): Promise<number> {
    const { rows } = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(this.table)}`.execute(this.db);
    return Number(rows[0]?.n ?? 0);
  }
}
