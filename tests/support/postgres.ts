import { randomUUID } from "node:crypto";
import pg from "pg";

import { engines } from "./engines.js";

export const PG_URL = engines.pgUrl;

/**
 * A fresh PostgreSQL schema on the shared test server, and a URL whose connections use it
 * (search_path), so each run starts empty and leaves nothing behind after drop().
 */
export async function freshPgSchema(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `${prefix}_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}
