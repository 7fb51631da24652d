import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CompiledQuery, sql, type Kysely } from "kysely";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import type { OrderQuery, TradeQuery } from "../../../services/order/src/domain/order-history.js";
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

// allOrders / myTrades read through an index on SQLite: every query shape the store sends for
// them, captured as sent, then EXPLAIN QUERY PLAN: a SEARCH on an index, never a SCAN or a sort
// of the account's whole history.
describe("history queries on SQLite", () => {
  it("search an index for every filter shape, with no temporary sort", async () => {
    const statements: { sql: string; parameters: readonly unknown[] }[] = [];
    const db = (sqlite.db as Kysely<OrderTables>).withPlugin({
      transformQuery: (args) => {
        const compiled = sqlite.db.getExecutor().compileQuery(args.node, args.queryId);
        statements.push({ sql: compiled.sql, parameters: compiled.parameters });
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const store = new SqlOrderStore(db);
    const orderQueries: OrderQuery[] = [{ limit: 5 }, { fromOrderId: 3, limit: 5 }, { startTime: 1, limit: 5 }, { endTime: 1, limit: 5 }, { startTime: 1, endTime: 2, limit: 5 }, { fromOrderId: 3, startTime: 1, endTime: 2, limit: 5 }];
    const tradeQueries: TradeQuery[] = [{ limit: 5 }, { orderId: 3, limit: 5 }, { orderId: 3, fromId: 2, limit: 5 }, { fromId: 2, limit: 5 }, { startTime: 1, limit: 5 }, { endTime: 1, limit: 5 }, { startTime: 1, endTime: 2, limit: 5 }];
    for (const query of orderQueries) await store.findOrders("alice", "BTCUSDT", query);
    for (const query of tradeQueries) await store.findTrades("alice", "BTCUSDT", query);
    expect(statements).toHaveLength(orderQueries.length + tradeQueries.length);
    for (const statement of statements) {
      const plan = await sqlite.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${statement.sql}`, [...statement.parameters]));
      const details = plan.rows.map((row) => row.detail).join(" | ");
      if (process.env.SHOW_PLANS) console.log(statement.sql, "=>", details);
      expect(details, statement.sql).toMatch(/^SEARCH order_(orders|trades) USING (COVERING )?INDEX order_(orders|trades)_account(_id|_time|_order)? \(account_id=\? AND symbol=\?/);
      expect(details, statement.sql).not.toMatch(/TEMP B-TREE|SCAN/);
    }
  });
});

// 003 adds the trade time column: trades stored before it get theirs from their body.
describe("003_order_history on trades stored before it", () => {
  for (const engine of ["sqlite", "postgres"] as const) {
    it(`fills in the time of older trades (${engine})`, async () => {
      const { url, done } = engine === "sqlite" ? { url: `sqlite:${join(sqliteDir, "old.sqlite")}`, done: async () => {} } : await freshPgSchema("order_old").then((schema) => ({ url: schema.url, done: schema.drop }));
      const old = openDatabase<OrderTables>(url);
      try {
        // Kysely would take another schema's migration table for this one's: name the schema.
        const schema = engine === "postgres" ? new URL(url).searchParams.get("options")!.split("=")[1] : undefined;
        await migrate(old.db as never, "order", { "002_orders": orderStoreMigrations["002_orders"] }, { schema });
        const body = (tradeId: number, time: number) => JSON.stringify({ symbol: "BTCUSDT", tradeId, orderId: 1, accountId: "alice", priceTicks: "1n", quantityLots: "1n", quoteUnits: "1n", isBuyer: true, isMaker: false, commissionUnits: "0n", commissionAsset: "BTC", time });
        await sql`INSERT INTO order_trades (symbol, trade_id, is_maker, account_id, order_id, body) VALUES ('BTCUSDT', 1, 0, 'alice', 1, ${body(1, 1_700_000_000_000)}), ('BTCUSDT', 2, 0, 'alice', 1, ${body(2, 1_700_000_100_000)})`.execute(old.db);
        await migrate(old.db as never, "order", orderStoreMigrations, { schema });
        const store = new SqlOrderStore(old.db as Kysely<OrderTables>);
        const found = await store.findTrades("alice", "BTCUSDT", { startTime: 1_700_000_050_000, endTime: 1_700_000_100_000, limit: 10 });
        expect(found.map((trade) => [trade.tradeId, trade.time])).toEqual([[2, 1_700_000_100_000]]);
      } finally {
        await old.close();
        await done();
      }
    });
  }
});
