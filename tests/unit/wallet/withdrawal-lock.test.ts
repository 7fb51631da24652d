import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase } from "#kit/db/database.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { SimulatedChain } from "../../../services/wallet/src/adapters/chain-gateway.simulated.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { EmbeddedMfaVerifier } from "../../../services/wallet/src/adapters/mfa-verifier.embedded.js";
import { AssetRegistry } from "../../../services/wallet/src/domain/assets.js";
import { Wallet } from "../../../services/wallet/src/domain/wallet.use-case.js";
import { balanceOf } from "../../integration/wallet/ledger-store.contract.js";

// Wallet enforces auth's withdrawal lock itself (not only the edge): while the account's lock runs
// past the ledger's clock, a withdrawal and an allow-list change are refused and change nothing.

const dir = mkdtempSync(join(tmpdir(), "wallet-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function refusal(call: Promise<unknown>): Promise<DomainError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe("the withdrawal lock, as auth reports it", () => {
  it("refuses a withdrawal and an allow-list change until the lock passes on the ledger's clock, holding nothing", async () => {
    const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${join(dir, "lock.sqlite")}`));
    const clock = new ManualClock(1_700_000_000_000);
    const mfa = new EmbeddedMfaVerifier(clock);
    const wallet = new Wallet({ store, executor: store, assets: new AssetRegistry(), clock, chain: new SimulatedChain(), mfa, tiers: { tier: async () => 0 } });
    try {
      await wallet.creditDeposit("fund", "alice", "BTC", 100_000_000n);
      const until = clock.now() + 24 * 60 * 60 * 1000;
      mfa.lockWithdrawals("alice", until);
      const request = { withdrawalId: "w1", account: "alice", asset: "BTC", network: "", amount: 10_000_000n, address: "bc1dest", memo: "", totpCode: "" };
      const entries = [{ address: "bc1dest", memo: "" }];

      for (const call of [() => wallet.requestWithdrawal(request), () => wallet.updateAllowList({ account: "alice", enabled: true, entries, totpCode: "" })]) {
        const locked = await refusal(call());
        expect(locked.key).toBe("WITHDRAWALS_LOCKED");
        expect(locked.metadata).toMatchObject({ lockedUntil: String(until) });
        expect(locked.message).toMatch(/^Withdrawals are locked until 2023-11-15T22:13:20.000Z after a security change/);
      }
      expect(await balanceOf(store, "alice", "BTC")).toEqual({ available: 100_000_000n, locked: 0n, pending: 0n });
      expect((await wallet.listWithdrawals("alice", { size: 10, token: "" })).items).toEqual([]);
      expect(await wallet.allowList("alice")).toEqual({ enabled: false, entries: [] });

      clock.advance(24 * 60 * 60 * 1000 - 1);
      expect((await refusal(wallet.requestWithdrawal(request))).key).toBe("WITHDRAWALS_LOCKED");
      clock.advance(1); // the lock's end: accepted
      expect(await wallet.updateAllowList({ account: "alice", enabled: true, entries, totpCode: "" })).toEqual({ enabled: true, entries });
      const withdrawal = await wallet.requestWithdrawal(request);
      expect(withdrawal).toMatchObject({ id: "withdrawal:w1", account: "alice", amount: 10_000_000n });
      expect((await balanceOf(store, "alice", "BTC")).available).toBe(90_000_000n);
    } finally {
      await store.close();
    }
  });

  it("does not lock an account the verifier reports unlocked", async () => {
    const mfa = new EmbeddedMfaVerifier(new ManualClock(0));
    expect(await mfa.security("bob")).toEqual({ mfaEnabled: false, withdrawalLockedUntil: 0, frozenAt: 0 });
  });
});
