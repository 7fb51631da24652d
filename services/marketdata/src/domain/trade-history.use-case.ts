import { historyOhlcv, historyPriceLevels, historySummary, type HistoryBucket, type PriceLevelVolume } from "#kit/ports/history-aggregates.js";
import type { HistoryDoc, HistoryQuery, SearchIndex } from "#kit/ports/search-index.port.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { parseUnits } from "#kit/money/decimal.js";
import type { PublicTrade } from "./market.js";
import type { MarketSymbol } from "./market-symbol.js";

/** Which trades: time range (start inclusive, end exclusive, ms; 0 = open) and inclusive price and size bands ("" = open). */
export interface TradeFilter {
  readonly startTime: number;
  readonly endTime: number;
  readonly minPrice: string;
  readonly maxPrice: string;
  readonly minQty: string;
  readonly maxQty: string;
}

/** A bucket of trades in the symbol's units: quote volume and VWAP are exact (rounded down to the price scale). */
export interface TradeCandle {
  readonly openTime: number;
  readonly closeTime: number;
  readonly open: bigint;
  readonly high: bigint;
  readonly low: bigint;
  readonly close: bigint;
  readonly volume: bigint;
  readonly quoteVolume: bigint;
  readonly vwap: bigint;
  readonly count: number;
  readonly firstTradeId: number;
  readonly lastTradeId: number;
}

export interface PriceLevelTotals {
  readonly price: bigint;
  readonly volume: bigint;
  readonly quoteVolume: bigint;
  readonly count: number;
}

export const MAX_CANDLES = 1000;
export const MAX_PRICE_LEVELS = 1000;

function invalid(field: string, description: string): DomainError {
  return new DomainError("INVALID_PARAMETER", `Invalid ${field}: ${description}.`, [{ field, description }]);
}

/**
 * Market history through the search index (OpenSearch in distributed mode, SQLite embedded): trades by time
 * range and price and size bands, OHLCV of any interval, VWAP, volume by price level.
 */
export class TradeHistory {
  constructor(
    private readonly index: SearchIndex,
    private readonly symbol: (symbol: string) => Promise<MarketSymbol>,
  ) {}

  async search(symbol: string, filter: TradeFilter, page: { limit: number; cursor: string; descending: boolean }): Promise<{ market: MarketSymbol; trades: PublicTrade[]; cursor: string }> {
    const { market, query } = await this.query(symbol, filter);
    const limit = page.limit <= 0 ? 500 : Math.min(page.limit, 1000);
    let result;
    try {
      result = await this.index.search(query, { limit, cursor: page.cursor || undefined, order: page.descending ? "desc" : "asc" });
    } catch (error) {
      if (page.cursor && error instanceof Error && /cursor|JSON/i.test(error.message)) throw invalid("cursor", "not a cursor this API returned");
      throw error;
    }
    return { market, trades: result.items.map((doc) => tradeOf(market, doc)), cursor: result.cursor ?? "" };
  }

  async candles(symbol: string, filter: TradeFilter, intervalMs: number): Promise<{ market: MarketSymbol; candles: TradeCandle[] }> {
    if (!Number.isSafeInteger(intervalMs) || intervalMs < 1) throw invalid("interval_ms", "a positive number of milliseconds");
    const { market, query } = await this.query(symbol, filter);
    try {
      const buckets = await historyOhlcv(this.index, query, intervalMs, MAX_CANDLES);
      return { market, candles: buckets.map((b) => candleOf(market, b, b.start + intervalMs - 1)) };
    } catch (error) {
      if (error instanceof RangeError) throw invalid("interval_ms", `more than ${MAX_CANDLES} candles: narrow the time range or widen the interval`);
      throw error;
    }
  }

  /** One candle over the whole filter (its VWAP is the range's), undefined without trades. */
  async summary(symbol: string, filter: TradeFilter): Promise<{ market: MarketSymbol; summary: TradeCandle | undefined }> {
    const { market, query } = await this.query(symbol, filter);
    const bucket = await historySummary(this.index, query);
    return { market, summary: bucket && candleOf(market, bucket, bucket.lastTime) };
  }

