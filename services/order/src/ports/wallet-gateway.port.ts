/** wallet.v1 as order needs it. Every call is idempotent by its id. */
export interface WalletGateway {
  /** Holds an order's budget; throws INSUFFICIENT_BALANCE when the account cannot cover it. */
  hold(holdId: string, accountId: string, asset: string, amount: string): Promise<void>;
  /** Releases what is left of a hold (order done). */
  release(holdId: string): Promise<void>;
  settle(trade: {
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
  }): Promise<{ buyerFee: string; sellerFee: string }>;
}
