import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { SimulatedChain } from "../../../services/wallet/src/adapters/chain-gateway.simulated.js";
import { EmbeddedMfaVerifier } from "../../../services/wallet/src/adapters/mfa-verifier.embedded.js";
import { AssetRegistry } from "../../../services/wallet/src/domain/assets.js";
import { CommandBatcher } from "../../../services/wallet/src/domain/command-batcher.js";
import type { AuditEntry, AuditLog } from "#kit/ports/audit-log.port.js";
import { auditJson } from "#kit/ports/audit-log.port.js";
import { AdjustBalance } from "../../../services/wallet/src/domain/adjust-balance.use-case.js";
import { ADJUSTMENT_ACCOUNT, FEE_ACCOUNT, makeCommand, type BalanceRow } from "../../../services/wallet/src/domain/ledger.js";
import { Wallet } from "../../../services/wallet/src/domain/wallet.use-case.js";
import type { LedgerStore } from "../../../services/wallet/src/ports/ledger-store.port.js";

// One contract for every LedgerStore adapter (SQLite, PostgreSQL, DynamoDB): run it with a
// factory that returns a fresh, empty store. `forceNegative` must try to write a negative
// balance behind the planner's back, straight into the engine, and reject.

export interface LedgerStoreFixture {
  readonly store: LedgerStore;
  /** Attempts to write a negative available balance directly; must throw. */
  forceNegative(account: string, asset: string): Promise<void>;
}

export interface ContractOptions {
  /** Also run the suite with a group-commit batcher in front of the store. */
  readonly batching?: boolean;
}

export const BTC = (text: string) => units(text, 8);
export const USDT = (text: string) => units(text, 8);

function units(text: string, scale: number): bigint {
  const [whole, fraction = ""] = text.split(".");
  return BigInt(whole + fraction.padEnd(scale, "0"));
}

export function walletOver(store: LedgerStore, options: { clock?: ManualClock; batching?: boolean; tiers?: Record<string, number> } = {}) {
  const clock = options.clock ?? new ManualClock(1_700_000_000_000);
  const chain = new SimulatedChain();
  const mfa = new EmbeddedMfaVerifier(clock);
  const executor = options.batching ? new CommandBatcher(store) : store;
  const tiers = options.tiers ?? {};
  const wallet = new Wallet({ store, executor, assets: new AssetRegistry(), clock, chain, mfa, tiers: { tier: async (account) => tiers[account] ?? 0 } });
  return { wallet, clock, chain, mfa, store };
}

export async function balanceOf(store: LedgerStore, account: string, asset: string): Promise<{ available: bigint; locked: bigint; pending: bigint }> {
  const row = (await store.balances(account)).find((candidate: BalanceRow) => candidate.asset === asset);
  return { available: row?.available ?? 0n, locked: row?.locked ?? 0n, pending: row?.pending ?? 0n };
}

export async function expectConserved(store: LedgerStore): Promise<void> {
  const audit = await store.audit();
  expect(audit.negative).toEqual([]);
  const assets = new Set([...audit.balances.keys(), ...audit.netInflow.keys(), ...audit.adjustments.keys()]);
  for (const asset of assets) {
    expect([asset, audit.balances.get(asset) ?? 0n]).toEqual([asset, (audit.netInflow.get(asset) ?? 0n) + (audit.adjustments.get(asset) ?? 0n)]);
  }
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
}

