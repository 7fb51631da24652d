import fc from "fast-check";
import { expect } from "vitest";
import { ManualClock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { AdjustBalance } from "../../../services/wallet/src/domain/adjust-balance.use-case.js";
import { FEE_ACCOUNT } from "../../../services/wallet/src/domain/ledger.js";
import type { LedgerStore } from "../../../services/wallet/src/ports/ledger-store.port.js";
import { walletOver } from "./ledger-store.contract.js";

// The funds invariant under random concurrent load, for any LedgerStore: after N random
// operations (holds voided whole or in part into another hold among them) run by C concurrent workers, for every asset the sum over all accounts (fee account
// included, once) of available + locked + pending == deposits credited - withdrawals completed
// + manual adjustments applied (the audit's own term, checked against what the run applied),
// no balance is negative, replaying settlements changes nothing, and overdrafts are refused with
// INSUFFICIENT_BALANCE without changing anything.

const ACCOUNTS = 8;
const ASSETS = ["BTC", "USDT"] as const;

type Op =
  | { t: "deposit"; account: number; asset: number; amount: number }
  | { t: "hold"; account: number; asset: number; amount: number }
  | { t: "void"; hold: number }
  | { t: "move"; from: number; to: number; amount: number }
  | { t: "settle"; buyerHold: number; sellerHold: number; base: number; quote: number; maker: boolean }
  | { t: "transfer"; from: number; to: number; asset: number; amount: number }
  | { t: "withdraw"; account: number; asset: number; amount: number; decide: number }
  | { t: "replay"; trade: number }
  | { t: "adjust"; account: number; asset: number; amount: number; credit: boolean };

const amount = fc.integer({ min: 1, max: 5_000_000 });
const account = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const asset = fc.integer({ min: 0, max: ASSETS.length - 1 });
const index = fc.nat({ max: 1_000_000 });

export const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ t: fc.constant("deposit" as const), account, asset, amount: fc.integer({ min: 1, max: 50_000_000 }) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant("hold" as const), account, asset, amount }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("void" as const), hold: index }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("move" as const), from: index, to: index, amount }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("settle" as const), buyerHold: index, sellerHold: index, base: amount, quote: amount, maker: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("transfer" as const), from: account, to: account, asset, amount }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("withdraw" as const), account, asset, amount: fc.integer({ min: 1, max: 20_000_000 }), decide: fc.nat({ max: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("replay" as const), trade: index }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("adjust" as const), account, asset, amount, credit: fc.boolean() }) },
);

const EXPECTED = new Set(["INSUFFICIENT_BALANCE", "NOT_FOUND", "INVALID_STATE", "INVALID_PARAMETER", "DUPLICATE_REQUEST"]);

export interface InvariantRun {
  readonly operations: number;
  readonly concurrency: number;
  readonly seed: number;
  readonly batching?: boolean;
  readonly progress?: (done: number) => void;
}

