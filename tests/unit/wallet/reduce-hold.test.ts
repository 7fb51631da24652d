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
import { Wallet } from "../../../services/wallet/src/domain/wallet.use-case.js";
import { balanceOf, expectConserved } from "../../integration/wallet/ledger-store.contract.js";

// ReduceHold: part of a pending hold back to available (an order reduced in place), once per
// request id, never more than what remains; the hold stays pending with the rest.

const dir = mkdtempSync(join(tmpdir(), "wallet-reduce-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Wallet.reduceHold", () => {
  it("releases part of a hold once per request id, never more than remains, and leaves the rest held", async () => {
    const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${join(dir, "reduce.sqlite")}`));
    const clock = new ManualClock(1_700_000_000_000);
    const wallet = new Wallet({ store, executor: store, assets: new AssetRegistry(), clock, chain: new SimulatedChain(), mfa: new EmbeddedMfaVerifier(clock), tiers: { tier: async () => 0 } });
    try {
      await wallet.creditDeposit("fund", "alice", "BTC", 100n);
      await wallet.createHold({ holdId: "h1", account: "alice", asset: "BTC", amount: 80n, timeoutMs: 0 });
      const reduced = await wallet.reduceHold("h1", "a1", 30n);
      expect(reduced).toMatchObject({ state: "pending", amount: 80n, remaining: 50n });
      expect(await balanceOf(store, "alice", "BTC")).toEqual({ available: 50n, locked: 50n, pending: 0n });
      // The same request again: nothing more released.
      await wallet.reduceHold("h1", "a1", 30n);
      expect(await balanceOf(store, "alice", "BTC")).toEqual({ available: 50n, locked: 50n, pending: 0n });
      // The same id for another amount is a different request: refused.
      await expect(wallet.reduceHold("h1", "a1", 10n)).rejects.toMatchObject({ key: "DUPLICATE_REQUEST" });
      await expect(wallet.reduceHold("h1", "a2", 51n)).rejects.toMatchObject({ key: "INVALID_PARAMETER" });
      await expect(wallet.reduceHold("h1", "a3", 0n)).rejects.toMatchObject({ key: "INVALID_PARAMETER" });
      await expect(wallet.reduceHold("nope", "a4", 1n)).rejects.toMatchObject({ key: "NOT_FOUND" });
      expect(await balanceOf(store, "alice", "BTC")).toEqual({ available: 50n, locked: 50n, pending: 0n });
      // Voiding returns exactly what is left; a voided hold cannot be reduced.
      await wallet.voidHold("h1");
      expect(await balanceOf(store, "alice", "BTC")).toEqual({ available: 100n, locked: 0n, pending: 0n });
      await expect(wallet.reduceHold("h1", "a5", 1n)).rejects.toMatchObject({ key: "INVALID_STATE" });
      await expectConserved(store);
    } finally {
      await store.close();
    }
  });
});
