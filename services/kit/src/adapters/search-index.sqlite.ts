/**
 * Embedded SearchIndex on SQLite (better-sqlite3, safe integers on: 64-bit values come back as bigint, never as a
 * double). Tables: history_docs (one row per document, decimal strings as TEXT, scaled units as INTEGER) and
 * history_accounts (doc id per account) for account filters. Pagination is keyset on (time, id), the same order
 * OpenSearch's search_after uses (ids compare as UTF-8 bytes in both).
 */
import BetterSqlite3 from "better-sqlite3";
import { mkdirSync } from "node:fs";
import path from "node:path";
import {
  assertHistoryDoc,
  decodeCursor,
  encodeCursor,
  pageLimit,
  type HistoryDoc,
  type HistoryKind,
  type HistoryPage,
  type HistoryQuery,
  type SearchIndex,
  type SearchOptions,
} from "../ports/search-index.port.js";

export interface SqliteSearchIndexOptions {
  /** a file path or ":memory:" */
  readonly file: string;
}

interface Row {
  id: string;
  kind: string;
  symbol: string;
  time: bigint;
  price: string;
  price_units: bigint;
  qty: string;
  qty_units: bigint;
  accounts: string;
  attrs: string;
}

export class SqliteSearchIndex implements SearchIndex {
  private readonly db: BetterSqlite3.Database;

  constructor(options: SqliteSearchIndexOptions) {
    if (options.file !== ":memory:") mkdirSync(path.dirname(options.file), { recursive: true });
    this.db = new BetterSqlite3(options.file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.defaultSafeIntegers(true);
  }

  async ensure(): Promise<void> {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS history_docs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        symbol TEXT NOT NULL,
        time INTEGER NOT NULL,
        price TEXT NOT NULL,
        price_units INTEGER NOT NULL,
        qty TEXT NOT NULL,
        qty_units INTEGER NOT NULL,
        accounts TEXT NOT NULL,
        attrs TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS history_docs_symbol_time ON history_docs (symbol, time, id);
      CREATE TABLE IF NOT EXISTS history_accounts (
        account TEXT NOT NULL,
        doc_id TEXT NOT NULL,
        PRIMARY KEY (account, doc_id)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS history_accounts_doc ON history_accounts (doc_id);
    `);
  }

  async index(docs: readonly HistoryDoc[]): Promise<void> {
    docs.forEach(assertHistoryDoc);
    const upsert = this.db.prepare(
      `INSERT OR REPLACE INTO history_docs (id, kind, symbol, time, price, price_units, qty, qty_units, accounts, attrs)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const clear = this.db.prepare(`DELETE FROM history_accounts WHERE doc_id = ?`);
    const link = this.db.prepare(`INSERT OR IGNORE INTO history_accounts (account, doc_id) VALUES (?, ?)`);
    this.db.transaction(() => {
      for (const d of docs) {
        upsert.run(d.id, d.kind, d.symbol, BigInt(d.time), d.price, d.priceUnits, d.qty, d.qtyUnits, JSON.stringify(d.accounts), JSON.stringify(d.attrs ?? {}));
        clear.run(d.id);
        for (const a of new Set(d.accounts)) link.run(a, d.id);
      }
    })();
  }

  private where(query: HistoryQuery): { sql: string; params: unknown[] } {
    const parts = ["symbol = ?"];
    const params: unknown[] = [query.symbol];
    if (query.kind) {
      parts.push("kind = ?");
      params.push(query.kind);
    }
    if (query.fromTime !== undefined) {
      parts.push("time >= ?");
      params.push(BigInt(query.fromTime));
    }
    if (query.toTime !== undefined) {
      parts.push("time < ?");
      params.push(BigInt(query.toTime));
    }
    for (const [column, op, value] of [
      ["price_units", ">=", query.minPriceUnits],
      ["price_units", "<=", query.maxPriceUnits],
      ["qty_units", ">=", query.minQtyUnits],
      ["qty_units", "<=", query.maxQtyUnits],
    ] as const) {
      if (value === undefined) continue;
      parts.push(`${column} ${op} ?`);
      params.push(value);
    }
    if (query.account !== undefined) {
      parts.push("id IN (SELECT doc_id FROM history_accounts WHERE account = ?)");
      params.push(query.account);
    }
    return { sql: parts.join(" AND "), params };
  }

  async search(query: HistoryQuery, options?: SearchOptions): Promise<HistoryPage> {
    const limit = pageLimit(options);
    const desc = options?.order === "desc";
    const { sql, params } = this.where(query);
    let keyset = "";
    if (options?.cursor) {
      const c = decodeCursor(options.cursor);
      keyset = desc ? " AND (time < ? OR (time = ? AND id < ?))" : " AND (time > ? OR (time = ? AND id > ?))";
      params.push(BigInt(c.time), BigInt(c.time), c.id);
    }
    const dir = desc ? "DESC" : "ASC";
    const rows = this.db
      .prepare(`SELECT * FROM history_docs WHERE ${sql}${keyset} ORDER BY time ${dir}, id ${dir} LIMIT ?`)
      .all(...params, BigInt(limit)) as Row[];
    const items = rows.map(toDoc);
    const last = items[items.length - 1];
    return items.length === limit ? { items, cursor: encodeCursor({ time: last.time, id: last.id }) } : { items };
  }

  async count(query: HistoryQuery): Promise<number> {
    const { sql, params } = this.where(query);
    const row = this.db.prepare(`SELECT COUNT(*) AS n FROM history_docs WHERE ${sql}`).get(...params) as { n: bigint };
    return Number(row.n);
  }

  async refresh(): Promise<void> {}

  async close(): Promise<void> {
    this.db.close();
  }
}

function toDoc(row: Row): HistoryDoc {
  return {
    id: row.id,
    kind: row.kind as HistoryKind,
    symbol: row.symbol,
    accounts: JSON.parse(row.accounts) as string[],
    time: Number(row.time),
    price: row.price,
    priceUnits: BigInt(row.price_units),
    qty: row.qty,
    qtyUnits: BigInt(row.qty_units),
    attrs: JSON.parse(row.attrs) as Record<string, string>,
  };
}
