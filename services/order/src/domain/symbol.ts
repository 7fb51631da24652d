import { SelfTradePreventionMode, SymbolStatus } from "#gen/exchange/common/v1/common_pb.js";

/**
 * A tradable pair and its filters. Prices and quantities stay decimal strings here; order
 * converts them to integer ticks and lots (tickSize, stepSize) before matching sees them.
 */
export interface SymbolSpec {
  readonly symbol: string;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly baseScale: number;
  readonly quoteScale: number;
  readonly status: SymbolStatus;
  readonly tickSize: string;
  readonly stepSize: string;
  readonly minPrice: string;
  readonly maxPrice: string;
  readonly minQty: string;
  readonly maxQty: string;
  readonly minNotional: string;
  readonly maxNotional: string;
  readonly marketBandBps: number;
  readonly defaultStpMode: SelfTradePreventionMode;
  /**
   * Binance's MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS, MAX_NUM_ICEBERG_ORDERS, PERCENT_PRICE_BY_SIDE,
   * TRAILING_DELTA and ICEBERG_PARTS (see symbol-filters.ts). Absent (a spec stored before they existed): the
   * defaults there.
   */
  readonly maxNumOrders?: number;
  readonly maxNumAlgoOrders?: number;
  readonly maxNumIcebergOrders?: number;
  readonly percentPriceBySide?: PercentPriceBySide;
  readonly minTrailingDelta?: number;
  readonly maxTrailingDelta?: number;
  /** Binance's ICEBERG_PARTS. */
  readonly icebergParts?: number;
  /**
   * Binance's avgPriceMins: the minutes of trades averaged for NOTIONAL (a MARKET order) and
   * PERCENT_PRICE_BY_SIDE; 0: the last price. Absent: 5.
   */
  readonly avgPriceMins?: number;
}

/** PERCENT_PRICE_BY_SIDE's multipliers of the average price, decimal strings. */
export interface PercentPriceBySide {
  readonly bidMultiplierUp: string;
  readonly bidMultiplierDown: string;
  readonly askMultiplierUp: string;
  readonly askMultiplierDown: string;
}

/** The symbols a fresh embedded exchange starts with. */
export const DEFAULT_SYMBOLS: readonly SymbolSpec[] = [
  {
    symbol: "BTCUSDT",
    baseAsset: "BTC",
    quoteAsset: "USDT",
    baseScale: 8,
    quoteScale: 8,
    status: SymbolStatus.TRADING,
    tickSize: "0.01",
    stepSize: "0.00001",
    minPrice: "0.01",
    maxPrice: "1000000",
    minQty: "0.00001",
    maxQty: "9000",
    minNotional: "5",
    maxNotional: "9000000",
    marketBandBps: 500,
    defaultStpMode: SelfTradePreventionMode.EXPIRE_MAKER,
  },
  {
    symbol: "ETHUSDT",
    baseAsset: "ETH",
    quoteAsset: "USDT",
    baseScale: 18,
    quoteScale: 8,
    status: SymbolStatus.TRADING,
    tickSize: "0.01",
    stepSize: "0.0001",
    minPrice: "0.01",
    maxPrice: "1000000",
    minQty: "0.0001",
    maxQty: "100000",
    minNotional: "5",
    maxNotional: "9000000",
    marketBandBps: 500,
    defaultStpMode: SelfTradePreventionMode.EXPIRE_MAKER,
  },
];
