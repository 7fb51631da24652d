import { afterAll, describe, expect, it } from "vitest";
import { sql, type Kysely } from "kysely";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { freshPgSchema } from "../../support/postgres.js";

// Two schemas of one PostgreSQL database (two test runs, two tenants): a service migrating in
// the second must get its own migration tables, not take the first schema's for its own.

const migrations = {
  "001_items": {
    up: async (db: Kysely<unknown>) => {
      await db.schema.createTable("kit_items").addColumn("id", "integer", (c) => c.primaryKey()).execute();
    },
  },
};

describe("migrations on PostgreSQL with several schemas", () => {
  const drops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it("migrates each schema on its own, with its own migration tables", async () => {
    const tables = async (url: string) => {
      const database = openDatabase<unknown>(url);
      try {
        await migrate(database.db, "kitmig", migrations);
        const { rows } = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = current_schema() order by 1`.execute(database.db);
        return rows.map((row) => row.name);
      } finally {
        await database.close();
      }
    };
    const first = await freshPgSchema("kit_migrate_a");
    drops.push(first.drop);
    const second = await freshPgSchema("kit_migrate_b");
    drops.push(second.drop);
    const expected = ["kit_items", "migrations_kitmig", "migrations_kitmig_lock"];
    expect(await tables(first.url)).toEqual(expected);
    expect(await tables(second.url)).toEqual(expected);
    // Migrating again changes nothing.
    expect(await tables(second.url)).toEqual(expected);
  });
});
