import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "kysely";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { openDatabase, type Database } from "#kit/db/database.js";

// The SQLite connection reuses its prepared statements: Kysely prepares every query it runs.

interface Db {
  items: { id: number; name: string; note?: string | null };
}

const dir = mkdtempSync(join(tmpdir(), "kit-db-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let opened: Database<Db> | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await opened?.close();
  opened = undefined;
});

async function open(name: string): Promise<Database<Db>> {
  opened = openDatabase<Db>(`sqlite:${join(dir, name)}`);
  await sql`CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`.execute(opened.db);
  return opened;
}

describe("openDatabase (SQLite)", () => {
  it("prepares a query once and runs it again from the cache, with each run's own parameters", async () => {
    const { db } = await open("reuse.sqlite");
    const prepare = vi.spyOn(BetterSqlite3.prototype, "prepare");
    for (let id = 1; id <= 50; id += 1) await db.insertInto("items").values({ id, name: `item-${id}` }).execute();
    const names = [];
    for (const id of [7, 42, 3]) names.push((await db.selectFrom("items").select("name").where("id", "=", id).executeTakeFirstOrThrow()).name);
    expect(names).toEqual(["item-7", "item-42", "item-3"]);
    // One INSERT text and one SELECT text: two prepares for 53 queries.
    expect(prepare).toHaveBeenCalledTimes(2);
  });

  it("keeps transactions working through cached BEGIN/COMMIT/ROLLBACK statements", async () => {
    const { db } = await open("transactions.sqlite");
    for (let round = 0; round < 3; round += 1) {
      await db.transaction().execute((trx) => trx.insertInto("items").values({ id: round, name: "kept" }).execute());
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto("items").values({ id: 100 + round, name: "rolled back" }).execute();
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
    }
    expect((await db.selectFrom("items").select("name").execute()).map((row) => row.name)).toEqual(["kept", "kept", "kept"]);
  });

  it("sees a column added after the statement was cached", async () => {
    const { db } = await open("schema.sqlite");
    await db.insertInto("items").values({ id: 1, name: "one" }).execute();
    expect(await db.selectFrom("items").selectAll().execute()).toEqual([{ id: 1, name: "one" }]);
    await sql`ALTER TABLE items ADD COLUMN note TEXT`.execute(db);
    expect(await db.selectFrom("items").selectAll().execute()).toEqual([{ id: 1, name: "one", note: null }]);
  });
});
