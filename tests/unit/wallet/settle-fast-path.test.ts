import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { runBatch, type BatchResult, type StateLoader } from "../../../services/wallet/src/domain/ledger-engine.js";
import { LedgerStateCache } from "../../../services/wallet/src/domain/state-cache.js";
import * as planner from "../../../services/wallet/src/domain/plan.js";
import { FEE_ACCOUNT, docIds, makeCommand, type BalanceRow, type HoldDoc, type Outcome, type VersionedDoc } from "../../../services/wallet/src/domain/ledger.js";

// runBatch settles a trade paid from two holds on a path of its own (no effects map). It must be
// indistinguishable from the generic planner: same outcomes, same writes, same entries in the
// same order, for settlements that succeed and (through the fallback) for those that do not.

vi.mock("../../../services/wallet/src/domain/plan.js", async (original) => {
  const actual = await original<typeof import("../../../services/wallet/src/domain/plan.js")>();
  return { ...actual, plan: vi.fn(actual.plan) };
});
const plan = vi.mocked(planner.plan);

const ASSETS = ["BTC", "USDT"];

function loaderOf(balances: readonly BalanceRow[], holds: readonly HoldDoc[]): StateLoader {
  return {
    transfers: async () => [],
    balances: async (keys) => balances.filter((row) => keys.some((key) => key.account === row.account && key.asset === row.asset)).map((row) => ({ ...row })),
    docs: async (ids) => holds.filter((hold) => ids.includes(hold.id)).map((hold): VersionedDoc => ({ doc: { ...hold }, version: 3 })),
  };
}

const outcomeView = (outcome: Outcome) => (outcome.ok ? outcome : { ok: false, error: `${outcome.error.constructor.name}: ${outcome.error.message}` });
const view = (result: BatchResult) => ({ outcomes: result.outcomes.map(outcomeView), writes: result.writes });

/** Writes in a canonical order: which row is read first depends on what the cache holds. */
const sorted = ({ outcomes, writes }: ReturnType<typeof view>) => ({
  outcomes,
  writes: {
    ...writes,
    balances: [...writes.balances].sort((x, y) => `${x.account}/${x.asset}`.localeCompare(`${y.account}/${y.asset}`)),
    docs: [...writes.docs].sort((x, y) => x.doc.id.localeCompare(y.doc.id)),
  },
});

const USERS = ["a", "b", "c"];

/** Per user and asset: a balance with some of it locked, and a hold on (usually) no more than that. */
const accountArb = fc.record({
  available: fc.bigInt({ min: 0n, max: 10_000n }),
  locked: fc.oneof({ arbitrary: fc.bigInt({ min: 0n, max: 3_000n }), weight: 1 }, { arbitrary: fc.bigInt({ min: 20_000n, max: 40_000n }), weight: 5 }),
  held: fc.oneof({ arbitrary: fc.bigInt({ min: 0n, max: 3_000n }), weight: 1 }, { arbitrary: fc.bigInt({ min: 10_000n, max: 20_000n }), weight: 5 }),
  state: fc.oneof({ arbitrary: fc.constant<HoldDoc["state"]>("pending"), weight: 12 }, { arbitrary: fc.constantFrom<HoldDoc["state"]>("voided", "posted"), weight: 1 }),
  expiresAt: fc.oneof({ arbitrary: fc.constantFrom(0, 5_000), weight: 12 }, { arbitrary: fc.constant(500), weight: 1 }),
});

const holdId = (account: string, asset: string) => `${account}-${asset}`;

