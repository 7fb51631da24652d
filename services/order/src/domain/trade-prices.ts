import { averageWindowStart, MINUTE_MS, minuteOf, weightedAveragePrice } from "#kit/money/average-price.js";
import type { SymbolUnits } from "./symbol-units.js";

/** One trade as the prices take it: matching's trade id, its batch's time, its price and quantity. */
export interface TradePrint {
  readonly tradeId: number;
  readonly time: number;
  readonly priceTicks: bigint;
  readonly quantityLots: bigint;
}

/** What a symbol's orders are judged against (none before its first trade). */
export interface MarketReference {
  /** The last trade's price, in ticks (an OCO's prices sit around it). */
  readonly lastPriceTicks: bigint;
  /**
   * Binance's average price over the symbol's avgPriceMins (kit/money/average-price.ts), in quote
   * units per whole base unit: what NOTIONAL judges a MARKET order and PERCENT_PRICE_BY_SIDE a price at.
   */
  readonly averagePriceUnits: bigint;
  /** The last trade's time (avgPrice's closeTime). */
  readonly lastTradeTime: number;
}

interface Bucket {
  lots: bigint;
  /** Sum of ticks x lots. */
  notional: bigint;
}

interface Window {
  /** Per minute (its start, ms): the sums of the trades in it. */
  readonly buckets: Map<number, Bucket>;
  last?: TradePrint;
  /** Minutes kept back from the newest trade's minute; undefined until loaded from the store. */
  keptMins?: number;
  /** Trades recorded while a load is in flight: the ones its read may have missed. */
  pending?: TradePrint[];
}

/**
 * Each symbol's last trade and per-minute sums of its recent trades, exact in bigint, from which
 * the average price is computed. The event consumer records every trade (matching's time, never
 * a clock); after a start, or when a symbol's avgPriceMins grows past what is kept, the minutes
 * are loaded from the store's trades once. Memory: at most avgPriceMins + 1 buckets per symbol.
 */
export class TradePrices {
  private readonly windows = new Map<string, Window>();

  private window(symbol: string): Window {
    let window = this.windows.get(symbol);
    if (!window) this.windows.set(symbol, (window = { buckets: new Map() }));
    return window;
  }

  /** Trades applied by the consumer, in trade id order; ones already recorded are skipped. */
  record(symbol: string, trades: readonly TradePrint[]): void {
    if (trades.length === 0) return;
    const window = this.window(symbol);
    for (const trade of trades) {
      if (window.last && trade.tradeId <= window.last.tradeId) continue;
      window.last = trade;
      window.pending?.push(trade);
      if (window.keptMins !== undefined) add(window.buckets, trade);
    }
    if (window.keptMins !== undefined) prune(window, window.keptMins);
  }

  /** Whether `mins` minutes must be loaded from the store before `at` can answer. */
  needsLoad(symbol: string, mins: number): boolean {
    const kept = this.windows.get(symbol)?.keptMins;
    return kept === undefined || mins > kept;
  }

  /** A load starts: trades recorded from now on are kept aside until it ends (one load at a time per symbol). */
  beginLoad(symbol: string): void {
    this.window(symbol).pending = [];
  }

  /**
   * The store's trades of the last `mins` minutes and its latest trade, oldest first (the load's
   * read), merged with what the consumer recorded meanwhile, replace the symbol's minutes.
   */
  load(symbol: string, mins: number, stored: readonly TradePrint[]): void {
    const window = this.window(symbol);
    const pending = window.pending ?? [];
    window.pending = undefined;
    window.buckets.clear();
    window.keptMins = mins;
    const before = window.last;
    window.last = undefined;
    const newestStored = stored.length > 0 ? stored[stored.length - 1]!.tradeId : -1;
    for (const trade of [...stored, ...pending.filter((t) => t.tradeId > newestStored)]) {
      if (window.last && trade.tradeId <= window.last.tradeId) continue;
      window.last = trade;
      add(window.buckets, trade);
    }
    // The consumer may know a later trade than the read saw (recorded before the load began).
    if (before && (!window.last || before.tradeId > window.last.tradeId)) window.last = before;
    prune(window, mins);
  }

  /**
   * The symbol's reference at `now` with an average over `mins` minutes (0: the last price);
   * undefined before its first trade. Call after `needsLoad` is false for `mins`.
   */
  at(symbol: string, now: number, mins: number, units: SymbolUnits): MarketReference | undefined {
    const window = this.windows.get(symbol);
    const last = window?.last;
    if (!window || !last) return undefined;
    const lastPriceUnits = last.priceTicks * units.tickUnits;
    const reference = (averagePriceUnits: bigint) => ({ lastPriceTicks: last.priceTicks, averagePriceUnits, lastTradeTime: last.time });
    if (mins === 0) return reference(lastPriceUnits);
    const from = averageWindowStart(now, mins);
    let lots = 0n;
    let notional = 0n;
    for (const [minute, bucket] of window.buckets) {
      if (minute < from || minute > now) continue;
      lots += bucket.lots;
      notional += bucket.notional;
    }
    if (lots === 0n) return reference(lastPriceUnits);
    return reference(weightedAveragePrice(notional * units.notionalUnits, lots * units.lotUnits, units.spec.baseScale));
  }
}

function add(buckets: Map<number, Bucket>, trade: TradePrint): void {
  const minute = minuteOf(trade.time);
  const bucket = buckets.get(minute);
  if (bucket) {
    bucket.lots += trade.quantityLots;
    bucket.notional += trade.priceTicks * trade.quantityLots;
  } else {
    buckets.set(minute, { lots: trade.quantityLots, notional: trade.priceTicks * trade.quantityLots });
  }
}

/** Drops the minutes no window ending at or after the newest trade can reach. */
function prune(window: Window, mins: number): void {
  if (!window.last) return;
  const oldest = minuteOf(window.last.time) - mins * MINUTE_MS;
  for (const minute of window.buckets.keys()) if (minute < oldest) window.buckets.delete(minute);
}
