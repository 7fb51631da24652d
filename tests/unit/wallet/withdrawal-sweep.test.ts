import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase } from "#kit/db/database.js";
import { SimulatedChain } from "../../../services/wallet/src/adapters/chain-gateway.simulated.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { EmbeddedMfaVerifier } from "../../../services/wallet/src/adapters/mfa-verifier.embedded.js";
import { AssetRegistry } from "../../../services/wallet/src/domain/assets.js";
import { FEE_ACCOUNT } from "../../../services/wallet/src/domain/ledger.js";
import { Wallet } from "../../../services/wallet/src/domain/wallet.use-case.js";
import type { WithdrawalOrder } from "../../../services/wallet/src/ports/chain-gateway.port.js";
import { balanceOf, expectConserved } from "../../integration/wallet/ledger-store.contract.js";

// A withdrawal is debited (available -> pending) before it is broadcast, and completed after.
// A process that dies, or a chain that fails, in between leaves it `pending`; the ledger's clock
// drives it again (Wallet.resumeWithdrawals, run by the module every tick): the broadcast is
// idempotent by withdrawal id, completion is one command id, so the chain is paid once.

const dir = mkdtempSync(join(tmpdir(), "wallet-sweep-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The simulated chain, down until `up` is set; counts what it really broadcast. */
class FlakyChain extends SimulatedChain {
  up = false;
  readonly broadcast = new Map<string, number>();

  override async send(order: WithdrawalOrder): Promise<{ txId: string }> {
    if (!this.up) throw new Error("chain node unreachable");
    this.broadcast.set(order.withdrawalId, (this.broadcast.get(order.withdrawalId) ?? 0) + 1);
    return super.send(order);
  }
}

describe("withdrawals left pending are driven again by the ledger's clock", () => {
  it("completes a withdrawal whose broadcast failed, once, after the grace period, and only then", async () => {
    const file = join(dir, "sweep.sqlite");
    const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${file}`));
    const clock = new ManualClock(1_700_000_000_000);
    const chain = new FlakyChain();
    const wallet = new Wallet({ store, executor: store, assets: new AssetRegistry(), clock, chain, mfa: new EmbeddedMfaVerifier(clock), tiers: { tier: async () => 0 } });
    try {
      const btc = wallet.assets.network("BTC", "")!;
      await wallet.creditDeposit("fund", "alice", "BTC", 100_000_000n);
      const amount = 10_000_000n;
      await expect(
        wallet.requestWithdrawal({ withdrawalId: "w1", account: "alice", asset: "BTC", network: "", amount, address: "bc1dest", memo: "", totpCode: "" }),
      ).rejects.toThrow("unreachable");
      expect((await wallet.withdrawal("w1")).status).toBe("pending");
      expect(await balanceOf(store, "alice", "BTC")).toEqual({ available: 90_000_000n, locked: 0n, pending: amount });

      chain.up = true;
      clock.advance(10_000);
      expect(await wallet.resumeWithdrawals(30_000)).toBe(0); // still within the grace period
      clock.advance(25_000);
      expect(await wallet.resumeWithdrawals(30_000)).toBe(1);
      expect(await wallet.resumeWithdrawals(30_000)).toBe(0); // completed: no longer due

      const done = await wallet.withdrawal("w1");
      expect(done.status).toBe("completed");
      expect(done.txId).not.toBe("");
      expect(chain.broadcast.get("w1")).toBe(1);
      expect(await balanceOf(store, "alice", "BTC")).toEqual({ available: 90_000_000n, locked: 0n, pending: 0n });
      expect((await balanceOf(store, FEE_ACCOUNT, "BTC")).available).toBe(btc.withdrawFee);
      await expectConserved(store);
    } finally {
      await store.close();
    }
  });

  it("leaves a withdrawal awaiting approval alone", async () => {
    const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${join(dir, "approval.sqlite")}`));
    const clock = new ManualClock(1_700_000_000_000);
    const chain = new FlakyChain();
    chain.up = true;
    const wallet = new Wallet({ store, executor: store, assets: new AssetRegistry(), clock, chain, mfa: new EmbeddedMfaVerifier(clock), tiers: { tier: async () => 0 } });
    try {
      const threshold = wallet.assets.get("BTC")!.approvalThreshold;
      await wallet.creditDeposit("fund", "bob", "BTC", threshold * 2n);
      const requested = await wallet.requestWithdrawal({ withdrawalId: "big", account: "bob", asset: "BTC", network: "", amount: threshold + 1n, address: "bc1dest", memo: "", totpCode: "" });
      expect(requested.status).toBe("awaiting_approval");
      clock.advance(3_600_000);
      expect(await wallet.resumeWithdrawals(30_000)).toBe(0);
      expect(chain.broadcast.size).toBe(0);
      expect((await wallet.withdrawal("big")).status).toBe("awaiting_approval");
    } finally {
      await store.close();
    }
  });

  it("holds a frozen account's withdrawals: approval refused, a pending one not broadcast, sent after the unfreeze", async () => {
    const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${join(dir, "frozen.sqlite")}`));
    const clock = new ManualClock(1_700_000_000_000);
    const chain = new FlakyChain();
    const mfa = new EmbeddedMfaVerifier(clock);
    const wallet = new Wallet({ store, executor: store, assets: new AssetRegistry(), clock, chain, mfa, tiers: { tier: async () => 0 } });
    try {
      const threshold = wallet.assets.get("BTC")!.approvalThreshold;
      await wallet.creditDeposit("fund", "carol", "BTC", threshold * 4n);
      // One left pending by a chain outage, one awaiting approval; then the account is frozen and the chain is back.
      await expect(wallet.requestWithdrawal({ withdrawalId: "small", account: "carol", asset: "BTC", network: "", amount: 10_000_000n, address: "bc1dest", memo: "", totpCode: "" })).rejects.toThrow("unreachable");
      await wallet.requestWithdrawal({ withdrawalId: "big", account: "carol", asset: "BTC", network: "", amount: threshold + 1n, address: "bc1dest", memo: "", totpCode: "" });
      mfa.setFrozen("carol", clock.now());
      chain.up = true;
      const before = await balanceOf(store, "carol", "BTC");

      await expect(wallet.approveWithdrawal("big")).rejects.toMatchObject({ key: "ACCOUNT_FROZEN" });
      clock.advance(3_600_000);
      expect(await wallet.resumeWithdrawals(30_000)).toBe(0);
      expect((await wallet.processWithdrawal("small")).status).toBe("pending");
      expect(chain.broadcast.size).toBe(0);
      expect((await wallet.withdrawal("big")).status).toBe("awaiting_approval");
      expect(await balanceOf(store, "carol", "BTC")).toEqual(before);

      mfa.setFrozen("carol", 0);
      expect(await wallet.resumeWithdrawals(30_000)).toBe(1);
      expect((await wallet.approveWithdrawal("big")).status).toBe("completed");
      expect([...chain.broadcast]).toEqual([
        ["small", 1],
        ["big", 1],
      ]);
      await expectConserved(store);
    } finally {
      await store.close();
    }
  });
});