const tradeArb = fc.record({
  id: fc.integer({ min: 0, max: 15 }),
  buyer: fc.oneof({ arbitrary: fc.constantFrom(...USERS), weight: 12 }, { arbitrary: fc.constant(FEE_ACCOUNT), weight: 1 }),
  seller: fc.oneof({ arbitrary: fc.constantFrom(...USERS), weight: 12 }, { arbitrary: fc.constant(FEE_ACCOUNT), weight: 1 }),
  // own: the side's own hold in the asset it pays; otherwise none, someone else's, or unknown.
  buyerHold: fc.oneof({ arbitrary: fc.constant("own"), weight: 12 }, { arbitrary: fc.constantFrom("none", "a-BTC", "b-USDT", "nope"), weight: 1 }),
  sellerHold: fc.oneof({ arbitrary: fc.constant("own"), weight: 12 }, { arbitrary: fc.constantFrom("none", "c-BTC", "a-USDT", "nope"), weight: 1 }),
  base: fc.bigInt({ min: 1n, max: 3_000n }),
  quote: fc.bigInt({ min: 1n, max: 3_000n }),
  buyerFeeBps: fc.constantFrom(0, 1, 10, 5_000, 10_000),
  sellerFeeBps: fc.constantFrom(0, 7, 10_000),
});

const feeRowArb = fc.option(fc.bigInt({ min: 0n, max: 100n }), { nil: undefined });

