// Two wallet replicas on one PostgreSQL ledger (the chart runs two). Each must answer a command as the store
// has it now, never from a view that another replica's commit made stale: not from its in-memory working set
// (a balance another replica raised since), and not from a transfer read taken before the row locks that then
// show another replica's commit of this very command.
import { afterEach, describe, expect, it } from "vitest";
import pg from "pg";
import { openDatabase } from "#kit/db/database.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { makeCommand, type Command } from "../../../services/wallet/src/domain/ledger.js";
import { pgDatabase } from "./support.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function replicas(options: { cached: boolean }): Promise<{ url: string; first: SqlLedgerStore; second: SqlLedgerStore }> {
  const { url, drop } = await pgDatabase();
  cleanups.push(drop);
  const first = await SqlLedgerStore.open(openDatabase<WalletDb>(url), options);
  const second = await SqlLedgerStore.open(openDatabase<WalletDb>(url), options);
  cleanups.push(
    () => first.close(),
    () => second.close(),
  );
  return { url, first, second };
}

let clock = 1;
const deposit = (account: string, txId: string, amount: bigint): Command =>
  makeCommand(`deposit:${txId}`, clock++, { kind: "deposit", depositId: txId, account, asset: "BTC", network: "internal", amount, txId, confirmations: 0, required: 0 });
const hold = (account: string, holdId: string, amount: bigint): Command => makeCommand(`hold:${holdId}`, clock++, { kind: "hold", holdId, account, asset: "BTC", amount, timeoutMs: 0 });

describe("SQL ledger store, two replicas on PostgreSQL", () => {
  it("does not refuse from its working set what the store allows: a balance another replica raised since", async () => {
    const { first, second } = await replicas({ cached: true });
    const account = "u-raised";
    expect((await first.execute([deposit(account, "tx-1", 100n)]))[0]).toMatchObject({ ok: true });
    // The first replica's working set now has 100 BTC available; the second adds 200.
    expect((await second.execute([deposit(account, "tx-2", 200n)]))[0]).toMatchObject({ ok: true });
    const [held] = await first.execute([hold(account, "h-250", 250n)]);
    expect(held).toMatchObject({ ok: true, duplicate: false });
    expect(await second.balances(account)).toEqual([expect.objectContaining({ asset: "BTC", available: 50n, locked: 250n })]);
  }, 60_000);

  it("answers a command another replica committed between its transfer read and its row locks as a duplicate", async () => {
    const { url, first, second } = await replicas({ cached: false });
    const account = "u-straddle";
    await first.execute([deposit(account, "tx-s", 100n)]);
    // A third session holds the balance row, so each replica reads the transfer (absent) and then waits for
    // the row; the first in the queue commits the hold, the second then reads the rows it changed.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    cleanups.push(() => blocker.end());
    await blocker.query("BEGIN");
    await blocker.query("SELECT * FROM wallet_balances WHERE account = $1 FOR UPDATE", [account]);
    /** Resolves once `count` sessions of this database wait for a lock. */
    const waiting = async (count: number) => {
      for (const deadline = Date.now() + 10_000; ; await new Promise((resolve) => setTimeout(resolve, 20))) {
        const { rows } = await blocker.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        if (Number(rows[0]!.n) >= count) return;
        if (Date.now() > deadline) throw new Error(`${count} sessions never waited for the balance row`);
      }
    };
    const command = hold(account, "h-all", 100n);
    const firstAnswer = first.execute([command]);
    await waiting(1);
    const secondAnswer = second.execute([command]);
    await waiting(2);
    await blocker.query("COMMIT");
    const outcomes = [(await firstAnswer)[0], (await secondAnswer)[0]];
    expect(outcomes.map((o) => o?.ok)).toEqual([true, true]);
    expect(outcomes.map((o) => (o?.ok ? o.duplicate : undefined)).sort()).toEqual([false, true]);
    expect(await second.balances(account)).toEqual([expect.objectContaining({ asset: "BTC", available: 0n, locked: 100n })]);
  }, 60_000);
});
