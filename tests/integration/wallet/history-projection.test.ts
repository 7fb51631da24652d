import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { Registry } from "prom-client";
import { DeleteTableCommand } from "@aws-sdk/client-dynamodb";
import { ledgerTables } from "../../../services/wallet/src/adapters/ledger-items.dynamodb.js";
import { createWalletModule } from "../../../services/wallet/src/main.js";
import { PostgresHistoryProjection } from "../../../services/wallet/src/adapters/history-projection.postgres.js";
import { DynamoStreamsFeed } from "../../../services/wallet/src/adapters/ledger-events.dynamodb-streams.js";
import type { DynamoLedgerStore } from "../../../services/wallet/src/adapters/ledger-store.dynamodb.js";
import { HistoryProjector, Reconciler, type ReconcileRound } from "../../../services/wallet/src/domain/history-projector.js";
import { EXTERNAL_ACCOUNT, type LedgerEntry } from "../../../services/wallet/src/domain/ledger.js";
import { compareBalances } from "../../../services/wallet/src/domain/projection.js";
import type { LedgerEventFeed } from "../../../services/wallet/src/ports/ledger-events.port.js";
import type { LedgerStore } from "../../../services/wallet/src/ports/ledger-store.port.js";
import { freshPgSchema } from "../../support/postgres.js";
import { walletOver } from "./ledger-store.contract.js";
import { checkFundsInvariant } from "./ledger.property.js";
import { dynamoClient, dynamoFixture, env, exclusiveOnMoto, plainDynamoClients } from "./support.js";

// The PostgreSQL projection of a DynamoDB ledger, on the real engines: moto's DynamoDB Streams
// feed it, PostgreSQL holds it. A random concurrent run is projected while it happens; then the
// projection must equal the store of record (balances, and history page by page), survive a
// replay from an older position unchanged, and the reconciler must catch a corrupted row.

const OPERATIONS = Number(process.env.WALLET_PROJECTION_OPS ?? 400);

async function allEntries(source: Pick<LedgerStore, "entries">, account: string, asset: string, size: number): Promise<{ items: LedgerEntry[]; tokens: string[] }> {
  const items: LedgerEntry[] = [];
  const tokens: string[] = [];
  let token = "";
  do {
    const page = await source.entries(account, asset, { size, token });
    items.push(...page.items);
    tokens.push(page.next);
    token = page.next;
  } while (token !== "");
  return { items, tokens };
}

