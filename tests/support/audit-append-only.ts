import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import { lazySqlAuditLog } from "#kit/audit/audit-log.sql.js";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { AUTH_AUDIT_LOG, authMigrations } from "../../services/auth/src/adapters/user-store.sql.js";
import { orderStoreMigrations } from "../../services/order/src/adapters/order-store.sql.js";
import { ORDER_AUDIT_LOG, orderMigrations } from "../../services/order/src/adapters/symbol-store.sql.js";

/** A database to migrate (its URL) and forget afterwards. */
export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

const entry = { time: 1, actor: "op-1", action: "symbol.halt", target: "BTCUSDT", reason: "incident 7", before_json: "{}", after_json: "{}" };

/**
 * Each service's audit table, migrated as the service migrates it, takes an INSERT and refuses UPDATE, DELETE (and
 * TRUNCATE on PostgreSQL) from a plain connection to the same database: the log is append-only in the database.
 */
export function auditAppendOnlySuite(engine: "sqlite" | "postgres", scratch: () => Promise<ScratchDatabase>): void {
  const services: { name: string; table: string; prepare(url: string): Promise<void> }[] = [
    { name: "order", table: ORDER_AUDIT_LOG, prepare: (url) => migrated(url, "order", { ...orderMigrations, ...orderStoreMigrations }) },
    { name: "auth", table: AUTH_AUDIT_LOG, prepare: (url) => migrated(url, "auth", authMigrations) },
    {
      name: "wallet",
      table: "wallet_audit_log",
      prepare: async (url) => {
        const log = lazySqlAuditLog(url, "wallet_admin", "wallet_audit_log");
        await log.list({ limit: 1 }); // opens and migrates it, as wallet's first use does
        await log.close();
      },
    },
  ];

  describe(`audit logs are append-only in the database: ${engine}`, () => {
    for (const service of services) {
      it(`${service.name}: ${service.table} takes an INSERT, refuses UPDATE and DELETE${engine === "postgres" ? " and TRUNCATE" : ""}`, async () => {
        const database = await scratch();
        try {
          await service.prepare(database.url);
          // Prepared twice (a restart): the migration is applied once and nothing fails.
          await service.prepare(database.url);
          const opened = openDatabase<never>(database.url);
          const db = opened.db as unknown as Kysely<Record<string, typeof entry>>;
          try {
            await db.insertInto(service.table).values(entry).execute();
            await db.insertInto(service.table).values({ ...entry, target: "ETHUSDT" }).execute();
            const before = await db.selectFrom(service.table).selectAll().orderBy("target").execute();
            expect(before.map((row) => row.target)).toEqual(["BTCUSDT", "ETHUSDT"]);

            await expect(db.updateTable(service.table).set({ reason: "rewritten" }).execute()).rejects.toThrow(/append-only/);
            await expect(db.deleteFrom(service.table).where("target", "=", "BTCUSDT").execute()).rejects.toThrow(/append-only/);
            await expect(db.deleteFrom(service.table).execute()).rejects.toThrow(/append-only/);
            if (engine === "postgres") await expect(sql`truncate table ${sql.table(service.table)}`.execute(db)).rejects.toThrow(/append-only/);

            expect(await db.selectFrom(service.table).selectAll().orderBy("target").execute()).toEqual(before);
          } finally {
            await opened.close();
          }
        } finally {
          await database.drop();
        }
      });
    }
  });
}

async function migrated(url: string, service: string, migrations: Parameters<typeof migrate>[2]): Promise<void> {
  const database = openDatabase<unknown>(url);
  try {
    await migrate(database.db, service, migrations);
  } finally {
    await database.close();
  }
}

/** A SQLite file in a fresh temporary directory (several connections see one database). */
export async function scratchSqlite(): Promise<ScratchDatabase> {
  const dir = await mkdtemp(join(tmpdir(), "audit-append-only-"));
  return { url: `sqlite:${join(dir, "db.sqlite")}`, drop: () => rm(dir, { recursive: true, force: true }) };
}
