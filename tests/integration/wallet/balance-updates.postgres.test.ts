import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { openDatabase, type Database } from "#kit/db/database.js";
import { SqlBalanceUpdateSource } from "../../../services/wallet/src/adapters/balance-update-source.sql.js";
import { FollowBalanceUpdates } from "../../../services/wallet/src/domain/follow-balance-updates.use-case.js";
import { composeWallet, openLedgerStore, type WalletParts } from "../../../services/wallet/src/main.js";
import { until } from "../../support/until.js";
import { balanceUpdatesContract, collect } from "./balance-updates.contract.js";
import { pgDatabase } from "./support.js";

// StreamBalanceUpdates' contract on PostgreSQL, and what only PostgreSQL can do: a history row whose
// seq was taken before another's commits after it. The follower must wait for it, not skip it; the
// writer here is another replica (its own wallet, its own connections), so nothing in the follower's
// process hears of the commit: it is found in the shared history.

balanceUpdatesContract("PostgreSQL", pgDatabase);

describe("balance updates on PostgreSQL, with another replica writing", () => {
  let database: { url: string; drop(): Promise<void> };
  let writer: WalletParts;
  let reader: Database<unknown>;
  let source: SqlBalanceUpdateSource;
  let follow: FollowBalanceUpdates;

  beforeAll(async () => {
    database = await pgDatabase();
    writer = composeWallet(await openLedgerStore(database.url));
    reader = openDatabase<unknown>(database.url);
    source = new SqlBalanceUpdateSource(reader.db, reader.engine, { refreshMs: 0 });
    follow = new FollowBalanceUpdates({ source, pollMs: 20 });
  });

  afterAll(async () => {
    await reader?.close();
    await writer?.store.close();
    await database?.drop();
  });

  it("delivers a lower seq that commits after a higher one, in seq order, and nothing past it before it commits", async () => {
    const stream = collect(follow, "alice");
    await stream.started();
    const late = new pg.Client({ connectionString: database.url });
    await late.connect();
    try {
      // A transaction that has written (it has its id) and taken a history seq, not yet committed.
      await late.query("BEGIN");
      await late.query("SELECT pg_current_xact_id()");
      await late.query(`INSERT INTO wallet_history (account, entries) VALUES ('alice', '[["late","deposit","BTC","7","0","0",1]]')`);
      // Another replica's deposit: a higher seq, committed first.
      await writer.wallet.creditDeposit("early", "alice", "BTC", 100_000_000n);
      const visible = await late.query<{ seq: string }>("SELECT max(seq)::text AS seq FROM wallet_history WHERE entries NOT LIKE '%\"late\"%'");
      expect(Number(visible.rows[0]!.seq)).toBeGreaterThan(0);
      // However often the history is read while the lower seq is open, the higher one is not served.
      const from = stream.messages[0]!.cursor;
      for (let i = 0; i < 5; i += 1) expect((await source.read("alice", from, 100)).updates).toEqual([]);
      expect(stream.updates()).toEqual([]);
      await late.query("COMMIT");
    } finally {
      await late.end();
    }
    await until(() => stream.updates().length >= 2);
    await stream.stop();
    expect(stream.updates().map((u) => [u.reference, u.delta])).toEqual([
      ["late", 7n],
      [expect.stringContaining("early"), 100_000_000n],
    ]);
  });

  it("a transaction rolled back leaves a hole the stream passes once it has ended", async () => {
    const stream = collect(follow, "bob");
    await stream.started();
    const gone = new pg.Client({ connectionString: database.url });
    await gone.connect();
    try {
      await gone.query("BEGIN");
      await gone.query("SELECT pg_current_xact_id()");
      await gone.query(`INSERT INTO wallet_history (account, entries) VALUES ('bob', '[["gone","deposit","BTC","9","0","0",1]]')`);
      await writer.wallet.creditDeposit("kept", "bob", "BTC", 5n);
      await gone.query("ROLLBACK");
    } finally {
      await gone.end();
    }
    await until(() => stream.updates().length >= 1);
    await stream.stop();
    expect(stream.updates().map((u) => u.delta)).toEqual([5n]);
  });
});
