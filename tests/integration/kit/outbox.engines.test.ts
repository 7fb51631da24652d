// The SQL outbox on both engines: events inserted with a change are read oldest first and forgotten once published;
// the forgetting commits relaxed (not flushed on its own) and leaves the connection's durability as it was. A
// database opened "rebuildable" (a projection) commits relaxed throughout; the default flushes each commit.
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql, type Kysely } from "kysely";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { relaxedCommit } from "#kit/db/relaxed-commit.js";
import { outboxMigration, SqlOutbox } from "#kit/outbox/outbox.sql.js";
import { freshPgSchema } from "../../support/postgres.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function sqliteUrl(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "outbox-"));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return `sqlite:${join(dir, "outbox.sqlite")}`;
}

async function pgUrl(): Promise<string> {
  const schema = await freshPgSchema("kit_outbox");
  cleanups.push(schema.drop);
  return schema.url;
}

/** What a commit on this connection does now: SQLite's synchronous (2 FULL, 1 NORMAL), PostgreSQL's synchronous_commit. */
async function durability(db: Kysely<never>, engine: string): Promise<string> {
  if (engine === "postgres") return (await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(db)).rows[0]!.synchronous_commit;
  return String((await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db)).rows[0]!.synchronous);
}

describe.each([
  // SQLite commits NORMAL and flushes by group commit (tests/unit/kit/group-commit.test.ts): the pragma is 1 throughout.
  ["sqlite", sqliteUrl, { durable: "1", relaxed: "1" }],
  // The loopback server runs with synchronous_commit off for speed (tests/infra): durable is its setting, here.
  ["postgres", pgUrl, { durable: undefined, relaxed: "off" }],
])("SQL outbox on %s", (engine, url, settings) => {
  it("reads events oldest first, forgets a published batch (committed relaxed), and keeps the connection durable", async () => {
    const database: Database<never> = openDatabase<never>(await url());
    cleanups.push(() => database.close());
    const durable = settings.durable ?? (await durability(database.db, engine));
    await migrate(database.db as never, "kitoutbox", { "001_outbox": outboxMigration("kit_outbox") });
    const events = Array.from({ length: 5 }, (_, i) => ({ id: `e-${i}`, type: "exchange.test.v1", payload: { amount: `0.0000000${i}` } }));
    await database.db.transaction().execute((tx) => SqlOutbox.insert(tx, "kit_outbox", events.slice(0, 3), 1));
    await SqlOutbox.insert(database.db, "kit_outbox", [...events.slice(3), events[0]!], 2); // e-0 again: kept once
    const outbox = new SqlOutbox(database.db, "kit_outbox");
    expect(await outbox.size()).toBe(5);

    const first = await outbox.pending(3);
    expect(first.events).toEqual(events.slice(0, 3));
    await first.done();
    expect(await durability(database.db, engine)).toBe(durable);
    const rest = await outbox.pending(10);
    expect(rest.events).toEqual(events.slice(3));
    await rest.done();
    expect(await outbox.size()).toBe(0);
    expect((await outbox.pending(10)).events).toEqual([]);

    // Inside the relaxed commit the setting is relaxed; after it, durable again.
    expect(await relaxedCommit(database.db, (tx) => durability(tx as never, engine))).toBe(settings.relaxed);
    expect(await durability(database.db, engine)).toBe(durable);
  });

  it("opens a rebuildable database (a projection) with every commit relaxed", async () => {
    const database = openDatabase<never>(await url(), { durability: "rebuildable" });
    cleanups.push(() => database.close());
    expect(await durability(database.db, engine)).toBe(settings.relaxed);
    expect(await relaxedCommit(database.db, (tx) => durability(tx as never, engine))).toBe(settings.relaxed);
    expect(await durability(database.db, engine)).toBe(settings.relaxed);
  });
});
