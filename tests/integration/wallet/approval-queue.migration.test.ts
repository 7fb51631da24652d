import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DeleteTableCommand, DescribeTableCommand, ScanCommand, UpdateItemCommand, UpdateTableCommand } from "@aws-sdk/client-dynamodb";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase } from "#kit/db/database.js";
import { DynamoLedgerStore } from "../../../services/wallet/src/adapters/ledger-store.dynamodb.js";
import { SqlLedgerStore, type SqlLedgerStoreOptions, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import type { LedgerStore } from "../../../services/wallet/src/ports/ledger-store.port.js";
import { makeCommand } from "../../../services/wallet/src/domain/ledger.js";
import { BTC, balanceOf, expectConserved, walletOver } from "./ledger-store.contract.js";
import { dynamoClient, pgDatabase } from "./support.js";

// The approval queue on a ledger made before it: withdrawals awaiting approval were written
// without the queue's column (SQL) or attributes and index (DynamoDB). The test writes them with
// today's code, takes the queue away again (drops the index and the column and forgets migration
// 005; on DynamoDB deletes the index and the attributes), reopens the store, and expects the
// migration to have put exactly the waiting withdrawals back in the queue, in order, read from
// the index (query plans on SQL; no Scan on DynamoDB), with approvals and rejections leaving it.
// SQL also forgets migration 004 (the due time of withdrawals left pending), which must run
// again on a ledger holding withdrawals.

const dir = mkdtempSync(join(tmpdir(), "wallet-approval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clockStart = 1_700_000_000_000;

/**
 * Three withdrawals left waiting (two accounts), one completed, one rejected, one left pending
 * (debited, never broadcast: the request command alone); returns the waiting ids in queue order.
 */
async function seed(store: LedgerStore, run: string): Promise<string[]> {
  const clock = new ManualClock(clockStart);
  const { wallet } = walletOver(store, { clock });
  await wallet.creditDeposit(`${run}-fa`, `${run}-alice`, "BTC", BTC("100"));
  await wallet.creditDeposit(`${run}-fb`, `${run}-bob`, "BTC", BTC("100"));
  const request = (account: string, id: string, amount: bigint) =>
    wallet.requestWithdrawal({ withdrawalId: id, account: `${run}-${account}`, asset: "BTC", network: "BTC", amount, address: "bc1qcold", memo: "", totpCode: "" });
  clock.advance(10);
  await request("bob", `${run}-w2`, BTC("12"));
  clock.advance(-5);
  await request("alice", `${run}-w1`, BTC("11"));
  clock.advance(10);
  expect((await request("alice", `${run}-small`, BTC("1"))).status).toBe("completed");
  await request("bob", `${run}-gone`, BTC("20"));
  await wallet.rejectWithdrawal(`${run}-gone`, "no");
  clock.advance(10);
  await request("alice", `${run}-w3`, BTC("13"));
  const [stuck] = await store.execute([
    makeCommand(`withdraw:${run}-stuck`, clock.now(), {
      kind: "withdraw_request",
      withdrawalId: `${run}-stuck`,
      account: `${run}-alice`,
      asset: "BTC",
      network: "BTC",
      amount: BTC("1"),
      fee: BTC("0.0002"),
      address: "bc1qcold",
      memo: "",
      dailyLimit: BTC("100"),
      approvalThreshold: BTC("10"),
    }),
  ]);
  expect(stuck).toMatchObject({ ok: true, result: { status: "pending" } });
  return [`${run}-w1`, `${run}-w2`, `${run}-w3`].map((id) => `withdrawal:${id}`);
}

async function queueIds(store: LedgerStore, size = 2): Promise<string[]> {
  const ids: string[] = [];
  let token = "";
  do {
    const page = await store.awaitingApproval({ size, token });
    ids.push(...page.items.map((item) => item.id));
    token = page.next;
  } while (token !== "");
  return ids;
}

/** After the migration: the queue holds exactly the waiting ones; deciding them (through `store`) takes them out. */
async function decide(store: LedgerStore, run: string, waiting: string[]): Promise<void> {
  const { wallet } = walletOver(store, { clock: new ManualClock(clockStart + 100) });
  await wallet.rejectWithdrawal(`${run}-w2`, "address not verified");
  expect(await queueIds(store)).toEqual([waiting[0], waiting[2]]);
  expect((await wallet.approveWithdrawal(`${run}-w1`)).status).toBe("completed");
  expect(await queueIds(store)).toEqual([waiting[2]]);
  expect(await balanceOf(store, `${run}-bob`, "BTC")).toEqual({ available: BTC("100"), locked: 0n, pending: 0n });
  await expectConserved(store);
}

/** SQL: the queue's page query, as the store sends it (first page and after a cursor). */
const QUEUE_QUERIES = [
  `SELECT body, awaiting_since, id FROM wallet_docs WHERE awaiting_since IS NOT NULL ORDER BY awaiting_since, id LIMIT 3`,
  `SELECT body, awaiting_since, id FROM wallet_docs WHERE awaiting_since IS NOT NULL AND (awaiting_since, id) > (${clockStart}, 'withdrawal:x') ORDER BY awaiting_since, id LIMIT 3`,
];

interface SqlEngine {
  open(options?: SqlLedgerStoreOptions): Promise<SqlLedgerStore>;
  /** Back to the schema before migration 005. */
  rewind(): Promise<void>;
  hasColumn(): Promise<boolean>;
  /** The query plan of `query`, as one string. */
  plan(query: string): Promise<string>;
  drop(): Promise<void>;
}

const REWIND = [
  "DROP INDEX wallet_docs_awaiting_approval",
  "ALTER TABLE wallet_docs DROP COLUMN awaiting_since",
  "UPDATE wallet_docs SET due = NULL WHERE type = 'withdrawal'",
  "DELETE FROM migrations_wallet WHERE name IN ('004_due_pending_withdrawals', '005_approval_queue')",
];

function sqliteEngine(): SqlEngine {
  const file = join(dir, "old.sqlite");
  const raw = <T>(use: (db: BetterSqlite3.Database) => T): T => {
    const db = new BetterSqlite3(file);
    try {
      return use(db);
    } finally {
      db.close();
    }
  };
  return {
    open: (options) => SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${file}`), options),
    rewind: async () => raw((db) => REWIND.forEach((statement) => db.exec(statement))),
    hasColumn: async () => raw((db) => (db.prepare("PRAGMA table_info(wallet_docs)").all() as { name: string }[]).some((column) => column.name === "awaiting_since")),
    plan: async (query) => raw((db) => (db.prepare(`EXPLAIN QUERY PLAN ${query}`).all() as { detail: string }[]).map((row) => row.detail).join("\n")),
    drop: async () => undefined,
  };
}

async function postgresEngine(): Promise<SqlEngine> {
  const { url, drop } = await pgDatabase();
  const raw = async <T>(use: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  };
  return {
    open: (options) => SqlLedgerStore.open(openDatabase<WalletDb>(url), options),
    rewind: () => raw(async (client) => {
      for (const statement of REWIND) await client.query(statement);
    }),
    hasColumn: () =>
      raw(async (client) => (await client.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'wallet_docs' AND column_name = 'awaiting_since'")).rowCount === 1),
    // A handful of rows: without this PostgreSQL would rightly prefer a sequential scan; the point is that the index serves the query.
    plan: (query) =>
      raw(async (client) => {
        await client.query("SET enable_seqscan = off");
        return (await client.query<{ "QUERY PLAN": string }>(`EXPLAIN ${query}`)).rows.map((row) => row["QUERY PLAN"]).join("\n");
      }),
    drop: async () => {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await drop();
    },
  };
}

for (const [name, make] of [
  ["SQLite", async () => sqliteEngine()],
  ["PostgreSQL", postgresEngine],
] as const) {
  describe(`approval queue migration: ${name}`, () => {
    it("migrations 004 and 005 run on a ledger with withdrawals: the waiting ones queued, read from the partial index; every write path keeps it right", async () => {
      const engine = await make();
      const run = `m${Date.now().toString(36)}`;
      try {
        let store = await engine.open();
        const waiting = await seed(store, run);
        expect(await queueIds(store)).toEqual(waiting);
        await store.close();

        await engine.rewind();
        expect(await engine.hasColumn()).toBe(false);
        store = await engine.open(); // migrates
        expect(await engine.hasColumn()).toBe(true);
        expect((await store.dueDocs("withdrawal", clockStart + 1_000, 10)).map((doc) => doc.id)).toEqual([`withdrawal:${run}-stuck`]);
        expect(await queueIds(store)).toEqual(waiting);
        expect(await queueIds(store, 1000)).toEqual(waiting);
        for (const query of QUEUE_QUERIES) {
          const plan = await engine.plan(query);
          expect(plan).toContain("wallet_docs_awaiting_approval");
          expect(plan).not.toMatch(/TEMP B-TREE|Sort|Seq Scan|SCAN wallet_docs$/m);
        }
        await store.close();

        // The locking path (no working-set cache) writes every column unconditionally.
        store = await engine.open({ cached: false });
        await decide(store, run, waiting);
        await store.close();
        // And the cached path, reopened on the same rows: w3 leaves the queue on rejection.
        store = await engine.open();
        const { wallet } = walletOver(store, { clock: new ManualClock(clockStart + 200) });
        await wallet.rejectWithdrawal(`${run}-w3`, "expired");
        expect(await queueIds(store)).toEqual([]);
        await store.close();
      } finally {
        await engine.drop();
      }
    }, 60_000);
  });
}

describe("approval queue migration: DynamoDB (moto)", () => {
  it("a docs table without the queue's index gets it on open, with the waiting withdrawals backfilled; the queue is a Query, never a Scan", async () => {
    const name = `wallet-approval-${Date.now().toString(36)}`;
    const client = dynamoClient();
    const run = `d${Date.now().toString(36)}`;
    let store = await DynamoLedgerStore.open({ table: name, client });
    const docs = store.tables.docs;
    const indexes = async () => ((await client.send(new DescribeTableCommand({ TableName: docs }))).Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName).sort();
    try {
      expect(await indexes()).toEqual(["by_account", "by_approval"]);
      const waiting = await seed(store, run);
      expect(await queueIds(store)).toEqual(waiting);
      await store.close();

      // The table as it was before the queue: no index, no queue attributes.
      await client.send(new UpdateTableCommand({ TableName: docs, GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: "by_approval" } }] }));
      const queued = (await client.send(new ScanCommand({ TableName: docs, FilterExpression: "attribute_exists(qpk)" }))).Items ?? [];
      expect(queued.map((item) => item.pk?.S).sort()).toEqual([...waiting].sort());
      for (const item of queued) await client.send(new UpdateItemCommand({ TableName: docs, Key: { pk: item.pk! }, UpdateExpression: "REMOVE qpk, qsk" }));
      expect(await indexes()).toEqual(["by_account"]);

      store = await DynamoLedgerStore.open({ table: name, client }); // migrates
      expect(await indexes()).toEqual(["by_account", "by_approval"]);
      const sent: string[] = [];
      client.middlewareStack.add(
        (next, context) => (args) => {
          sent.push(String(context.commandName));
          return next(args);
        },
        { step: "initialize", name: "recordCommands" },
      );
      expect(await queueIds(store, 1)).toEqual(waiting);
      expect(await queueIds(store)).toEqual(waiting);
      expect([...new Set(sent)]).toEqual(["QueryCommand"]);
      client.middlewareStack.remove("recordCommands");
      await decide(store, run, waiting);
      // Opening again finds the index and changes nothing.
      await store.close();
      store = await DynamoLedgerStore.open({ table: name, client, backfillApprovalQueue: true });
      expect(await queueIds(store)).toEqual([waiting[2]]);
    } finally {
      await store.close();
      for (const table of Object.values(store.tables)) await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      client.destroy();
    }
  }, 120_000);
});
