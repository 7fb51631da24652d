import type { Kysely, Migration } from "kysely";
import { appendAudit, appendOnlyAuditMigration, auditLogMigration } from "#kit/audit/audit-log.sql.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { AuditEntry, AuditRecord } from "#kit/ports/audit-log.port.js";
import type { SymbolSpec } from "../domain/symbol.js";
import type { SymbolStore } from "../ports/symbol-store.port.js";

/** The back office's audit log of the order service (symbols, account freezes). */
export const ORDER_AUDIT_LOG = "order_audit_log";

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
  "006_audit_log": auditLogMigration(ORDER_AUDIT_LOG),
  // The database refuses UPDATE, DELETE and TRUNCATE of the audit log, not only this code.
  "008_audit_log_append_only": appendOnlyAuditMigration(ORDER_AUDIT_LOG),
};

export class SqlSymbolStore implements SymbolStore {
  constructor(private readonly db: Kysely<OrderDb>) {}

  async list(): Promise<SymbolSpec[]> {
    const rows = await this.db.selectFrom("order_symbols").select(["spec"]).orderBy("symbol").execute();
    return rows.map((row) => JSON.parse(row.spec) as SymbolSpec);
  }

  async get(symbol: string): Promise<SymbolSpec | undefined> {
    const row = await this.db.selectFrom("order_symbols").select(["spec"]).where("symbol", "=", symbol).executeTakeFirst();
    return row ? (JSON.parse(row.spec) as SymbolSpec) : undefined;
  }

  async add(spec: SymbolSpec, audit: AuditRecord): Promise<AuditEntry> {
    return this.db.transaction().execute(async (tx) => {
      const inserted = await tx
        .insertInto("order_symbols")
        .values({ symbol: spec.symbol, spec: JSON.stringify(spec) })
        .onConflict((conflict) => conflict.column("symbol").doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) throw new DomainError("ALREADY_EXISTS", `Symbol ${spec.symbol} is already listed.`, [{ field: "symbol", description: "already listed" }]);
      return appendAudit(tx as never, ORDER_AUDIT_LOG, audit);
    });
  }

  async save(spec: SymbolSpec, audit: AuditRecord): Promise<AuditEntry> {
    return this.db.transaction().execute(async (tx) => {
      const updated = await tx.updateTable("order_symbols").set({ spec: JSON.stringify(spec) }).where("symbol", "=", spec.symbol).executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new DomainError("BAD_SYMBOL", `Invalid symbol: ${spec.symbol}`, [{ field: "symbol", description: "unknown symbol" }]);
      return appendAudit(tx as never, ORDER_AUDIT_LOG, audit);
    });
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
