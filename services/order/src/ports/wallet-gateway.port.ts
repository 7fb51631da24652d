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

/** wallet.v1 as order needs it. Every call is idempotent by its id. */
export interface WalletGateway {
  /**
   * Holds an order's budget; throws INSUFFICIENT_BALANCE when the account cannot cover it, and DISCONNECTED when
   * wallet's answer is unknown (unreachable, or gone mid-call: the hold may exist). Idempotent by hold id.
   */
  hold(holdId: string, accountId: string, asset: string, amount: string): Promise<void>;
  /** Releases what is left of a hold (order done). */
  release(holdId: string): Promise<void>;
  /** Releases part of a hold (order reduced in place); idempotent by (holdId, requestId). */
  reduce(holdId: string, requestId: string, amount: string): Promise<void>;
  /**
   * Settles trades in order and answers their fees in the same order. A trade already settled
   * (a retry) answers the fees it was settled with. Throws on the first trade that failed,
   * naming its trade id; trades of the same call may have settled anyway, so the caller retries
   * the whole list, which settles nothing twice.
   */
  settleMany(trades: readonly TradeSettlement[]): Promise<TradeFees[]>;
}
