import { afterAll, expect, it } from "vitest";
import { sql } from "kysely";
import pg from "pg";
import { openDatabase } from "#kit/db/database.js";
import { PG_URL, freshPgSchema } from "../../support/postgres.js";
import { until } from "../../support/until.js";

// PostgreSQL ends an idle connection (a restart, a failover, an administrator): the process goes on and the next
// query runs on a new connection. Without the pool's error listener the ended connection's error is uncaught, which
// ends a service (and fails this test file).

const drops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const drop of drops) await drop();
});

it("survives the server ending its idle connections, and queries again", async () => {
  const { url, drop } = await freshPgSchema("conn_ended");
  drops.push(drop);
  const database = openDatabase(url);
  try {
    const pid = async () => (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(database.db)).rows[0]!.pid;
    const first = await pid();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query("select pg_terminate_backend($1)", [first]);
      await until(async () => (await admin.query("select 1 from pg_stat_activity where pid = $1", [first])).rowCount === 0, 10_000);
    } finally {
      await admin.end();
    }
    expect(await pid()).not.toBe(first);
  } finally {
    await database.close();
  }
});
