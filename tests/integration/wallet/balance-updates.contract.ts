import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "#kit/db/database.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { SqlBalanceUpdateSource } from "../../../services/wallet/src/adapters/balance-update-source.sql.js";
import { encodeBalanceCursor } from "../../../services/wallet/src/domain/balance-updates.js";
import { FollowBalanceUpdates, type BalanceStreamMessage } from "../../../services/wallet/src/domain/follow-balance-updates.use-case.js";
import { composeWallet, openLedgerStore, type WalletParts } from "../../../services/wallet/src/main.js";
import { until } from "../../support/until.js";

// StreamBalanceUpdates' use case over the ledger's history, on a real SQL ledger: the updates of one
// account only, in commit order, with exact deltas; resumption from any cursor without gaps or
// duplicates. The ledger is written through the wallet use case (and its group-commit batcher), the
// history read through a second connection, as the service runs them.

export interface BalanceUpdatesFixture {
  /** A fresh, empty ledger's URL. */
  readonly url: string;
  readonly drop?: () => Promise<void>;
}

/** Follows `account` in the background, collecting messages until `stop`. */
export function collect(follow: FollowBalanceUpdates, account: string, cursor = "") {
  const abort = new AbortController();
  const messages: BalanceStreamMessage[] = [];
  let failure: unknown;
  const done = (async () => {
    try {
      for await (const message of follow.follow(account, cursor, abort.signal)) messages.push(message);
    } catch (error) {
      failure = error;
    }
  })();
  return {
    messages,
    updates: () => messages.flatMap((message) => (message.update ? [message.update] : [])),
    failure: () => failure,
    started: () => until(() => messages.length > 0 || failure !== undefined),
    stop: async () => {
      abort.abort();
      await done;
    },
  };
}

const BTC = 100_000_000n;

