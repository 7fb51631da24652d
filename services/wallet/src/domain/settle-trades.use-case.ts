import type { Clock } from "#kit/clock/clock.js";
import type { FeeTierSource } from "../ports/fee-tier.port.js";
import type { AssetRegistry } from "./assets.js";
import type { BatchHolds, HoldOutcome } from "./batch-holds.use-case.js";
import type { CommandExecutor } from "./command-batcher.js";
import type { FeeSchedule } from "./fees.js";
import { makeCommand, parseUnits, type Command, type SettleTrade } from "./ledger.js";
import { requireAmount, requireUserAccount } from "./request-checks.js";
import { invalidField } from "./wallet.errors.js";

/** One trade's settlement: the fees charged (each in the asset that side received), or why it failed. */
export type TradeSettlement =
  | { readonly ok: true; readonly buyerFee: bigint; readonly sellerFee: bigint; readonly duplicate: boolean }
  | { readonly ok: false; readonly error: Error };

export interface SettleTradesDeps {
  readonly executor: CommandExecutor;
  readonly assets: AssetRegistry;
  readonly clock: Clock;
  readonly tiers: FeeTierSource;
  readonly fees: FeeSchedule;
  readonly holds: BatchHolds;
}

/** Settling matched trades: base and quote move between the two orders' holds, each side charged its fee tier's rate. */
export class SettleTrades {
  constructor(private readonly deps: SettleTradesDeps) {}

  /** One trade; its failure is thrown. */
  async one(trade: SettleTrade): Promise<{ buyerFee: bigint; sellerFee: bigint; duplicate: boolean }> {
    const [settled] = await this.many([trade]);
    if (!settled!.ok) throw settled!.error;
    return { buyerFee: settled!.buyerFee, sellerFee: settled!.sellerFee, duplicate: settled!.duplicate };
  }

  /**
   * Settles trades (see many), then voids the holds of the orders they finished, only when every trade settled:
   * a hold voided while one of its trades failed to settle would free what that trade needs when it is retried.
   * `voids` is undefined when nothing was voided for that reason. One call for a consumer's whole group.
   */
  async manyThenVoid(trades: readonly SettleTrade[], voidHoldIds: readonly string[]): Promise<{ settlements: TradeSettlement[]; voids: HoldOutcome[] | undefined }> {
    const settlements = trades.length > 0 ? await this.many(trades) : [];
    if (settlements.some((settled) => !settled.ok)) return { settlements, voids: undefined };
    return { settlements, voids: voidHoldIds.length > 0 ? await this.deps.holds.void(voidHoldIds) : [] };
  }

  /**
   * Settles trades in order, each on its own: one that fails (unknown hold, bad amount...) fails
   * alone and changes nothing. The batch travels as one unit to the batcher (one promise, not one
   * per trade), which is how the order service hands over the trades of one matching event.
   */
  async many(trades: readonly SettleTrade[]): Promise<TradeSettlement[]> {
    const results: TradeSettlement[] = new Array(trades.length);
    const accepted: number[] = [];
    // Each account of the batch once, for its fee tier: account -> its place in `accounts`.
    const places = new Map<string, number>();
    const accounts: string[] = [];
    for (let index = 0; index < trades.length; index += 1) {
      const trade = trades[index]!;
      try {
        this.checkTrade(trade);
      } catch (error) {
        results[index] = { ok: false, error: error as Error };
        continue;
      }
      if (!places.has(trade.buyer)) places.set(trade.buyer, accounts.push(trade.buyer) - 1);
      if (!places.has(trade.seller)) places.set(trade.seller, accounts.push(trade.seller) - 1);
      accepted.push(index);
    }
    if (accepted.length === 0) return results;
    const source = this.deps.tiers;
    const pending: Promise<number>[] = new Array(accounts.length);
    for (let index = 0; index < accounts.length; index += 1) pending[index] = source.tier(accounts[index]!);
    const tiers = await Promise.all(pending);
    // Every command of the batch is made here, synchronously; the batch is awaited once.
    const now = this.deps.clock.now();
    const fees = this.deps.fees;
    const commands: Command[] = new Array(accepted.length);
    for (let index = 0; index < accepted.length; index += 1) {
      const trade = trades[accepted[index]!]!;
      commands[index] = makeCommand(trade.tradeId, now, {
        kind: "settle",
        trade,
        buyerFeeBps: fees.bps(tiers[places.get(trade.buyer)!]!, trade.buyerIsMaker),
        sellerFeeBps: fees.bps(tiers[places.get(trade.seller)!]!, !trade.buyerIsMaker),
      });
    }
    const executor = this.deps.executor;
    const outcomes = executor.submitAll ? await executor.submitAll(commands) : await executor.execute(commands);
    for (let index = 0; index < accepted.length; index += 1) {
      const outcome = outcomes[index]!;
      results[accepted[index]!] = outcome.ok
        ? { ok: true, buyerFee: parseUnits(outcome.result.buyerFee ?? "0"), sellerFee: parseUnits(outcome.result.sellerFee ?? "0"), duplicate: outcome.duplicate }
        : { ok: false, error: outcome.error };
    }
    return results;
  }

  private checkTrade(trade: SettleTrade): void {
    requireAsset(this.deps.assets, trade.baseAsset, "base_asset");
    requireAsset(this.deps.assets, trade.quoteAsset, "quote_asset");
    if (trade.baseAsset === trade.quoteAsset) throw invalidField("quote_asset", "base and quote assets must differ");
    requireUserAccount(trade.buyer, "buyer_account_id");
    requireUserAccount(trade.seller, "seller_account_id");
    requireAmount(trade.base, "base_amount");
    requireAmount(trade.quote, "quote_amount");
    if (trade.buyerHoldId !== "" && trade.buyerHoldId === trade.sellerHoldId) throw invalidField("seller_hold_id", "buyer and seller holds must differ");
  }
}

function requireAsset(assets: AssetRegistry, asset: string, field: string): void {
  if (!assets.get(asset)) throw invalidField(field, `unknown asset ${asset}`);
}