describe("wallet history projection (DynamoDB Streams -> PostgreSQL)", () => {
  let store: DynamoLedgerStore;
  let closeStore: () => Promise<void>;
  let projection: PostgresHistoryProjection;
  let feed: LedgerEventFeed;
  let dropSchema: () => Promise<void>;
  let pgUrl: string;
  let projector: HistoryProjector;
  const rounds: ReconcileRound[] = [];
  let reconciler: Reconciler;

  beforeAll(async () => {
    const fixture = await dynamoFixture();
    store = fixture.store;
    closeStore = () => store.close();
    const schema = await freshPgSchema("wallet_proj");
    pgUrl = schema.url;
    dropSchema = schema.drop;
    projection = await PostgresHistoryProjection.open(pgUrl);
    const clients = plainDynamoClients();
    const streams = new DynamoStreamsFeed({ table: store.tables.transfers, ...clients });
    feed = {
      read: (position, limit) => exclusiveOnMoto(() => streams.read(position, limit)),
      close: async () => {
        clients.client.destroy();
        clients.streams.destroy();
      },
    };
    projector = new HistoryProjector(feed, projection, 97);
    reconciler = new Reconciler(feed, projection, store, (round) => rounds.push(round));
  });

  afterAll(async () => {
    await feed?.close();
    await projection?.close();
    await closeStore?.();
    await dropSchema?.();
  });

  const pgQuery = async (text: string, values: unknown[] = []) => {
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      return (await client.query(text, values)).rows;
    } finally {
      await client.end();
    }
  };

  it(`catches up with a random concurrent run (${OPERATIONS} operations) and matches DynamoDB`, async () => {
    let running = true;
    let applied = 0;
    const follow = (async () => {
      while (running) {
        applied += await projector.catchUp();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const run = await checkFundsInvariant(store, { operations: OPERATIONS, concurrency: 8, seed: 31 }).finally(() => (running = false));
    await follow;
    applied += await projector.catchUp();
    expect(run.settled).toBeGreaterThan(0);
    expect(applied).toBe((await store.audit()).transfers);

    const projected = await projection.balances();
    const recorded = await store.allBalances();
    expect(recorded.length).toBeGreaterThan(10);
    expect(compareBalances(projected.rows, recorded, new Set())).toEqual([]);
    expect((await reconciler.reconcile()).found).toEqual([]);
  }, 600_000);

  it("serves history page by page exactly as the store does (same items, same tokens)", async () => {
    const accounts = [...new Set((await store.allBalances()).map((row) => row.account)), EXTERNAL_ACCOUNT];
    for (const account of accounts) {
      for (const [asset, size] of [["", 7], ["BTC", 5], ["USDT", 1000]] as const) {
        const fromStore = await allEntries(store, account, asset, size);
        const fromProjection = await allEntries(projection, account, asset, size);
        expect(fromProjection).toEqual(fromStore);
        if (asset === "") expect(fromStore.items.length).toBeGreaterThan(0);
      }
    }
  }, 120_000);

  it("changes nothing when records are applied again (restarted from an older position)", async () => {
    const before = await projection.balances();
    const [{ count: entriesBefore }] = await pgQuery("select count(*)::int as count from wallet_projection_entries");
    // Applying the whole feed again, batch by batch with its old positions, as a projector restarted from scratch would.
    let position = {};
    for (;;) {
      const read = await feed.read(position, 50);
      expect(await projection.apply(read.events, read.position)).toBe(0);
      position = read.position;
      if (read.caughtUp) break;
    }
    // And the projector itself, after its stored position was set back to the beginning.
    await pgQuery("update wallet_projection_position set position = '{}'");
    expect(await projector.catchUp()).toBe(0);
    const after = await projection.balances();
    expect(after.rows).toEqual(before.rows);
    expect(after.position).toEqual(before.position);
    const [{ count: entriesAfter }] = await pgQuery("select count(*)::int as count from wallet_projection_entries");
    expect(entriesAfter).toBe(entriesBefore);
  }, 120_000);

  it("skips accounts whose transfers are not projected yet, then compares them once caught up", async () => {
    const { wallet } = walletOver(store);
    const account = `late-${Date.now().toString(36)}`;
    await wallet.creditDeposit(`late-dep-${account}`, account, "BTC", 1234n);
    const lagging = await reconciler.reconcile();
    expect(lagging.found).toEqual([]);
    expect(lagging.skipped).toBeGreaterThanOrEqual(1);
    await projector.catchUp();
    const caughtUp = await reconciler.reconcile();
    expect(caughtUp).toMatchObject({ found: [], skipped: 0, compared: true });
  }, 120_000);

  it("reports a corrupted projection row, confirmed in two consecutive rounds", async () => {
    const [row] = await pgQuery("select account, asset from wallet_projection_balances where account <> '@fees' order by account, asset limit 1");
    await pgQuery("update wallet_projection_balances set locked = locked + 1 where account = $1 and asset = $2", [row.account, row.asset]);
    const first = await reconciler.reconcile();
    expect(first.found.map((m) => [m.account, m.asset, m.projected.locked - m.recorded.locked])).toEqual([[row.account, row.asset, 1n]]);
    expect(first.confirmed).toEqual([]);
    const second = await reconciler.reconcile();
    expect(second.confirmed).toEqual(first.found);
    expect(reconciler.mismatches()).toEqual(first.found);
    expect(rounds.at(-1)).toBe(second);
    await pgQuery("update wallet_projection_balances set locked = locked - 1 where account = $1 and asset = $2", [row.account, row.asset]);
    await reconciler.reconcile();
    expect(reconciler.mismatches()).toEqual([]);
  }, 120_000);
});

describe("wallet module with DynamoDB and WALLET_PROJECTION_PG_URL", () => {
  it("runs the projector and reconciler, serves ListLedgerEntries from the projection, exposes the mismatch metric", async () => {
    const name = `wallet-module-${Date.now().toString(36)}`;
    const schema = await freshPgSchema("wallet_projmod");
    const metrics = new Registry();
    const module = await createWalletModule({ ledgerUrl: `dynamodb:${name}`, awsEndpoint: env.awsEndpoint, projectionPgUrl: schema.url, projectionPollMs: 50, reconcileMs: 100, tickMs: 0, metrics });
    const client = dynamoClient();
    // One writer, no conflicts: no moto rollback for the module's own stream reads to trip over (support.ts).
    try {
      await module.start?.();
      const { wallet } = module.parts;
      const account = `m-${Date.now().toString(36)}`;
      await wallet.creditDeposit(`dep-${account}`, account, "USDT", 500n);
      await wallet.transfer({ transferId: `x-${account}`, from: account, to: `${account}-b`, asset: "USDT", amount: 120n });
      // Served from the projection: empty until the projector has applied the stream records.
      let page = await wallet.entries(account, "", { size: 10, token: "" });
      for (let tries = 0; page.items.length < 2 && tries < 100; tries += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        page = await wallet.entries(account, "", { size: 10, token: "" });
      }
      expect(page.items.map((entry) => [entry.kind, entry.available])).toEqual([["transfer", -120n], ["deposit", 500n]]);
      expect(page).toEqual(await module.parts.store.entries(account, "", { size: 10, token: "" }));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(module.history?.reconciler.mismatches()).toEqual([]);
      expect(await metrics.metrics()).toMatch(/exchange_wallet_projection_mismatches 0/);
      expect(await metrics.metrics()).toMatch(/exchange_wallet_projection_applied_transfers_total 2/);
    } finally {
      await module.stop?.();
      for (const table of Object.values(ledgerTables(name))) await client.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
      client.destroy();
      await schema.drop();
    }
  }, 60_000);
});
