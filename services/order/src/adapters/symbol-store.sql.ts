import type { Kysely, Migration } from "kysely";
import type { SymbolSpec } from "../domain/symbol.js";
import type { SymbolStore } from "../ports/symbol-store.port.js";

// One implementation for SQLite and PostgreSQL through Kysely.

export interface SymbolTable {
  symbol: string;
  spec: string;
}

export interface OrderDb {
  order_symbols: SymbolTable;
}

export const orderMigrations: Record<string, Migration> = {
  "001_symbols": {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable("order_symbols")
        .ifNotExists()
        .addColumn("symbol", "text", (column) => column.primaryKey())
        .addColumn("spec", "text", (column) => column.notNull())
        .execute();
    },
  },
};

export class SqlSymbolStore implements SymbolStore {
  constructor(private readonly db: Kysely<OrderDb>) {}

  async list(): Promise<SymbolSpec[]> {
    const rows = await this.db.selectFrom("order_symbols").select(["spec"]).orderBy("symbol").execute();
    return rows.map((row) => JSON.parse(row.spec) as SymbolSpec);
  }

  async seed(symbols: readonly SymbolSpec[]): Promise<void> {
    if (symbols.length === 0) return;
    await this.db
      .insertInto("order_symbols")
      .values(symbols.map((spec) => ({ symbol: spec.symbol, spec: JSON.stringify(spec) })))
      .onConflict((conflict) => conflict.column("symbol").doNothing())
      .execute();
  }
}