  async volumeByPrice(symbol: string, filter: TradeFilter, step: string): Promise<{ market: MarketSymbol; levels: PriceLevelTotals[] }> {
    const { market, query } = await this.query(symbol, filter);
    const stepUnits = units(market.scales.quoteScale, step, "price_step");
    if (stepUnits === undefined || stepUnits <= 0n) throw invalid("price_step", "a positive price");
    let levels: PriceLevelVolume[];
    try {
      levels = await historyPriceLevels(this.index, query, stepUnits, MAX_PRICE_LEVELS);
    } catch (error) {
      if (error instanceof RangeError) throw invalid("price_step", `more than ${MAX_PRICE_LEVELS} levels: widen the step or narrow the filter`);
      throw error;
    }
    const baseOne = 10n ** BigInt(market.scales.baseScale);
    return { market, levels: levels.map((l) => ({ price: l.priceUnits, volume: l.qtyUnits, quoteVolume: l.notionalUnits / baseOne, count: l.count })) };
  }

  private async query(symbol: string, filter: TradeFilter): Promise<{ market: MarketSymbol; query: HistoryQuery }> {
    const market = await this.symbol(symbol);
    const { quoteScale, baseScale } = market.scales;
    if (filter.startTime < 0 || filter.endTime < 0) throw invalid("start_time", "times are milliseconds since the epoch");
    if (filter.startTime > 0 && filter.endTime > 0 && filter.startTime >= filter.endTime) throw invalid("start_time", "before end_time");
    const query: HistoryQuery = {
      symbol: market.symbol,
      kind: "trade",
      fromTime: filter.startTime > 0 ? filter.startTime : undefined,
      toTime: filter.endTime > 0 ? filter.endTime : undefined,
      minPriceUnits: units(quoteScale, filter.minPrice, "min_price"),
      maxPriceUnits: units(quoteScale, filter.maxPrice, "max_price"),
      minQtyUnits: units(baseScale, filter.minQty, "min_qty"),
      maxQtyUnits: units(baseScale, filter.maxQty, "max_qty"),
    };
    return { market, query };
  }
}

function units(scale: number, text: string, field: string): bigint | undefined {
  if (text === "") return undefined;
  try {
    return parseUnits(text, scale);
  } catch {
    throw invalid(field, `a non-negative decimal with at most ${scale} decimals`);
  }
}

function tradeOf(market: MarketSymbol, doc: HistoryDoc): PublicTrade {
  return {
    tradeId: Number(doc.attrs?.tradeId ?? doc.id.slice(doc.id.lastIndexOf(":") + 1)),
    price: doc.priceUnits,
    qty: doc.qtyUnits,
    quoteQty: doc.attrs?.quoteQty ? parseUnits(doc.attrs.quoteQty, market.scales.quoteScale) : market.quoteOf(doc.priceUnits, doc.qtyUnits),
    time: doc.time,
    isBuyerMaker: doc.attrs?.takerSide === "SELL",
  };
}

function tradeIdOf(id: string): number {
  return Number(id.slice(id.lastIndexOf(":") + 1));
}

function candleOf(market: MarketSymbol, b: HistoryBucket, closeTime: number): TradeCandle {
  const baseOne = 10n ** BigInt(market.scales.baseScale);
  return {
    openTime: b.start,
    closeTime,
    open: b.open.priceUnits,
    high: b.high.priceUnits,
    low: b.low.priceUnits,
    close: b.close.priceUnits,
    volume: b.qtyUnits,
    quoteVolume: b.notionalUnits / baseOne,
    vwap: b.qtyUnits === 0n ? 0n : b.notionalUnits / b.qtyUnits,
    count: b.count,
    firstTradeId: tradeIdOf(b.firstId),
    lastTradeId: tradeIdOf(b.lastId),
  };
}