export async function checkFundsInvariant(store: LedgerStore, options: InvariantRun): Promise<{ ok: number; refused: number; settled: number }> {
  const ops = fc.sample(opArbitrary, { numRuns: options.operations, seed: options.seed });
  const clock = new ManualClock(1_700_000_000_000);
  // Large daily limits: withdrawals are exercised, the limit has its own contract test.
  const { wallet } = walletOver(store, { clock, batching: options.batching });
  // Adjustments are recorded nowhere else here: the ledger's own term is what this run checks.
  const adjust = new AdjustBalance({ wallet, store, assets: wallet.assets, clock, audit: { append: async (record) => ({ id: 0, ...record, beforeJson: "", afterJson: "" }), list: async () => [] } });
  const run = `p${options.seed.toString(36)}${Date.now().toString(36)}`;
  const user = (n: number) => `${run}-u${n}`;

  const holds: { id: string; account: string; asset: string }[] = [];
  const trades: Parameters<typeof wallet.settleTrade>[0][] = [];
  const credited = new Map<string, bigint>();
  const withdrawn = new Map<string, bigint>();
  const adjusted = new Map<string, bigint>();
  const add = (map: Map<string, bigint>, key: string, value: bigint) => map.set(key, (map.get(key) ?? 0n) + value);
  let ok = 0;
  let refused = 0;
  let sequence = 0;
  const next = () => (sequence += 1);

  async function apply(op: Op): Promise<void> {
    switch (op.t) {
      case "deposit": {
        const a = ASSETS[op.asset]!;
        await wallet.creditDeposit(`${run}-d${next()}`, user(op.account), a, BigInt(op.amount));
        add(credited, a, BigInt(op.amount));
        return;
      }
      case "hold": {
        const a = ASSETS[op.asset]!;
        const id = `${run}-h${next()}`;
        await wallet.createHold({ holdId: id, account: user(op.account), asset: a, amount: BigInt(op.amount), timeoutMs: 0 });
        holds.push({ id, account: user(op.account), asset: a });
        return;
      }
      case "void": {
        if (holds.length === 0) return;
        await wallet.voidHold(holds[op.hold % holds.length]!.id);
        return;
      }
      case "move": {
        // A void that hands part of the hold to another of the same account and asset (a cancel-replace's funds).
        if (holds.length === 0) return;
        const from = holds[op.from % holds.length]!;
        const others = holds.filter((hold) => hold.account === from.account && hold.asset === from.asset && hold.id !== from.id);
        if (others.length === 0) return;
        await wallet.moveHold(from.id, others[op.to % others.length]!.id, BigInt(op.amount));
        return;
      }
      case "settle": {
        const buyerHolds = holds.filter((hold) => hold.asset === "USDT");
        const sellerHolds = holds.filter((hold) => hold.asset === "BTC");
        if (buyerHolds.length === 0 || sellerHolds.length === 0) return;
        const buyerHold = buyerHolds[op.buyerHold % buyerHolds.length]!;
        const sellerHold = sellerHolds[op.sellerHold % sellerHolds.length]!;
        const [buyer, seller] = await Promise.all([wallet.hold(buyerHold.id), wallet.hold(sellerHold.id)]);
        const trade = {
          tradeId: `${run}-t${next()}`,
          symbol: "BTCUSDT",
          baseAsset: "BTC",
          quoteAsset: "USDT",
          buyer: buyer.account,
          seller: seller.account,
          buyerHoldId: buyerHold.id,
          sellerHoldId: sellerHold.id,
          base: BigInt(op.base),
          quote: BigInt(op.quote),
          buyerIsMaker: op.maker,
        };
        const result = await wallet.settleTrade(trade);
        expect(result.duplicate).toBe(false);
        trades.push(trade);
        return;
      }
      case "transfer": {
        if (op.from === op.to) return;
        await wallet.transfer({ transferId: `${run}-x${next()}`, from: user(op.from), to: user(op.to), asset: ASSETS[op.asset]!, amount: BigInt(op.amount) });
        return;
      }
      case "withdraw": {
        const a = ASSETS[op.asset]!;
        const network = wallet.assets.network(a, "")!;
        const units = BigInt(op.amount) + network.withdrawMin;
        const id = `${run}-w${next()}`;
        let withdrawal = await wallet.requestWithdrawal({ withdrawalId: id, account: user(op.account), asset: a, network: "", amount: units, address: "dest", memo: "", totpCode: "" });
        if (withdrawal.status === "awaiting_approval") {
          withdrawal = op.decide === 0 ? await wallet.rejectWithdrawal(id, "no") : await wallet.approveWithdrawal(id);
        }
        if (withdrawal.status === "completed") add(withdrawn, a, withdrawal.amount - withdrawal.fee);
        return;
      }
      case "adjust": {
        const a = ASSETS[op.asset]!;
        const id = `${run}-a${next()}`;
        const units = op.credit ? BigInt(op.amount) : -BigInt(op.amount);
        await adjust.request({ userId: "op-a" }, { adjustmentId: id, account: user(op.account), asset: a, amount: units, reason: "property" });
        // A debit beyond available is refused (INSUFFICIENT_BALANCE) and stays pending: it never counts.
        await adjust.approve({ userId: "op-b" }, id, "checked");
        add(adjusted, a, units);
        return;
      }
      case "replay": {
        if (trades.length === 0) return;
        const result = await wallet.settleTrade(trades[op.trade % trades.length]!);
        expect(result.duplicate).toBe(true);
        return;
      }
    }
  }

  let cursor = 0;
  const worker = async () => {
    while (cursor < ops.length) {
      const op = ops[cursor]!;
      cursor += 1;
      try {
        await apply(op);
        ok += 1;
      } catch (error) {
        if (!(error instanceof DomainError) || !EXPECTED.has(error.key)) throw error;
        refused += 1;
      }
      if (options.progress && (ok + refused) % 1000 === 0) options.progress(ok + refused);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));

  const audit = await store.audit();
  expect(audit.negative).toEqual([]);
  for (const a of ASSETS) {
    const inflow = (credited.get(a) ?? 0n) - (withdrawn.get(a) ?? 0n);
    expect([a, audit.balances.get(a) ?? 0n]).toEqual([a, inflow + (adjusted.get(a) ?? 0n)]);
    expect([a, audit.netInflow.get(a) ?? 0n]).toEqual([a, inflow]);
    expect([a, audit.adjustments.get(a) ?? 0n]).toEqual([a, adjusted.get(a) ?? 0n]);
  }

  // Replaying settlements changes nothing, balances of every account included.
  const snapshot = async () => {
    const rows = [];
    for (let n = 0; n < ACCOUNTS; n += 1) rows.push(await store.balances(user(n)));
    rows.push(await store.balances(FEE_ACCOUNT));
    return rows;
  };
  const before = await snapshot();
  for (const trade of trades.slice(0, 50)) expect((await wallet.settleTrade(trade)).duplicate).toBe(true);
  // Overdrafts are refused with INSUFFICIENT_BALANCE and change nothing.
  for (let n = 0; n < ACCOUNTS; n += 1) {
    for (const row of await store.balances(user(n))) {
      const error = await wallet
        .transfer({ transferId: `${run}-over${n}${row.asset}`, from: user(n), to: user((n + 1) % ACCOUNTS), asset: row.asset, amount: row.available + 1n })
        .then(() => undefined, (e: unknown) => e);
      expect((error as DomainError).key).toBe("INSUFFICIENT_BALANCE");
    }
  }
  expect(await snapshot()).toEqual(before);
  const after = await store.audit();
  expect(after.balances).toEqual(audit.balances);
  expect(after.transfers).toBe(audit.transfers);
  return { ok, refused, settled: trades.length };
}
