/** One trade to settle in wallet: moves base and quote between the two orders' holds, charging fees. */
export interface TradeSettlement {
  tradeId: string;
  symbol: string;
  baseAsset: string;
  quoteAsset: string;
  buyerAccountId: string;
  sellerAccountId: string;
  buyerHoldId: string;
  sellerHoldId: string;
  baseAmount: string;
  quoteAmount: string;
  buyerIsMaker: boolean;
}

/** What a trade cost each side (decimal strings: buyer's fee in base, seller's in quote). */
export interface TradeFees {
  buyerFee: string;
  sellerFee: string;
}

/** One order's hold, as `hold` takes it. */
export interface HoldRequest {
  readonly holdId: string;
  readonly accountId: string;
  readonly asset: string;
  readonly amount: string;
}

/** holdAll by one `hold` call per hold (for gateways without a batch call): the same answers. */
export function holdEach(wallet: Pick<WalletGateway, "hold">, holds: readonly HoldRequest[]): Promise<(Error | undefined)[]> {
  return Promise.all(holds.map(({ holdId, accountId, asset, amount }) => wallet.hold(holdId, accountId, asset, amount).then(() => undefined, (error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
}

/** settleAndRelease by settleMany and one `release` per hold: the same effect. */
export async function settleThenReleaseEach(wallet: Pick<WalletGateway, "settleMany" | "release">, trades: readonly TradeSettlement[], releaseHoldIds: readonly string[]): Promise<TradeFees[]> {
  const fees = trades.length > 0 ? await wallet.settleMany(trades) : [];
  await Promise.all(releaseHoldIds.map((holdId) => wallet.release(holdId)));
  return fees;
}

/** wallet.v1 as order needs it. Every call is idempotent by its id. */
export interface WalletGateway {
  /**
   * Holds an order's budget; throws INSUFFICIENT_BALANCE when the account cannot cover it, and DISCONNECTED when
   * wallet's answer is unknown (unreachable, or gone mid-call: the hold may exist). Idempotent by hold id.
   */
  hold(holdId: string, accountId: string, asset: string, amount: string): Promise<void>;
  /**
   * The holds of a group of orders in one call, each on its own: per hold, in order, undefined when it was taken,
   * else the error `hold` would have thrown for it (DISCONNECTED for every hold when the answer is unknown).
   */
  holdAll(holds: readonly HoldRequest[]): Promise<(Error | undefined)[]>;
  /** Releases what is left of a hold (order done). */
  release(holdId: string): Promise<void>;
  /**
   * Ends hold `holdId` as release does, but moves `amount` of what is left into the pending hold `toHoldId` of the
   * same account and asset (a cancel-replace's new order taking the canceled order's funds), releasing the rest; one
   * wallet command, the hold's release, so it happens once.
   */
  moveHold(holdId: string, toHoldId: string, amount: string): Promise<void>;
  /** The account's available (free) balance of an asset, as a decimal string. */
  available(accountId: string, asset: string): Promise<string>;
  /** Releases part of a hold (order reduced in place); idempotent by (holdId, requestId). */
  reduce(holdId: string, requestId: string, amount: string): Promise<void>;
  /**
   * Settles trades in order and answers their fees in the same order. A trade already settled
   * (a retry) answers the fees it was settled with. Throws on the first trade that failed,
   * naming its trade id; trades of the same call may have settled anyway, so the caller retries
   * the whole list, which settles nothing twice.
   */
  settleMany(trades: readonly TradeSettlement[]): Promise<TradeFees[]>;
  /**
   * settleMany, then, only once every trade settled, releases `releaseHoldIds` (the holds of the orders those
   * trades and the batches' other events finished) in the same call; a hold never taken is skipped. Throws as
   * settleMany does, or with the first release that failed; the caller retries the whole call, which changes
   * nothing twice.
   */
  settleAndRelease(trades: readonly TradeSettlement[], releaseHoldIds: readonly string[]): Promise<TradeFees[]>;
}
