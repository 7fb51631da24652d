import { afterAll, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { authMigrations, SqlUserStore, type AuthDb } from "../../../services/auth/src/adapters/user-store.sql.js";
import { freshPgSchema } from "./support.js";
import { userStoreContract } from "./user-store.contract.js";

// One contract, two engines: SQLite (file, as embedded mode runs it) and the real PostgreSQL.

let sqliteDir: string;
let sqlite: Database<AuthDb>;
let postgres: Database<AuthDb>;
let dropSchema: () => Promise<void>;

beforeAll(async () => {
  sqliteDir = mkdtempSync(join(tmpdir(), "auth-store-"));
  sqlite = openDatabase<AuthDb>(`sqlite:${join(sqliteDir, "auth.sqlite")}`);
  await migrate(sqlite.db as never, "auth", authMigrations);
  const schema = await freshPgSchema("auth_contract");
  dropSchema = schema.drop;
  postgres = openDatabase<AuthDb>(schema.url);
  await migrate(postgres.db as never, "auth", authMigrations);
  await migrate(postgres.db as never, "auth", authMigrations); // idempotent
});

afterAll(async () => {
  await sqlite?.close();
  await postgres?.close();
  await dropSchema?.();
  rmSync(sqliteDir, { recursive: true, force: true });
});

userStoreContract("sqlite", () => new SqlUserStore(sqlite.db));
userStoreContract("postgres", () => new SqlUserStore(postgres.db));
