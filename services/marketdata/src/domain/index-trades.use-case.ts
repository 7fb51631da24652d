import type { HistoryDoc, SearchIndex } from "#kit/ports/search-index.port.js";
import type { MarketDataStore } from "../ports/market-data-store.port.js";
import type { PublicTrade } from "./market.js";
import type { MarketSymbol } from "./market-symbol.js";

/** A trade's document id: the symbol and its trade id, zero-padded so ids sort as the trade ids do. */
export function tradeDocId(symbol: string, tradeId: number): string {
  return `${symbol}:${String(tradeId).padStart(16, "0")}`;
}

/** A public trade as market history: no accounts, the taker's side, decimal strings and their units. */
export function tradeDoc(market: MarketSymbol, trade: PublicTrade): HistoryDoc {
  return {
    id: tradeDocId(market.symbol, trade.tradeId),
    kind: "trade",
    symbol: market.symbol,
    accounts: [],
    time: trade.time,
    price: market.formatPrice(trade.price),
    priceUnits: trade.price,
    qty: market.formatQty(trade.qty),
    qtyUnits: trade.qty,
    attrs: { tradeId: String(trade.tradeId), quoteQty: market.formatQuote(trade.quoteQty), takerSide: trade.isBuyerMaker ? "SELL" : "BUY" },
  };
}

export interface IndexTradesDeps {
  readonly store: MarketDataStore;
  readonly index: SearchIndex;
  readonly symbol: (symbol: string) => Promise<MarketSymbol>;
  /** Trades per bulk request (default 2000). */
  readonly batch?: number;
}

/**
 * Copies the projection's stored trades into the search index, behind the projection and off its path: it reads
 * marketdata's own store from the last trade id indexed (found in the index after a restart), in bulk requests
 * with idempotent ids, so a replica or a restart that indexes a trade again changes nothing.
 */
export class IndexTrades {
  private readonly indexed = new Map<string, number>();

  constructor(private readonly deps: IndexTradesDeps) {}

  /** Indexes the symbol's trades stored since the last call; answers how many. */
  async catchUp(symbol: string): Promise<number> {
    const market = await this.deps.symbol(symbol);
    let after = this.indexed.get(symbol) ?? (await this.lastIndexed(symbol));
    const batch = this.deps.batch ?? 2000;
    let count = 0;
    for (;;) {
      const trades = await this.deps.store.tradesFrom(symbol, after + 1, batch);
      if (trades.length === 0) break;
      await this.deps.index.index(trades.map((trade) => tradeDoc(market, trade)));
      after = trades[trades.length - 1]!.tradeId;
      this.indexed.set(symbol, after);
      count += trades.length;
      if (trades.length < batch) break;
    }
    this.indexed.set(symbol, after);
    return count;
  }

  /** The highest trade id in the index for `symbol` (0 when none). */
  private async lastIndexed(symbol: string): Promise<number> {
    const page = await this.deps.index.search({ symbol, kind: "trade" }, { limit: 1, order: "desc" });
    const id = page.items[0]?.attrs?.tradeId;
    return id === undefined ? 0 : Number(id);
  }
}
