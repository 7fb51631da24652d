// WAL checkpoints of a durable SQLite file run on the checkpoint thread: what is committed reaches the database file
// without a checkpoint on the main connection (its automatic one waits for 64 MiB of WAL), and closing the database
// closes the thread's connection too.
import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { openDatabase } from "#kit/db/database.js";
import { walCheckpointer } from "#kit/db/wal-checkpointer.js";

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the WAL checkpoint thread", () => {
  it("copies committed pages into the database file off the main connection, and lets go of it on close", async () => {
    dir = mkdtempSync(join(tmpdir(), "wal-checkpointer-"));
    const file = join(dir, "db.sqlite");
    const database = openDatabase<{ items: { id: number; body: string } }>(`sqlite:${file}`);
    await sql`create table items (id integer primary key, body text not null)`.execute(database.db);
    expect((await sql<{ wal_autocheckpoint: number }>`PRAGMA wal_autocheckpoint`.execute(database.db)).rows[0]!.wal_autocheckpoint).toBe(16384);
    const before = statSync(file).size;
    const rows = Array.from({ length: 2000 }, (_, id) => ({ id, body: `row ${id} `.repeat(10) }));
    for (let from = 0; from < rows.length; from += 200) await database.db.insertInto("items").values(rows.slice(from, from + 200)).execute();
    // ~200 KB committed to the WAL; the thread checkpoints it into the file.
    // (The thread's report of a checkpoint may arrive after the file has grown: wait for both.)
    await vi.waitFor(
      () => {
        expect(statSync(file).size).toBeGreaterThan(before + 150_000);
        expect(walCheckpointer.checkpoints.get(file) ?? 0).toBeGreaterThan(0);
      },
      { timeout: 10_000, interval: 100 },
    );
    expect((await database.db.selectFrom("items").select((eb) => eb.fn.countAll().as("n")).executeTakeFirst())?.n).toBe(2000);
    await database.close();
    // Every connection closed: SQLite removed the WAL (the last one to close checkpoints and deletes it).
    expect(() => statSync(`${file}-wal`)).toThrow();
  });
});
