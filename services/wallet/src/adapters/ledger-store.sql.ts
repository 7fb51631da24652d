import { sql, type Kysely, type Migration, type Transaction } from "kysely";
import type { Database, Engine } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { runBatch, type BatchWrites, type StateLoader } from "../domain/ledger-engine.js";
import {
  EXTERNAL_ACCOUNT,
  decodeDoc,
  docDue,
  encodeDoc,
  type BalanceRow,
  type Command,
  type CommandKind,
  type Doc,
  type DocType,
  type LedgerEntry,
  type Outcome,
  type Page,
  type TransferRecord,
  type VersionedDoc,
} from "../domain/ledger.js";
import type { LedgerAudit, LedgerStore, PageRequest } from "../ports/ledger-store.port.js";

// One implementation for SQLite (embedded) and PostgreSQL through the kit's Kysely layer.
// Money columns: NUMERIC(78,0) in PostgreSQL, decimal TEXT in SQLite (SQLite arithmetic would
// turn values beyond int64 into doubles, so all arithmetic happens in bigint here, never in SQL).
// Both engines refuse a negative balance with a CHECK constraint.
// Concurrency: PostgreSQL runs READ COMMITTED with SELECT ... FOR UPDATE on every balance and
// document a batch reads; a race on a row that does not exist yet ends in a unique violation,
// and the whole batch is retried (as are deadlocks 40P01 and serialization failures 40001).
// SQLite has one writer: better-sqlite3 is synchronous and Kysely serializes the connection.

type Money = string;
type Int8 = number | string | bigint;

interface BalancesTable {
  account: string;
  asset: string;
  available: Money;
  locked: Money;
  pending: Money;
}

interface TransfersTable {
  id: string;
  kind: string;
  fingerprint: string;
  result: string;
  time: Int8;
}

interface EntriesTable {
  seq: Int8;
  transfer_id: string;
  kind: string;
  account: string;
  asset: string;
  available: Money;
  locked: Money;
  pending: Money;
  time: Int8;
}

interface DocsTable {
  id: string;
  type: string;
  account: string;
  version: number;
  due: Int8 | null;
  created: Int8;
  body: string;
}

export interface WalletDb {
  wallet_balances: BalancesTable;
  wallet_transfers: TransfersTable;
  wallet_entries: Omit<EntriesTable, "seq"> & { seq?: Int8 };
  wallet_docs: DocsTable;
}

