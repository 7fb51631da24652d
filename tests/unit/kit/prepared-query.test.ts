// A query of one shape compiled once: each call runs it with its own arguments, on the database or a transaction.
import { afterEach, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { openDatabase, type Database } from "#kit/db/database.js";
import { preparedQuery } from "#kit/db/prepared-query.js";

interface Tables {
  items: { id: number; owner: string; label: string };
}

let database: Database<Tables>;
afterEach(() => database?.close());

describe("preparedQuery", () => {
  it("runs the compiled query with each call's arguments, fixed values kept, in a transaction too", async () => {
    database = openDatabase<Tables>("sqlite::memory:");
    const { db } = database;
    await sql`create table items (id integer primary key, owner text not null, label text not null)`.execute(db);
    await db.insertInto("items").values([{ id: 1, owner: "alice", label: "a" }, { id: 2, owner: "bob", label: "b" }, { id: 3, owner: "alice", label: "c" }]).execute();
    let builds = 0;
    const ownedAbove = preparedQuery(2, (owner: string, above: number) => {
      builds += 1;
      return db.selectFrom("items").select(["id", "label"]).where("owner", "=", owner).where("id", ">", above).where("label", "!=", "zzz").orderBy("id");
    });
    expect((await ownedAbove(db, "alice", 0)).rows).toEqual([{ id: 1, label: "a" }, { id: 3, label: "c" }]);
    expect((await ownedAbove(db, "alice", 1)).rows).toEqual([{ id: 3, label: "c" }]);
    expect((await ownedAbove(db, "bob", 0)).rows).toEqual([{ id: 2, label: "b" }]);
    const relabel = preparedQuery(2, (label: string, id: number) => db.updateTable("items").set({ label }).where("id", "=", id));
    await db.transaction().execute(async (tx) => {
      await relabel(tx, "changed", 3);
      expect((await ownedAbove(tx, "alice", 1)).rows).toEqual([{ id: 3, label: "changed" }]);
    });
    expect(builds).toBe(1);
  });

  it("refuses a query whose argument is not a plain parameter", async () => {
    database = openDatabase<Tables>("sqlite::memory:");
    const { db } = database;
    const transformed = preparedQuery(1, (owner: string) => db.selectFrom("items").selectAll().where("owner", "=", owner.toUpperCase()));
    await expect(transformed(db, "alice")).rejects.toThrow(/1 of its 1 arguments are not plain parameters/);
  });
});