describe("runBatch's settlement path", () => {
  it("gives exactly what the generic planner gives", async () => {
    let settled = 0;
    let total = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(accountArb, { minLength: 6, maxLength: 6 }),
        feeRowArb,
        fc.array(tradeArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 15, maxLength: 15 }),
        async (specs, fees, trades, warm) => {
          const balances: BalanceRow[] = [];
          const holds: HoldDoc[] = [];
          USERS.forEach((account, a) =>
            ASSETS.forEach((asset, b) => {
              const spec = specs[a * 2 + b]!;
              balances.push({ account, asset, available: spec.available, locked: spec.locked, pending: 0n });
              holds.push({
                type: "hold",
                id: docIds.hold(holdId(account, asset)),
                account,
                asset,
                amount: spec.held + 10n,
                remaining: spec.held,
                settled: 10n,
                state: spec.state,
                expiresAt: spec.expiresAt,
                createdAt: 1,
              });
            }),
          );
          if (fees !== undefined) balances.push({ account: FEE_ACCOUNT, asset: "BTC", available: fees, locked: 0n, pending: 0n });
          const holdOf = (choice: string, account: string, asset: string) => (choice === "own" ? holdId(account, asset) : choice === "none" ? "" : choice);
          const commands = trades.map((trade) =>
            makeCommand(`t${trade.id}`, 1_000, {
              kind: "settle",
              trade: {
                tradeId: `t${trade.id}`,
                symbol: "BTCUSDT",
                baseAsset: "BTC",
                quoteAsset: "USDT",
                buyer: trade.buyer,
                seller: trade.seller,
                buyerHoldId: holdOf(trade.buyerHold, trade.buyer, "USDT"),
                sellerHoldId: holdOf(trade.sellerHold, trade.seller, "BTC"),
                base: trade.base,
                quote: trade.quote,
                buyerIsMaker: trade.id % 2 === 0,
              },
              buyerFeeBps: trade.buyerFeeBps,
              sellerFeeBps: trade.sellerFeeBps,
            }),
          );
          const fast = await runBatch(commands, loaderOf(balances, holds));
          const generic = await runBatch(commands, loaderOf(balances, holds), { fastPaths: false });
          expect(view(fast)).toEqual(view(generic));
          // Through the state cache, with some rows and holds already in memory (read from there at
          // once): the same again, rows written in the order they were read.
          const cached = async () => {
            const loader = new LedgerStateCache().loader(loaderOf(balances, holds));
            const keys = [...USERS, FEE_ACCOUNT].flatMap((account) => ASSETS.map((asset) => ({ account, asset })));
            await loader.balances(keys.filter((_key, index) => warm[index]));
            await loader.docs([...holds.map((hold) => hold.id), docIds.hold("nope")].filter((_id, index) => warm[8 + index]));
            return loader;
          };
          const cachedFast = await runBatch(commands, await cached());
          expect(view(cachedFast)).toEqual(view(await runBatch(commands, await cached(), { fastPaths: false })));
          expect(sorted(view(cachedFast))).toEqual(sorted(view(generic)));
          total += commands.length;
          settled += fast.outcomes.filter((outcome) => outcome.ok && !outcome.duplicate).length;
        },
      ),
      { numRuns: 500 },
    );
    // Enough of them succeed for the comparison to cover the path (failures go generic anyway).
    expect(settled / total).toBeGreaterThan(0.25);
  });

  it("takes the path for an ordinary trade (the property above is not only comparing the generic path with itself)", async () => {
    const balances: BalanceRow[] = [
      { account: "a", asset: "USDT", available: 0n, locked: 1_000n, pending: 0n },
      { account: "b", asset: "BTC", available: 0n, locked: 100n, pending: 0n },
    ];
    const hold = (id: string, account: string, asset: string, remaining: bigint): HoldDoc => ({
      type: "hold", id: docIds.hold(id), account, asset, amount: remaining, remaining, settled: 0n, state: "pending", expiresAt: 0, createdAt: 1,
    });
    const command = makeCommand("t1", 1_000, {
      kind: "settle",
      trade: { tradeId: "t1", symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyer: "a", seller: "b", buyerHoldId: "ha", sellerHoldId: "hb", base: 10n, quote: 500n, buyerIsMaker: true },
      buyerFeeBps: 10,
      sellerFeeBps: 10,
    });
    const loader = loaderOf(balances, [hold("ha", "a", "USDT", 1_000n), hold("hb", "b", "BTC", 100n)]);
    plan.mockClear();
    const fast = await runBatch([command], loader);
    expect(plan).not.toHaveBeenCalled();
    const generic = await runBatch([command], loader, { fastPaths: false });
    expect(plan).toHaveBeenCalled();
    expect(fast.outcomes[0]).toMatchObject({ ok: true, result: { buyerFee: "1", sellerFee: "1" } });
    expect(view(fast)).toEqual(view(generic));
  });

  it("updates only the batch's own copies in place: an earlier batch's writes (which the cache hands on) stay as they were", async () => {
    const hold = (id: string, account: string, asset: string, remaining: bigint): HoldDoc => ({
      type: "hold", id: docIds.hold(id), account, asset, amount: remaining, remaining, settled: 0n, state: "pending", expiresAt: 0, createdAt: 1,
    });
    const balances: BalanceRow[] = [
      { account: "a", asset: "USDT", available: 0n, locked: 10_000n, pending: 0n },
      { account: "b", asset: "BTC", available: 0n, locked: 1_000n, pending: 0n },
    ];
    const settle = (n: number) =>
      makeCommand(`t${n}`, 1_000, {
        kind: "settle",
        trade: { tradeId: `t${n}`, symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyer: "a", seller: "b", buyerHoldId: "ha", sellerHoldId: "hb", base: 10n, quote: 500n, buyerIsMaker: true },
        buyerFeeBps: 10,
        sellerFeeBps: 10,
      });
    const cache = new LedgerStateCache();
    const loader = cache.loader(loaderOf(balances, [hold("ha", "a", "USDT", 10_000n), hold("hb", "b", "BTC", 1_000n)]));
    const first = await runBatch([settle(1), settle(2)], loader);
    cache.absorb(first.writes);
    const kept = structuredClone(first.writes);
    const second = await runBatch([settle(3), settle(4), settle(5)], loader);
    cache.absorb(second.writes);
    expect(first.writes).toEqual(kept);
    const remaining = (result: BatchResult) => result.writes.docs.map((write) => [write.doc.id, (write.doc as HoldDoc).remaining, write.beforeVersion, write.version]);
    expect(remaining(first)).toEqual([["hold:ha", 9_000n, 3, 5], ["hold:hb", 980n, 3, 5]]);
    expect(remaining(second)).toEqual([["hold:ha", 7_500n, 5, 8], ["hold:hb", 950n, 5, 8]]);
    expect(second.writes.balances.find((write) => write.account === "a" && write.asset === "USDT")).toMatchObject({ before: { locked: 9_000n }, after: { locked: 7_500n } });
  });
});