export function walletMigrations(engine: Engine): Record<string, Migration> {
  const money = engine === "postgres" ? sql`numeric(78,0)` : sql`text`;
  const nonNegative = (column: string) =>
    engine === "postgres" ? sql`${sql.ref(column)} >= 0` : sql`typeof(${sql.ref(column)}) = 'text' AND ${sql.ref(column)} NOT LIKE '-%' AND ${sql.ref(column)} <> ''`;
  return {
    "001_ledger": {
      up: async (db: Kysely<unknown>) => {
        await db.schema
          .createTable("wallet_balances")
          .ifNotExists()
          .addColumn("account", "text", (c) => c.notNull())
          .addColumn("asset", "text", (c) => c.notNull())
          .addColumn("available", money, (c) => c.notNull().check(nonNegative("available")))
          .addColumn("locked", money, (c) => c.notNull().check(nonNegative("locked")))
          .addColumn("pending", money, (c) => c.notNull().check(nonNegative("pending")))
          .addPrimaryKeyConstraint("wallet_balances_pk", ["account", "asset"])
          .execute();
        await db.schema
          .createTable("wallet_transfers")
          .ifNotExists()
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("fingerprint", "text", (c) => c.notNull())
          .addColumn("result", "text", (c) => c.notNull())
          .addColumn("time", "bigint", (c) => c.notNull())
          .execute();
        let entries = db.schema.createTable("wallet_entries").ifNotExists();
        entries =
          engine === "postgres"
            ? entries.addColumn("seq", "bigserial", (c) => c.primaryKey())
            : entries.addColumn("seq", "integer", (c) => c.primaryKey().autoIncrement());
        await entries
          .addColumn("transfer_id", "text", (c) => c.notNull())
          .addColumn("kind", "text", (c) => c.notNull())
          .addColumn("account", "text", (c) => c.notNull())
          .addColumn("asset", "text", (c) => c.notNull())
          .addColumn("available", money, (c) => c.notNull())
          .addColumn("locked", money, (c) => c.notNull())
          .addColumn("pending", money, (c) => c.notNull())
          .addColumn("time", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("wallet_entries_account").ifNotExists().on("wallet_entries").columns(["account", "seq"]).execute();
        await db.schema
          .createTable("wallet_docs")
          .ifNotExists()
          .addColumn("id", "text", (c) => c.primaryKey())
          .addColumn("type", "text", (c) => c.notNull())
          .addColumn("account", "text", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("due", "bigint")
          .addColumn("created", "bigint", (c) => c.notNull())
          .addColumn("body", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("wallet_docs_account").ifNotExists().on("wallet_docs").columns(["account", "type", "created", "id"]).execute();
        await db.schema.createIndex("wallet_docs_due").ifNotExists().on("wallet_docs").columns(["type", "due"]).execute();
      },
    },
  };
}

const RETRYABLE_PG = new Set(["40001", "40P01", "23505"]);
const CHECK_VIOLATION = "check";
const MAX_ATTEMPTS = 12;
const CHUNK = 1000;

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : "";
}

function classify(error: unknown): "retry" | typeof CHECK_VIOLATION | "fatal" {
  const code = errorCode(error);
  if (RETRYABLE_PG.has(code) || code === "SQLITE_BUSY" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") return "retry";
  if (code === "23514" || code === "SQLITE_CONSTRAINT_CHECK") return CHECK_VIOLATION;
  return "fatal";
}

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}

const toNumber = (value: Int8): number => Number(value);
const toUnits = (value: Money): bigint => BigInt(value);

export class SqlLedgerStore implements LedgerStore {
  readonly engine: string;

  private constructor(
    private readonly database: Database<WalletDb>,
    private readonly ownsDatabase: boolean,
  ) {
    this.engine = database.engine;
  }

  /** Migrates (idempotently) and returns the store. */
  static async open(database: Database<WalletDb>, options: { ownsDatabase?: boolean } = {}): Promise<SqlLedgerStore> {
    await migrate(database.db as Kysely<unknown>, "wallet", walletMigrations(database.engine));
    // A 64 MiB page cache keeps the balance and entry indexes in memory under batch writes.
    if (database.engine === "sqlite") await sql`PRAGMA cache_size = -65536`.execute(database.db);
    return new SqlLedgerStore(database, options.ownsDatabase ?? true);
  }

  private get db(): Kysely<WalletDb> {
    return this.database.db;
  }

  async execute(commands: readonly Command[]): Promise<Outcome[]> {
    if (commands.length === 0) return [];
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.db.transaction().execute(async (trx) => {
          const { outcomes, writes } = await runBatch(commands, this.loader(trx));
          await this.write(trx, writes);
          return outcomes;
        });
      } catch (error) {
        const kind = classify(error);
        if (kind === CHECK_VIOLATION) {
          // The planner let something through that the database refuses: isolate the culprit.
          if (commands.length > 1) return this.executeOneByOne(commands);
          const failure = new DomainError("INSUFFICIENT_BALANCE", "Account has insufficient balance for requested action (refused by the store).");
          return [{ ok: false, error: failure }];
        }
        if (kind === "retry" && attempt < MAX_ATTEMPTS) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
          continue;
        }
        throw error;
      }
    }
  }

  private async executeOneByOne(commands: readonly Command[]): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    for (const command of commands) outcomes.push(...(await this.execute([command])));
    return outcomes;
  }

  private loader(trx: Transaction<WalletDb>): StateLoader {
    const postgres = this.engine === "postgres";
    return {
      transfers: async (ids) => {
        const records: TransferRecord[] = [];
        for (const part of chunks(ids)) {
          const rows = await trx.selectFrom("wallet_transfers").selectAll().where("id", "in", part).execute();
          for (const row of rows) records.push(toTransfer(row));
        }
        return records;
      },
      balances: async (keys) => {
        const wanted = new Set(keys.map((key) => `${key.account}\u001f${key.asset}`));
        const accounts = [...new Set(keys.map((key) => key.account))].sort();
        const rows: BalanceRow[] = [];
        for (const part of chunks(accounts)) {
          const found = await trx
            .selectFrom("wallet_balances")
            .selectAll()
            .where("account", "in", part)
            .orderBy("account")
            .orderBy("asset")
            .$if(postgres, (query) => query.forUpdate())
            .execute();
          for (const row of found) if (wanted.has(`${row.account}\u001f${row.asset}`)) rows.push(toBalance(row));
        }
        return rows;
      },
      docs: async (ids) => {
        const docs: VersionedDoc[] = [];
        for (const part of chunks([...ids].sort())) {
          const rows = await trx
            .selectFrom("wallet_docs")
            .select(["body", "version"])
            .where("id", "in", part)
            .orderBy("id")
            .$if(postgres, (query) => query.forUpdate())
            .execute();
          for (const row of rows) docs.push({ doc: decodeDoc(row.body), version: row.version });
        }
        return docs;
      },
    };
  }

  private async write(trx: Transaction<WalletDb>, writes: BatchWrites): Promise<void> {
    const fresh = writes.balances.filter((write) => write.before === null);
    const changed = writes.balances.filter((write) => write.before !== null);
    const balanceRow = (write: (typeof writes.balances)[number]) => ({
      account: write.account,
      asset: write.asset,
      available: write.after.available.toString(),
      locked: write.after.locked.toString(),
      pending: write.after.pending.toString(),
    });
    // New rows: a plain INSERT, so a concurrent creator makes one of us retry instead of overwriting.
    for (const part of chunks(fresh)) await trx.insertInto("wallet_balances").values(part.map(balanceRow)).execute();
    // Rows we hold locked: one multi-row upsert writes the netted values.
    for (const part of chunks(changed)) {
      await trx
        .insertInto("wallet_balances")
        .values(part.map(balanceRow))
        .onConflict((conflict) =>
          conflict.columns(["account", "asset"]).doUpdateSet((eb) => ({
            available: eb.ref("excluded.available"),
            locked: eb.ref("excluded.locked"),
            pending: eb.ref("excluded.pending"),
          })),
        )
        .execute();
    }
    const docRow = (write: (typeof writes.docs)[number]) => ({
      id: write.doc.id,
      type: write.doc.type,
      account: write.doc.account,
      version: write.version,
      due: docDue(write.doc),
      created: write.doc.createdAt,
      body: encodeDoc(write.doc),
    });
    const newDocs = writes.docs.filter((write) => write.beforeVersion === 0);
    const oldDocs = writes.docs.filter((write) => write.beforeVersion !== 0);
    for (const part of chunks(newDocs)) await trx.insertInto("wallet_docs").values(part.map(docRow)).execute();
    for (const part of chunks(oldDocs)) {
      await trx
        .insertInto("wallet_docs")
        .values(part.map(docRow))
        .onConflict((conflict) =>
          conflict.column("id").doUpdateSet((eb) => ({ version: eb.ref("excluded.version"), due: eb.ref("excluded.due"), body: eb.ref("excluded.body") })),
        )
        .execute();
    }
    for (const part of chunks(writes.transfers)) {
      await trx
        .insertInto("wallet_transfers")
        .values(part.map((record) => ({ id: record.id, kind: record.kind, fingerprint: record.fingerprint, result: JSON.stringify(record.result), time: record.time })))
        .execute();
    }
    for (const part of chunks(writes.entries)) {
      await trx
        .insertInto("wallet_entries")
        .values(
          part.map((entry) => ({
            transfer_id: entry.transferId,
            kind: entry.kind,
            account: entry.account,
            asset: entry.asset,
            available: entry.available.toString(),
            locked: entry.locked.toString(),
            pending: entry.pending.toString(),
            time: entry.time,
          })),
        )
        .execute();
    }
  }

  async balances(account: string): Promise<BalanceRow[]> {
    const rows = await this.db.selectFrom("wallet_balances").selectAll().where("account", "=", account).orderBy("asset").execute();
    return rows.map(toBalance);
  }

  async doc(id: string): Promise<VersionedDoc | undefined> {
    const row = await this.db.selectFrom("wallet_docs").select(["body", "version"]).where("id", "=", id).executeTakeFirst();
    return row ? { doc: decodeDoc(row.body), version: row.version } : undefined;
  }

  async transfer(id: string): Promise<TransferRecord | undefined> {
    const row = await this.db.selectFrom("wallet_transfers").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? toTransfer(row) : undefined;
  }

  async listDocs(account: string, type: DocType, page: PageRequest): Promise<Page<Doc>> {
    const size = pageSize(page);
    let query = this.db
      .selectFrom("wallet_docs")
      .select(["body", "created", "id"])
      .where("account", "=", account)
      .where("type", "=", type)
      .orderBy("created", "desc")
      .orderBy("id", "desc")
      .limit(size + 1);
    if (page.token !== "") {
      const at = page.token.indexOf(":");
      const created = Number(page.token.slice(0, at));
      const id = page.token.slice(at + 1);
      query = query.where((eb) => eb.or([eb("created", "<", created), eb.and([eb("created", "=", created), eb("id", "<", id)])]));
    }
    const rows = await query.execute();
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return { items: items.map((row) => decodeDoc(row.body)), next: rows.length > size && last ? `${toNumber(last.created)}:${last.id}` : "" };
  }

  async dueDocs(type: DocType, now: number, limit: number): Promise<Doc[]> {
    const rows = await this.db
      .selectFrom("wallet_docs")
      .select(["body"])
      .where("type", "=", type)
      .where("due", "is not", null)
      .where("due", "<=", now)
      .orderBy("due")
      .limit(limit)
      .execute();
    return rows.map((row) => decodeDoc(row.body));
  }

  async entries(account: string, asset: string, page: PageRequest): Promise<Page<LedgerEntry>> {
    const size = pageSize(page);
    const rows = await this.db
      .selectFrom("wallet_entries")
      .selectAll()
      .where("account", "=", account)
      .$if(asset !== "", (query) => query.where("asset", "=", asset))
      .$if(page.token !== "", (query) => query.where("seq", "<", Number(page.token)))
      .orderBy("seq", "desc")
      .limit(size + 1)
      .execute();
    const items = rows.slice(0, size);
    const last = items[items.length - 1];
    return {
      items: items.map((row) => ({
        transferId: row.transfer_id,
        kind: row.kind as CommandKind,
        account: row.account,
        asset: row.asset,
        available: toUnits(row.available),
        locked: toUnits(row.locked),
        pending: toUnits(row.pending),
        time: toNumber(row.time),
      })),
      next: rows.length > size && last?.seq !== undefined ? String(last.seq) : "",
    };
  }

  async audit(): Promise<LedgerAudit> {
    const balances = new Map<string, bigint>();
    const negative: BalanceRow[] = [];
    for (const row of (await this.db.selectFrom("wallet_balances").selectAll().execute()).map(toBalance)) {
      balances.set(row.asset, (balances.get(row.asset) ?? 0n) + row.available + row.locked + row.pending);
      if (row.available < 0n || row.locked < 0n || row.pending < 0n) negative.push(row);
    }
    const netInflow = new Map<string, bigint>();
    const external = await this.db.selectFrom("wallet_entries").select(["asset", "available"]).where("account", "=", EXTERNAL_ACCOUNT).execute();
    for (const row of external) netInflow.set(row.asset, (netInflow.get(row.asset) ?? 0n) - toUnits(row.available));
    const count = await this.db.selectFrom("wallet_transfers").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
    return { balances, netInflow, negative, transfers: Number(count.n) };
  }

  async close(): Promise<void> {
    if (this.ownsDatabase) await this.database.close();
  }
}

function pageSize(page: PageRequest): number {
  return page.size > 0 ? Math.min(page.size, 1000) : 100;
}

function toBalance(row: BalancesTable): BalanceRow {
  return { account: row.account, asset: row.asset, available: toUnits(row.available), locked: toUnits(row.locked), pending: toUnits(row.pending) };
}

function toTransfer(row: TransfersTable): TransferRecord {
  return { id: row.id, kind: row.kind as CommandKind, fingerprint: row.fingerprint, result: JSON.parse(row.result) as Record<string, string>, time: toNumber(row.time) };
}
