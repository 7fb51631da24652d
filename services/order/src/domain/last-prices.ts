/**
 * The last trade price of each symbol, in ticks: what a market order's notional is judged at
 * (Binance's NOTIONAL filter with avgPriceMins 0, as exchangeInfo reports). The event consumer
 * records each group's last trade; a symbol not seen since start is read once from the store.
 * null: looked up, no trade yet.
 */
export class LastPrices {
  private readonly ticks = new Map<string, bigint | null>();

  /** The known last price; undefined when not known here yet (ask the store), null when there is none. */
  get(symbol: string): bigint | null | undefined {
    return this.ticks.get(symbol);
  }

  /** A trade applied by the consumer: newer than anything known. */
  record(symbol: string, priceTicks: bigint): void {
    this.ticks.set(symbol, priceTicks);
  }

  /** What the store said, unless the consumer recorded a trade meanwhile. */
  seed(symbol: string, priceTicks: bigint | undefined): bigint | null {
    if (!this.ticks.has(symbol)) this.ticks.set(symbol, priceTicks ?? null);
    return this.ticks.get(symbol)!;
  }
}