export function balanceUpdatesContract(name: string, open: () => Promise<BalanceUpdatesFixture>): void {
  describe(`balance updates on ${name}`, () => {
    let fixture: BalanceUpdatesFixture;
    let parts: WalletParts;
    let reader: Database<unknown>;
    let follow: FollowBalanceUpdates;
    let run = 0;
    const prefix = () => `r${run}`;

    beforeAll(async () => {
      fixture = await open();
      parts = composeWallet(await openLedgerStore(fixture.url));
      reader = openDatabase<unknown>(fixture.url);
      follow = new FollowBalanceUpdates({ source: new SqlBalanceUpdateSource(reader.db, reader.engine), commits: parts.commits, pollMs: 50, rowsPerRead: 2 });
    });

    afterAll(async () => {
      await reader?.close();
      await parts?.store.close();
      await fixture?.drop?.();
    });

    /** Deposits, a hold and its void (trading: no update), withdrawals completed, rejected, and a transfer. */
    async function activity(alice: string, bob: string) {
      const id = `${prefix()}-${alice}`;
      const wallet = parts.wallet;
      await wallet.creditDeposit(`${id}-dep`, alice, "BTC", 20n * BTC);
      await wallet.createHold({ holdId: `${id}-hold`, account: alice, asset: "BTC", amount: BTC, timeoutMs: 0 });
      await wallet.voidHold(`${id}-hold`);
      const request = { account: alice, asset: "BTC", network: "", address: "bc1dest", memo: "", totpCode: "" };
      expect((await wallet.requestWithdrawal({ ...request, withdrawalId: `${id}-small`, amount: BTC / 10n })).status).toBe("completed");
      expect((await wallet.requestWithdrawal({ ...request, withdrawalId: `${id}-big`, amount: 12n * BTC })).status).toBe("awaiting_approval");
      await wallet.rejectWithdrawal(`${id}-big`, "no");
      await wallet.transfer({ transferId: `${id}-tr`, from: alice, to: bob, asset: "BTC", amount: BTC });
      await wallet.creditDeposit(`${id}-usdt`, bob, "USDT", 5n * BTC);
    }

    it("delivers one account's deposits, withdrawals, returns and transfers in commit order, with exact deltas, and nobody else's", async () => {
      run += 1;
      const [alice, bob, carol] = [`${prefix()}-alice`, `${prefix()}-bob`, `${prefix()}-carol`];
      const streams = [collect(follow, alice), collect(follow, bob), collect(follow, carol)];
      await Promise.all(streams.map((stream) => stream.started()));
      const [aliceStream, bobStream, carolStream] = streams as [ReturnType<typeof collect>, ReturnType<typeof collect>, ReturnType<typeof collect>];
      await activity(alice, bob);
      await until(() => aliceStream.updates().length >= 5 && bobStream.updates().length >= 2);
      // One more commit after the last one waited for: whatever would have come late has had its chance.
      await parts.wallet.creditDeposit(`${prefix()}-carol-dep`, carol, "BTC", 1n);
      await until(() => carolStream.updates().length >= 1);
      await Promise.all(streams.map((stream) => stream.stop()));

      expect(aliceStream.updates().map((u) => [u.account, u.asset, u.delta, u.reason])).toEqual([
        [alice, "BTC", 20n * BTC, "deposit"],
        [alice, "BTC", -BTC / 10n, "withdrawal"],
        [alice, "BTC", -12n * BTC, "withdrawal"],
        [alice, "BTC", 12n * BTC, "withdrawal_returned"],
        [alice, "BTC", -BTC, "transfer"],
      ]);
      expect(new Set(aliceStream.updates().map((u) => u.reference)).size).toBe(5);
      expect(bobStream.updates().map((u) => [u.account, u.asset, u.delta, u.reason])).toEqual([
        [bob, "BTC", BTC, "transfer"],
        [bob, "USDT", 5n * BTC, "deposit"],
      ]);
      expect(carolStream.updates().map((u) => [u.account, u.delta])).toEqual([[carol, 1n]]);
      for (const stream of streams) {
        expect(stream.failure()).toBeUndefined();
        // Cursors only move forward.
        const cursors = stream.messages.map((m) => m.cursor);
        for (let i = 1; i < cursors.length; i += 1) expect(cursors[i]!.seq * 1e9 + cursors[i]!.index).toBeGreaterThan(cursors[i - 1]!.seq * 1e9 + cursors[i - 1]!.index);
      }
    });

    it("delivers an operator's adjustment once a second operator approved it, not while it is pending", async () => {
      run += 1;
      const alice = `${prefix()}-alice`;
      const stream = collect(follow, alice);
      await stream.started();
      const adjust = (id: string, amount: bigint) =>
        parts.wallet.run(`adjustment-request:${id}`, { kind: "adjustment_request", adjustmentId: id, account: alice, asset: "BTC", amount, reason: "test", requestedBy: "op-a" });
      const approve = (id: string, amount: bigint) =>
        parts.wallet.run(`adjustment-approve:${id}`, { kind: "adjustment", adjustmentId: id, account: alice, asset: "BTC", amount, approvedBy: "op-b", reason: "test" });
      await adjust(`${prefix()}-credit`, 3n * BTC);
      await adjust(`${prefix()}-debit`, -BTC);
      await approve(`${prefix()}-credit`, 3n * BTC);
      await approve(`${prefix()}-debit`, -BTC);
      await adjust(`${prefix()}-pending`, 7n * BTC); // never approved: no update
      await parts.wallet.creditDeposit(`${prefix()}-marker`, alice, "ETH", 1n);
      await until(() => stream.updates().some((u) => u.asset === "ETH"));
      await stream.stop();
      expect(stream.updates().map((u) => [u.asset, u.delta, u.reason])).toEqual([
        ["BTC", 3n * BTC, "adjustment"],
        ["BTC", -BTC, "adjustment"],
        ["ETH", 1n, "deposit"],
      ]);
    });

    it("resumes after any cursor it sent, without a gap or a duplicate, and a stream from now sees nothing older", async () => {
      run += 1;
      const [alice, bob] = [`${prefix()}-alice`, `${prefix()}-bob`];
      const first = collect(follow, alice);
      await first.started();
      await activity(alice, bob);
      await until(() => first.updates().length >= 5);
      await first.stop();
      const all = first.updates().map((u) => `${u.reference} ${u.delta}`);
      expect(all).toHaveLength(5);

      // A last update after them all: a resumed stream must deliver exactly what follows its cursor up to it.
      await parts.wallet.creditDeposit(`${prefix()}-marker`, alice, "ETH", 1n);
      const marker = (u: { asset: string }) => u.asset === "ETH";
      for (const [index, message] of first.messages.entries()) {
        const resumed = collect(follow, alice, encodeBalanceCursor(message.cursor));
        await until(() => resumed.updates().some(marker));
        await resumed.stop();
        expect(resumed.messages[0]!.cursor).toEqual(message.cursor);
        const delivered = resumed.updates().map((u) => `${u.reference} ${u.delta}`);
        expect(delivered.slice(0, -1)).toEqual(all.slice(index));
        expect(delivered).toHaveLength(all.length - index + 1);
      }

      const fromNow = collect(follow, alice);
      await fromNow.started();
      await parts.wallet.creditDeposit(`${prefix()}-late`, alice, "BTC", 3n);
      await until(() => fromNow.updates().length >= 1);
      await fromNow.stop();
      expect(fromNow.updates().map((u) => u.delta)).toEqual([3n]);
    });

    it("a follower whose account has no new history polls without a query of its own, and still hears its update", async () => {
      run += 1;
      const idle = `${prefix()}-idle`;
      const source = new SqlBalanceUpdateSource(reader.db, reader.engine, { refreshMs: 0 });
      let polls = 0;
      const counted = { head: () => source.head(), read: (...args: Parameters<SqlBalanceUpdateSource["read"]>) => ((polls += 1), source.read(...args)) };
      const quiet = new FollowBalanceUpdates({ source: counted, pollMs: 10 });
      const stream = collect(quiet, idle);
      await stream.started();
      await activity(`${prefix()}-busy`, `${prefix()}-other`);
      const last = (await source.head()).seq;
      await until(() => stream.messages.length > 0 && polls > 0);
      const polled = polls;
      await until(async () => polls >= polled + 3 && (await source.head()).seq >= last);
      expect(source.reads).toBe(0);
      await parts.wallet.creditDeposit(`${prefix()}-idle-dep`, idle, "BTC", 42n);
      await until(() => stream.updates().length >= 1);
      await stream.stop();
      expect(stream.updates().map((u) => u.delta)).toEqual([42n]);
      expect(source.reads).toBeGreaterThan(0);
    });

    it("refuses a cursor it did not send (INVALID_PARAMETER)", async () => {
      const stream = collect(follow, "anyone", "not-a-cursor");
      await stream.started();
      await stream.stop();
      expect(stream.failure()).toBeInstanceOf(DomainError);
      expect((stream.failure() as DomainError).key).toBe("INVALID_PARAMETER");
      expect(stream.messages).toEqual([]);
    });
  });
}
