import { afterAll, beforeAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import { freshPgSchema } from "../../support/postgres.js";
import { orderStoreContract } from "./order-store.contract.js";

// One contract, two engines: SQLite (as embedded mode runs it) and the real PostgreSQL.

let sqliteDir: string;
let sqlite: Database<OrderTables>;
let postgres: Database<OrderTables>;
let dropSchema: () => Promise<void>;

beforeAll(async () => {
  sqliteDir = mkdtempSync(join(tmpdir(), "order-store-"));
  sqlite = openDatabase<OrderTables>(`sqlite:${join(sqliteDir, "order.sqlite")}`);
  await migrate(sqlite.db as never, "order", orderStoreMigrations);
  const schema = await freshPgSchema("order_contract");
  dropSchema = schema.drop;
  postgres = openDatabase<OrderTables>(schema.url);
  await migrate(postgres.db as never, "order", orderStoreMigrations);
  await migrate(postgres.db as never, "order", orderStoreMigrations);
});

afterAll(async () => {
  await sqlite?.close();
  await postgres?.close();
  await dropSchema?.();
  rmSync(sqliteDir, { recursive: true, force: true });
});

orderStoreContract("sqlite", () => new SqlOrderStore(sqlite.db as Kysely<OrderTables>));
orderStoreContract("postgres", () => new SqlOrderStore(postgres.db as Kysely<OrderTables>));