let counter = 0;
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter += 1)}`;

export function ledgerStoreContract(name: string, factory: () => Promise<LedgerStoreFixture>, options: ContractOptions = {}): void {
  describe(`LedgerStore contract: ${name}${options.batching ? " (group commit)" : ""}`, () => {
    let fixture: LedgerStoreFixture;
    beforeAll(async () => {
      fixture = await factory();
    });
    afterAll(async () => {
      await fixture?.store.close();
    });
    const setup = (tiers?: Record<string, number>) => walletOver(fixture.store, { batching: options.batching, tiers });

    async function funded(wallet: Wallet, asset: string, amount: bigint): Promise<string> {
      const account = uid("acct");
      await wallet.creditDeposit(uid("dep"), account, asset, amount);
      return account;
    }

    it("credits a deposit once per id, however often it is replayed", async () => {
      const { wallet, store } = setup();
      const account = uid("acct");
      const id = uid("dep");
      const first = await wallet.creditDeposit(id, account, "BTC", BTC("1.5"));
      const again = await wallet.creditDeposit(id, account, "BTC", BTC("1.5"));
      expect([first.duplicate, again.duplicate]).toEqual([false, true]);
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("1.5"), locked: 0n, pending: 0n });
      const other = await failure(wallet.creditDeposit(id, account, "BTC", BTC("2")));
      expect(other.key).toBe("DUPLICATE_REQUEST");
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("1.5"), locked: 0n, pending: 0n });
    });

    it("settles a trade from both holds with maker/taker fees rounded up, exactly once", async () => {
      const { wallet, store } = setup();
      const buyer = await funded(wallet, "USDT", USDT("1000"));
      const seller = await funded(wallet, "BTC", BTC("1"));
      const feesBefore = { btc: await balanceOf(store, FEE_ACCOUNT, "BTC"), usdt: await balanceOf(store, FEE_ACCOUNT, "USDT") };
      const buyerHold = uid("order");
      const sellerHold = uid("order");
      await wallet.createHold({ holdId: buyerHold, account: buyer, asset: "USDT", amount: USDT("600"), timeoutMs: 0 });
      await wallet.createHold({ holdId: sellerHold, account: seller, asset: "BTC", amount: BTC("0.02"), timeoutMs: 0 });
      expect(await balanceOf(store, buyer, "USDT")).toEqual({ available: USDT("400"), locked: USDT("600"), pending: 0n });

      const trade = {
        tradeId: uid("BTCUSDT:42:0"),
        symbol: "BTCUSDT",
        baseAsset: "BTC",
        quoteAsset: "USDT",
        buyer,
        seller,
        buyerHoldId: buyerHold,
        sellerHoldId: sellerHold,
        base: 1_234_567n, // 0.01234567 BTC
        quote: USDT("555.55555555"),
        buyerIsMaker: true,
      };
      const settled = await wallet.settleTrade(trade);
      // tier 0: 10 bps both sides. ceil(1234567 * 10 / 10000) = 1235; ceil(55555555555 * 10 / 10000) = 55555556.
      expect(settled).toEqual({ buyerFee: 1235n, sellerFee: 55_555_556n, duplicate: false });
      const after = async () => ({
        buyerUsdt: await balanceOf(store, buyer, "USDT"),
        buyerBtc: await balanceOf(store, buyer, "BTC"),
        sellerBtc: await balanceOf(store, seller, "BTC"),
        sellerUsdt: await balanceOf(store, seller, "USDT"),
        feeBtc: await balanceOf(store, FEE_ACCOUNT, "BTC"),
        feeUsdt: await balanceOf(store, FEE_ACCOUNT, "USDT"),
      });
      const state = await after();
      expect(state.buyerUsdt).toEqual({ available: USDT("400"), locked: USDT("600") - USDT("555.55555555"), pending: 0n });
      expect(state.buyerBtc.available).toBe(1_234_567n - 1235n);
      expect(state.sellerBtc).toEqual({ available: BTC("0.98"), locked: BTC("0.02") - 1_234_567n, pending: 0n });
      expect(state.sellerUsdt.available).toBe(USDT("555.55555555") - 55_555_556n);
      expect(state.feeBtc.available - feesBefore.btc.available).toBe(1235n);
      expect(state.feeUsdt.available - feesBefore.usdt.available).toBe(55_555_556n);

      const replay = await wallet.settleTrade(trade);
      expect(replay).toEqual({ buyerFee: 1235n, sellerFee: 55_555_556n, duplicate: true });
      expect(await after()).toEqual(state);
      const changed = await failure(wallet.settleTrade({ ...trade, quote: trade.quote + 1n }));
      expect(changed.key).toBe("DUPLICATE_REQUEST");
      expect(await after()).toEqual(state);

      const hold = await wallet.voidHold(buyerHold);
      expect(hold.state).toBe("posted");
      expect(await balanceOf(store, buyer, "USDT")).toEqual({ available: USDT("1000") - USDT("555.55555555"), locked: 0n, pending: 0n });
      await expectConserved(store);
    });

    it("uses the tier's maker and taker rates", async () => {
      const base = { buyer: uid("maker"), seller: uid("taker") };
      const { wallet } = setup({ [base.buyer]: 4, [base.seller]: 3 });
      await wallet.creditDeposit(uid("d"), base.buyer, "USDT", USDT("100"));
      await wallet.creditDeposit(uid("d"), base.seller, "BTC", BTC("1"));
      const settled = await wallet.settleTrade({
        tradeId: uid("t"),
        symbol: "BTCUSDT",
        baseAsset: "BTC",
        quoteAsset: "USDT",
        ...base,
        buyerHoldId: "",
        sellerHoldId: "",
        base: 100_000n,
        quote: USDT("50"),
        buyerIsMaker: true,
      });
      // buyer tier 4 maker: 0 bps; seller tier 3 taker: 6 bps of 50 USDT = 0.03 USDT.
      expect(settled).toEqual({ buyerFee: 0n, sellerFee: 3_000_000n, duplicate: false });
    });

    it("rejects a settlement beyond a hold with INSUFFICIENT_BALANCE and changes nothing (linked: both sides or neither)", async () => {
      const { wallet, store } = setup();
      const buyer = await funded(wallet, "USDT", USDT("100"));
      const seller = await funded(wallet, "BTC", BTC("1"));
      await wallet.createHold({ holdId: uid("b"), account: buyer, asset: "USDT", amount: USDT("100"), timeoutMs: 0 });
      const sellerHold = uid("s");
      await wallet.createHold({ holdId: sellerHold, account: seller, asset: "BTC", amount: BTC("0.001"), timeoutMs: 0 });
      const before = [await store.balances(buyer), await store.balances(seller), await store.balances(FEE_ACCOUNT)];
      const error = await failure(
        wallet.settleTrade({
          tradeId: uid("t"),
          symbol: "BTCUSDT",
          baseAsset: "BTC",
          quoteAsset: "USDT",
          buyer,
          seller,
          buyerHoldId: "",
          sellerHoldId: sellerHold,
          base: BTC("0.002"),
          quote: USDT("50"),
          buyerIsMaker: false,
        }),
      );
      expect(error.key).toBe("INSUFFICIENT_BALANCE");
      expect(error.spec.binance).toBe(-2010);
      expect([await store.balances(buyer), await store.balances(seller), await store.balances(FEE_ACCOUNT)]).toEqual(before);
      const overdraw = await failure(wallet.createHold({ holdId: uid("h"), account: buyer, asset: "USDT", amount: 1n, timeoutMs: 0 }));
      expect(overdraw.key).toBe("INSUFFICIENT_BALANCE");
      expect(await store.balances(buyer)).toEqual(before[0]);
    });

    it("resolves a hold at most once: void releases the rest, a second void is a duplicate, settling after void fails", async () => {
      const { wallet, store } = setup();
      const account = await funded(wallet, "BTC", BTC("2"));
      const holdId = uid("h");
      const hold = await wallet.createHold({ holdId, account, asset: "BTC", amount: BTC("1.5"), timeoutMs: 0 });
      expect(hold).toMatchObject({ state: "pending", remaining: BTC("1.5") });
      expect((await wallet.voidHold(holdId)).state).toBe("voided");
      expect((await wallet.voidHold(holdId)).state).toBe("voided");
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("2"), locked: 0n, pending: 0n });
      const buyer = await funded(wallet, "USDT", USDT("10"));
      const late = await failure(
        wallet.settleTrade({ tradeId: uid("t"), symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyer, seller: account, buyerHoldId: "", sellerHoldId: holdId, base: 1n, quote: 1n, buyerIsMaker: false }),
      );
      expect(late.key).toBe("INVALID_STATE");
      expect((await failure(wallet.voidHold(uid("missing")))).key).toBe("NOT_FOUND");
    });

    it("reduces a pending hold once per request id, never below zero, and a voided one not at all", async () => {
      const { wallet, store } = setup();
      const account = await funded(wallet, "BTC", BTC("2"));
      const holdId = uid("h");
      await wallet.createHold({ holdId, account, asset: "BTC", amount: BTC("1.5"), timeoutMs: 0 });
      expect(await wallet.reduceHold(holdId, "a1", BTC("0.5"))).toMatchObject({ state: "pending", remaining: BTC("1") });
      expect(await wallet.reduceHold(holdId, "a1", BTC("0.5"))).toMatchObject({ remaining: BTC("1") });
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("1"), locked: BTC("1"), pending: 0n });
      expect((await failure(wallet.reduceHold(holdId, "a1", BTC("0.4")))).key).toBe("DUPLICATE_REQUEST");
      expect((await failure(wallet.reduceHold(holdId, "a2", BTC("1.1")))).key).toBe("INVALID_PARAMETER");
      expect((await wallet.voidHold(holdId)).state).toBe("voided");
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("2"), locked: 0n, pending: 0n });
      expect((await failure(wallet.reduceHold(holdId, "a3", 1n))).key).toBe("INVALID_STATE");
      await expectConserved(store);
    });

    it("moves part of an ending hold into another (a cancel-replace's funds) in one command, once, and releases the rest", async () => {
      const { wallet, store } = setup();
      const account = await funded(wallet, "USDT", USDT("3000"));
      const old = uid("h");
      const replacement = uid("h");
      // The old order holds 2900 and trades 1450 of it; the replacement holds the 100 left free, then takes 2900 - 1450 - 50.
      await wallet.createHold({ holdId: old, account, asset: "USDT", amount: USDT("2900"), timeoutMs: 0 });
      const seller = await funded(wallet, "BTC", BTC("1"));
      await wallet.settleTrade({ tradeId: uid("t"), symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyer: account, seller, buyerHoldId: old, sellerHoldId: "", base: BTC("0.05"), quote: USDT("1450"), buyerIsMaker: true });
      await wallet.createHold({ holdId: replacement, account, asset: "USDT", amount: USDT("100"), timeoutMs: 0 });
      expect(await balanceOf(store, account, "USDT")).toEqual({ available: 0n, locked: USDT("1550"), pending: 0n });
      // Refusals change nothing: more than remains, a hold of another account, the hold itself, a missing one.
      expect((await failure(wallet.moveHold(old, replacement, USDT("1450.00000001")))).key).toBe("INSUFFICIENT_BALANCE");
      const stranger = await funded(wallet, "USDT", USDT("1"));
      const theirs = uid("h");
      await wallet.createHold({ holdId: theirs, account: stranger, asset: "USDT", amount: USDT("1"), timeoutMs: 0 });
      expect((await failure(wallet.moveHold(old, theirs, USDT("1")))).key).toBe("INVALID_PARAMETER");
      expect((await failure(wallet.moveHold(old, old, USDT("1")))).key).toBe("INVALID_PARAMETER");
      expect((await failure(wallet.moveHold(old, uid("missing"), USDT("1")))).key).toBe("INVALID_PARAMETER");
      expect(await wallet.hold(old)).toMatchObject({ state: "pending", remaining: USDT("1450") });

      const ended = await wallet.moveHold(old, replacement, USDT("1400"));
      expect(ended.hold).toMatchObject({ state: "posted", remaining: 0n, settled: USDT("1450") });
      expect(await wallet.hold(replacement)).toMatchObject({ state: "pending", amount: USDT("1500"), remaining: USDT("1500") });
      expect(await balanceOf(store, account, "USDT")).toEqual({ available: USDT("50"), locked: USDT("1500"), pending: 0n });
      // The same command again is a duplicate; a plain void of the old hold now is another request under its id.
      await wallet.moveHold(old, replacement, USDT("1400"));
      expect((await failure(wallet.voidHold(old))).key).toBe("DUPLICATE_REQUEST");
      expect(await wallet.hold(replacement)).toMatchObject({ remaining: USDT("1500") });
      expect(await balanceOf(store, account, "USDT")).toEqual({ available: USDT("50"), locked: USDT("1500"), pending: 0n });
      // A hold of zero (the replacement's own part when nothing is free) takes a move like any other.
      const empty = uid("h");
      await wallet.createHold({ holdId: empty, account, asset: "USDT", amount: 0n, timeoutMs: 0 });
      expect(await wallet.hold(empty)).toMatchObject({ state: "pending", amount: 0n, remaining: 0n });
      await wallet.moveHold(replacement, empty, USDT("1500"));
      expect(await wallet.hold(empty)).toMatchObject({ state: "pending", remaining: USDT("1500") });
      await wallet.voidHold(empty);
      expect(await balanceOf(store, account, "USDT")).toEqual({ available: USDT("1550"), locked: 0n, pending: 0n });
      await expectConserved(store);
    });

    it("expires a hold on the ledger's clock", async () => {
      const { wallet, store, clock } = setup();
      const account = await funded(wallet, "ETH", 10n ** 18n);
      const holdId = uid("h");
      await wallet.createHold({ holdId, account, asset: "ETH", amount: 4n * 10n ** 17n, timeoutMs: 60_000 });
      clock.advance(59_999);
      expect(await wallet.expireHolds()).toBe(0);
      clock.advance(1);
      expect(await wallet.expireHolds()).toBeGreaterThanOrEqual(1);
      expect((await wallet.hold(holdId)).state).toBe("expired");
      expect(await balanceOf(store, account, "ETH")).toEqual({ available: 10n ** 18n, locked: 0n, pending: 0n });
      expect((await failure(wallet.voidHold(holdId))).key).toBe("INVALID_STATE");
    });

    it("keeps a hold's timeout while trades draw on it, and forgets it once the hold is resolved", async () => {
      const { wallet, store, clock } = setup();
      const seller = await funded(wallet, "BTC", BTC("2"));
      const buyer = await funded(wallet, "USDT", USDT("100"));
      const holdId = uid("h");
      await wallet.createHold({ holdId, account: seller, asset: "BTC", amount: BTC("1"), timeoutMs: 60_000 });
      const trade = (n: number) => ({ tradeId: uid(`t${n}`), symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyer, seller, buyerHoldId: "", sellerHoldId: holdId, base: BTC("0.1"), quote: USDT("1"), buyerIsMaker: true });
      await wallet.settleTrade(trade(1));
      await wallet.settleTrade(trade(2));
      const dueIds = async () => (await store.dueDocs("hold", clock.now() + 60_000, 1000)).map((doc) => doc.id);
      expect(await dueIds()).toContain(`hold:${holdId}`);
      clock.advance(60_000);
      expect(await wallet.expireHolds()).toBeGreaterThanOrEqual(1);
      expect(await wallet.hold(holdId)).toMatchObject({ state: "expired", remaining: 0n, settled: BTC("0.2") });
      expect(await dueIds()).not.toContain(`hold:${holdId}`);
      expect(await balanceOf(store, seller, "BTC")).toEqual({ available: BTC("1.8"), locked: 0n, pending: 0n });
    });

    it("keeps values beyond int64 exact (ETH has 18 decimals)", async () => {
      const { wallet, store } = setup();
      const huge = 123_456_789_012_345_678_901_234_567_890n; // ~1.2e11 ETH in wei: far beyond 2^63
      const account = await funded(wallet, "ETH", huge);
      const other = uid("acct");
      await wallet.transfer({ transferId: uid("x"), from: account, to: other, asset: "ETH", amount: huge - 1n });
      expect(await balanceOf(store, account, "ETH")).toEqual({ available: 1n, locked: 0n, pending: 0n });
      expect(await balanceOf(store, other, "ETH")).toEqual({ available: huge - 1n, locked: 0n, pending: 0n });
    });

    it("refuses a negative balance in the engine itself, not only in code", async () => {
      const { wallet } = setup();
      const account = await funded(wallet, "BTC", 5n);
      await expect(fixture.forceNegative(account, "BTC")).rejects.toThrow();
      expect(await balanceOf(fixture.store, account, "BTC")).toEqual({ available: 5n, locked: 0n, pending: 0n });
    });

    it("runs concurrent transfers without losing or creating money", async () => {
      const { wallet, store } = setup();
      const a = await funded(wallet, "USDT", 1000n);
      const b = await funded(wallet, "USDT", 1000n);
      const results = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) => wallet.transfer({ transferId: uid("c"), from: i % 2 ? a : b, to: i % 2 ? b : a, asset: "USDT", amount: 97n })),
      );
      for (const result of results) if (result.status === "rejected") expect(result.reason instanceof DomainError ? result.reason.key : String(result.reason)).toBe("INSUFFICIENT_BALANCE");
      const total = (await balanceOf(store, a, "USDT")).available + (await balanceOf(store, b, "USDT")).available;
      expect(total).toBe(2000n);
      await expectConserved(store);
    });

    it("applies a batch of commands each on its own, in order", async () => {
      const { clock } = setup();
      const account = uid("acct");
      const outcomes = await fixture.store.execute([
        makeCommand(uid("dep"), clock.now(), { kind: "deposit", depositId: "x", account, asset: "BTC", network: "internal", amount: 10n, txId: uid("tx"), confirmations: 0, required: 0 }),
        makeCommand(uid("hold"), clock.now(), { kind: "hold", holdId: uid("h"), account, asset: "BTC", amount: 11n, timeoutMs: 0 }),
        makeCommand(uid("hold"), clock.now(), { kind: "hold", holdId: uid("h"), account, asset: "BTC", amount: 7n, timeoutMs: 0 }),
      ]);
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true]);
      expect(await balanceOf(fixture.store, account, "BTC")).toEqual({ available: 3n, locked: 7n, pending: 0n });
    });

    it("pages ledger history newest first with a cursor", async () => {
      const { wallet, store, clock } = setup();
      const account = await funded(wallet, "USDT", 100n);
      const other = uid("acct");
      for (let i = 0; i < 5; i += 1) {
        clock.advance(1);
        await wallet.transfer({ transferId: uid(`p${i}`), from: account, to: other, asset: "USDT", amount: BigInt(i + 1) });
      }
      const first = await store.entries(account, "USDT", { size: 4, token: "" });
      expect(first.items.map((entry) => entry.available)).toEqual([-5n, -4n, -3n, -2n]);
      expect(first.next).not.toBe("");
      const second = await store.entries(account, "", { size: 4, token: first.next });
      expect(second.items.map((entry) => entry.available)).toEqual([-1n, 100n]);
      expect(second.next).toBe("");
    });

    it("credits chain deposits after N confirmations, pending before", async () => {
      const { wallet, store, chain } = setup();
      const account = uid("acct");
      const { address, memo } = await wallet.depositAddress(account, "BTC", "BTC");
      expect(await wallet.depositAddress(account, "BTC", "")).toEqual({ address, memo, network: "BTC" });
      const simulated = chain as SimulatedChain;
      simulated.receive("BTC", address, memo, "BTC", BTC("0.5"));
      simulated.mine(1);
      await wallet.syncDeposits();
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: 0n, locked: 0n, pending: 0n });
      expect((await wallet.listDeposits(account, { size: 10, token: "" })).items.map((d) => [d.status, d.confirmations])).toEqual([["pending", 1]]);
      simulated.mine(5);
      await wallet.syncDeposits();
      await wallet.syncDeposits();
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("0.5"), locked: 0n, pending: 0n });
      expect((await wallet.listDeposits(account, { size: 10, token: "" })).items.map((d) => [d.status, d.confirmations])).toEqual([["completed", 2]]);
      // Memo networks: one address, the memo names the account.
      const xrp = await wallet.depositAddress(account, "XRP", "XRP");
      expect(xrp.memo).not.toBe("");
    });

    it("withdraws: hold in pending_withdrawal, fee to the fee account, approvals, rejection, limits, allow-list, MFA", async () => {
      const { wallet, store, mfa, chain } = setup();
      const account = await funded(wallet, "BTC", BTC("30"));
      const feeBefore = (await balanceOf(store, FEE_ACCOUNT, "BTC")).available;
      const small = await wallet.requestWithdrawal({ withdrawalId: uid("w"), account, asset: "BTC", network: "BTC", amount: BTC("1"), address: "bc1qdest", memo: "", totpCode: "" });
      expect(small.status).toBe("completed");
      expect(small.txId).not.toBe("");
      expect((chain as SimulatedChain).sent.get(small.id.slice("withdrawal:".length))?.order.amount).toBe(BTC("1") - BTC("0.0002"));
      expect((await balanceOf(store, FEE_ACCOUNT, "BTC")).available - feeBefore).toBe(BTC("0.0002"));

      const largeId = uid("w");
      const large = await wallet.requestWithdrawal({ withdrawalId: largeId, account, asset: "BTC", network: "BTC", amount: BTC("11"), address: "bc1qdest", memo: "", totpCode: "" });
      expect(large.status).toBe("awaiting_approval");
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("18"), locked: 0n, pending: BTC("11") });
      expect((await wallet.approveWithdrawal(largeId)).status).toBe("completed");
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("18"), locked: 0n, pending: 0n });

      const rejectedId = uid("w");
      await wallet.requestWithdrawal({ withdrawalId: rejectedId, account, asset: "BTC", network: "BTC", amount: BTC("12"), address: "bc1qdest", memo: "", totpCode: "" });
      expect((await wallet.rejectWithdrawal(rejectedId, "suspicious")).status).toBe("rejected");
      expect(await balanceOf(store, account, "BTC")).toEqual({ available: BTC("18"), locked: 0n, pending: 0n });
      expect((await failure(wallet.approveWithdrawal(rejectedId))).key).toBe("INVALID_STATE");

      const tooSmall = await failure(wallet.requestWithdrawal({ withdrawalId: uid("w"), account, asset: "BTC", network: "BTC", amount: BTC("0.0001"), address: "x", memo: "", totpCode: "" }));
      expect(tooSmall.violations[0]?.field).toBe("amount");
      const noMemo = await failure(wallet.requestWithdrawal({ withdrawalId: uid("w"), account, asset: "XRP", network: "XRP", amount: 30_000_000n, address: "r1", memo: "", totpCode: "" }));
      expect(noMemo.violations[0]?.field).toBe("memo");

      // Daily limit 100 BTC: 1 + 11 used (the rejected 12 was given back).
      const rich = await funded(wallet, "BTC", BTC("200"));
      await wallet.requestWithdrawal({ withdrawalId: uid("w"), account: rich, asset: "BTC", network: "BTC", amount: BTC("9"), address: "a", memo: "", totpCode: "" });
      await wallet.requestWithdrawal({ withdrawalId: uid("w"), account: rich, asset: "BTC", network: "BTC", amount: BTC("90"), address: "a", memo: "", totpCode: "" });
      const overLimit = await failure(wallet.requestWithdrawal({ withdrawalId: uid("w"), account: rich, asset: "BTC", network: "BTC", amount: BTC("2"), address: "a", memo: "", totpCode: "" }));
      expect(overLimit.message).toContain("daily withdrawal limit");

      await wallet.setAllowList(account, true, [{ address: "bc1qallowed", memo: "" }]);
      const notAllowed = await failure(wallet.requestWithdrawal({ withdrawalId: uid("w"), account, asset: "BTC", network: "BTC", amount: BTC("1"), address: "bc1qother", memo: "", totpCode: "" }));
      expect(notAllowed.violations[0]?.field).toBe("address");
      expect((await wallet.requestWithdrawal({ withdrawalId: uid("w"), account, asset: "BTC", network: "BTC", amount: BTC("1"), address: "bc1qallowed", memo: "", totpCode: "" })).status).toBe("completed");

      (mfa as EmbeddedMfaVerifier).enable(account, "JBSWY3DPEHPK3PXP");
      const before = await store.balances(account);
      const noCode = await failure(wallet.requestWithdrawal({ withdrawalId: uid("w"), account, asset: "BTC", network: "BTC", amount: BTC("1"), address: "bc1qallowed", memo: "", totpCode: "" }));
      expect(noCode.key).toBe("MFA_REQUIRED");
      const badCode = await failure(wallet.requestWithdrawal({ withdrawalId: uid("w"), account, asset: "BTC", network: "BTC", amount: BTC("1"), address: "bc1qallowed", memo: "", totpCode: "000000" }));
      expect(badCode.key).toBe("MFA_REQUIRED");
      expect(await store.balances(account)).toEqual(before);

      const listed = await wallet.listWithdrawals(account, { size: 2, token: "" });
      expect(listed.items).toHaveLength(2);
      const rest = await wallet.listWithdrawals(account, { size: 10, token: listed.next });
      expect(rest.items.length).toBe(2);
      await expectConserved(store);
    });

    it("keeps the approval queue: awaiting withdrawals of every account, oldest first, paged; approved and rejected ones leave it", async () => {
      const { wallet, store, clock } = setup();
      const alice = await funded(wallet, "BTC", BTC("100"));
      const bob = await funded(wallet, "BTC", BTC("100"));
      const request = (account: string, withdrawalId: string, amount: bigint) =>
        wallet.requestWithdrawal({ withdrawalId, account, asset: "BTC", network: "BTC", amount, address: "bc1qdest", memo: "", totpCode: "" });
      // Above the 10 BTC threshold: queued. Two in the same millisecond are ordered by id.
      const base = uid("q");
      const queued = [`${base}-1`, `${base}-2`, `${base}-3a`, `${base}-3b`, `${base}-5`];
      clock.advance(1_000);
      await request(alice, queued[0]!, BTC("11"));
      clock.advance(1_000);
      expect((await request(bob, `${base}-small`, BTC("1"))).status).toBe("completed");
      clock.advance(1_000);
      await request(bob, queued[1]!, BTC("12"));
      clock.advance(1_000);
      await request(bob, queued[3]!, BTC("13"));
      await request(alice, queued[2]!, BTC("14"));
      clock.advance(1_000);
      await request(alice, queued[4]!, BTC("15"));

      /** The whole queue, page by page. The store is shared with the other tests: theirs may wait in it too. */
      const drain = async (size: number) => {
        const pages: string[][] = [];
        let token = "";
        do {
          const page = await store.awaitingApproval({ size, token });
          expect(page.items.length).toBeLessThanOrEqual(size);
          for (const item of page.items) expect(item).toMatchObject({ type: "withdrawal", status: "awaiting_approval" });
          pages.push(page.items.map((item) => item.id));
          token = page.next;
          if (token !== "") expect(page.items).toHaveLength(size);
        } while (token !== "");
        const all = pages.flat();
        expect(new Set(all).size).toBe(all.length);
        return all;
      };
      const mine = (ids: string[]) => ids.filter((id) => id.startsWith(`withdrawal:${base}-`)).map((id) => id.slice(`withdrawal:${base}-`.length));
      for (const size of [1, 2, 1000]) expect(mine(await drain(size))).toEqual(["1", "2", "3a", "3b", "5"]);

      const first = await store.awaitingApproval({ size: 1000, token: "" });
      const byId = new Map(first.items.map((item) => [item.id, item]));
      expect(byId.get(`withdrawal:${queued[0]}`)).toMatchObject({ account: alice, amount: BTC("11"), asset: "BTC" });
      expect(byId.get(`withdrawal:${queued[3]}`)).toMatchObject({ account: bob, amount: BTC("13") });
      const times = first.items.map((item) => item.createdAt);
      expect(times).toEqual([...times].sort((a, b) => a - b));

      expect((await wallet.approveWithdrawal(queued[0]!)).status).toBe("completed");
      expect((await wallet.rejectWithdrawal(queued[2]!, "not the owner")).status).toBe("rejected");
      expect(mine(await drain(2))).toEqual(["2", "3b", "5"]);
      // One decided while an operator pages does not break paging: the cursor is a position, not an item.
      const seen: string[] = [];
      let token = "";
      do {
        const page = await store.awaitingApproval({ size: 1, token });
        const ids = mine(page.items.map((item) => item.id));
        seen.push(...ids);
        if (ids.includes("2")) await wallet.rejectWithdrawal(queued[1]!, "no");
        token = page.next;
      } while (token !== "");
      expect(seen).toEqual(["2", "3b", "5"]);
      expect(mine(await drain(1000))).toEqual(["3b", "5"]);

      expect((await failure(store.awaitingApproval({ size: 10, token: "not-a-token" }))).key).toBe("INVALID_PARAMETER");
      expect(await balanceOf(store, alice, "BTC")).toEqual({ available: BTC("100") - BTC("11") - BTC("15"), locked: 0n, pending: BTC("15") });
      await expectConserved(store);
    });

    it("adjusts a balance with four eyes: a request changes nothing, another operator applies it once, against the adjustment account", async () => {
      const { wallet, clock } = setup();
      const log = memoryAuditLog();
      const adjust = new AdjustBalance({ wallet, store: fixture.store, assets: wallet.assets, audit: log, clock });
      const store = fixture.store;
      const alice = uid("alice");
      const requester = { userId: uid("op-a") };
      const approver = { userId: uid("op-b") };
      await wallet.creditDeposit(uid("fund"), alice, "BTC", BTC("1"));
      const adjustedBefore = (await store.audit()).adjustments.get("BTC") ?? 0n;

      const credit = uid("adj-credit");
      const requested = await adjust.request(requester, { adjustmentId: credit, account: alice, asset: "BTC", amount: BTC("0.5"), reason: "ticket 1: missed deposit" });
      expect(requested.adjustment).toMatchObject({ status: "pending", account: ADJUSTMENT_ACCOUNT, target: alice, asset: "BTC", amount: BTC("0.5"), requestedBy: requester.userId });
      expect(requested.audit).toMatchObject({ actor: requester.userId, action: "adjustment.request", target: `${alice}:${credit}` });
      expect(await balanceOf(store, alice, "BTC")).toEqual({ available: BTC("1"), locked: 0n, pending: 0n });
      // Idempotent by its key: the same request again is a duplicate (nothing new recorded); other content is refused.
      const again = await adjust.request(requester, { adjustmentId: credit, account: alice, asset: "BTC", amount: BTC("0.5"), reason: "ticket 1: missed deposit" });
      expect([again.duplicate, again.audit]).toEqual([true, undefined]);
      expect((await failure(adjust.request(requester, { adjustmentId: credit, account: alice, asset: "BTC", amount: BTC("5"), reason: "ticket 1: missed deposit" }))).key).toBe("DUPLICATE_REQUEST");

      // The requester cannot approve their own: refused, nothing changes.
      expect((await failure(adjust.approve(requester, credit, "looks right"))).key).toBe("FORBIDDEN");
      // Not even past the use case's own check: the ledger refuses it too.
      const own = makeCommand(uid("own"), clock.now(), { kind: "adjustment", adjustmentId: credit, account: alice, asset: "BTC", amount: BTC("0.5"), approvedBy: requester.userId, reason: "x" });
      const [refused] = await store.execute([own]);
      expect(refused!.ok ? "" : (refused!.error as DomainError).key).toBe("FORBIDDEN");
      expect((await adjust.adjustment(credit)).status).toBe("pending");
      expect(await balanceOf(store, alice, "BTC")).toEqual({ available: BTC("1"), locked: 0n, pending: 0n });

      clock.advance(1000);
      const approved = await adjust.approve(approver, credit, "checked against the chain");
      expect(approved.adjustment).toMatchObject({ status: "applied", decidedBy: approver.userId, decisionReason: "checked against the chain" });
      expect(JSON.parse(approved.audit!.beforeJson)).toMatchObject({ status: "pending" });
      expect(JSON.parse(approved.audit!.afterJson)).toMatchObject({ status: "applied", amount: String(BTC("0.5")) });
      expect(await balanceOf(store, alice, "BTC")).toEqual({ available: BTC("1.5"), locked: 0n, pending: 0n });
      // Exactly once: approving again is refused, and so is the same application under another command id.
      expect((await failure(adjust.approve(approver, credit, "again"))).key).toBe("INVALID_STATE");
      const twice = makeCommand(uid("twice"), clock.now(), { kind: "adjustment", adjustmentId: credit, account: alice, asset: "BTC", amount: BTC("0.5"), approvedBy: approver.userId, reason: "x" });
      const [second] = await store.execute([twice]);
      expect(second!.ok ? "" : (second!.error as DomainError).key).toBe("INVALID_STATE");
      expect(await balanceOf(store, alice, "BTC")).toEqual({ available: BTC("1.5"), locked: 0n, pending: 0n });
      const { items: entries } = await store.entries(alice, "BTC", { size: 10, token: "" });
      expect(entries[0]).toMatchObject({ kind: "adjustment", transferId: `adjustment-approve:${credit}`, available: BTC("0.5"), locked: 0n });

      // A debit never takes available below zero: refused with nothing changed, the request still pending.
      const overdraft = uid("adj-overdraft");
      clock.advance(1000);
      await adjust.request(requester, { adjustmentId: overdraft, account: alice, asset: "BTC", amount: -BTC("2"), reason: "ticket 2" });
      expect((await failure(adjust.approve(approver, overdraft, "ok"))).key).toBe("INSUFFICIENT_BALANCE");
      expect((await adjust.adjustment(overdraft)).status).toBe("pending");
      expect(await balanceOf(store, alice, "BTC")).toEqual({ available: BTC("1.5"), locked: 0n, pending: 0n });
      const rejected = await adjust.reject(approver, overdraft, "would overdraw");
      expect(rejected.adjustment).toMatchObject({ status: "rejected", decidedBy: approver.userId });
      expect((await failure(adjust.approve(approver, overdraft, "ok"))).key).toBe("INVALID_STATE");

      const debit = uid("adj-debit");
      clock.advance(1000);
      await adjust.request(requester, { adjustmentId: debit, account: alice, asset: "BTC", amount: -BTC("0.25"), reason: "ticket 3: double credit" });
      const pendingDebit = (await adjust.list({ pendingOnly: true }, { size: 1000, token: "" })).items.map((doc) => doc.id);
      expect(pendingDebit).toContain(`adjustment:${debit}`);
      expect(pendingDebit).not.toContain(`adjustment:${credit}`);
      await adjust.approve(approver, debit, "confirmed");
      expect(await balanceOf(store, alice, "BTC")).toEqual({ available: BTC("1.25"), locked: 0n, pending: 0n });

      // Every adjustment, newest first, by pages; applied ones counted in the audit's own term.
      const listed: string[] = [];
      let token = "";
      do {
        const page = await adjust.list({ pendingOnly: false }, { size: 1, token });
        listed.push(...page.items.map((doc) => doc.id).filter((id) => [credit, overdraft, debit].some((mine) => id === `adjustment:${mine}`)));
        token = page.next;
      } while (token !== "");
      expect(listed).toEqual([`adjustment:${debit}`, `adjustment:${overdraft}`, `adjustment:${credit}`]);
      expect((await adjust.list({ pendingOnly: true }, { size: 1000, token: "" })).items.map((doc) => doc.id)).not.toContain(`adjustment:${debit}`);
      expect(((await store.audit()).adjustments.get("BTC") ?? 0n) - adjustedBefore).toBe(BTC("0.25"));
      expect((await log.list({ limit: 100 })).map((entry) => entry.action)).toEqual([
        "adjustment.approve",
        "adjustment.request",
        "adjustment.reject",
        "adjustment.request",
        "adjustment.approve",
        "adjustment.request",
      ]);
      await expectConserved(store);
    });
  });
}

/** An append-only audit log in memory, for the use case's records. */
function memoryAuditLog(): AuditLog {
  const entries: AuditEntry[] = [];
  return {
    append: async (record) => {
      const entry = { ...record, id: entries.length + 1, beforeJson: auditJson(record.before), afterJson: auditJson(record.after) };
      entries.push({ id: entry.id, time: entry.time, actor: entry.actor, action: entry.action, target: entry.target, reason: entry.reason, beforeJson: entry.beforeJson, afterJson: entry.afterJson });
      return entries[entries.length - 1]!;
    },
    list: async ({ beforeId, limit }) => entries.filter((entry) => !beforeId || entry.id < beforeId).reverse().slice(0, limit),
  };
}
