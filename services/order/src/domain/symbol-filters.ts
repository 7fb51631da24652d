import { OrderType, Side } from "#gen/exchange/common/v1/common_pb.js";
import { DEFAULT_AVG_PRICE_MINS } from "#kit/money/average-price.js";
import { parseUnits } from "#kit/money/decimal.js";
import type { PercentPriceBySide, SymbolSpec } from "./symbol.js";
import { filterFailure } from "./symbol-units.js";

/**
 * Binance's per-account and reference-price filters of a symbol, beside PRICE_FILTER, LOT_SIZE
 * and NOTIONAL (order-intent.ts):
 * - MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS, MAX_NUM_ICEBERG_ORDERS: open orders an account may have
 *   on the symbol: all of them, its stop and take-profit ("algo") orders, its icebergs; 0 = none.
 * - PERCENT_PRICE_BY_SIDE: a priced order's price within the average price (avgPriceMins, as
 *   /api/v3/avgPrice reports it; 0: the last price) times the side's multipliers; no trade yet, no check.
 * - TRAILING_DELTA: trailingDelta within [min, max] basis points.
 * - ICEBERG_PARTS: an iceberg's parts, ceil(quantity / icebergQty), at most the limit.
 * Failures are -1013 with Binance's exact text, "Filter failure: <FILTER>".
 */
export interface SymbolFilters {
  readonly maxNumOrders: number;
  readonly maxNumAlgoOrders: number;
  readonly maxNumIcebergOrders: number;
  readonly percentPriceBySide: PercentPriceBySide;
  readonly minTrailingDelta: number;
  readonly maxTrailingDelta: number;
  readonly icebergParts: number;
  /** Minutes averaged for NOTIONAL (MARKET orders) and PERCENT_PRICE_BY_SIDE; 0: the last price. */
  readonly avgPriceMins: number;
}

/** Binance's values for its large spot symbols. */
export const DEFAULT_SYMBOL_FILTERS: SymbolFilters = {
  maxNumOrders: 200,
  maxNumAlgoOrders: 5,
  maxNumIcebergOrders: 100,
  percentPriceBySide: { bidMultiplierUp: "5", bidMultiplierDown: "0.2", askMultiplierUp: "5", askMultiplierDown: "0.2" },
  minTrailingDelta: 10,
  maxTrailingDelta: 2000,
  icebergParts: 10,
  avgPriceMins: DEFAULT_AVG_PRICE_MINS,
};

export function symbolFilters(spec: SymbolSpec): SymbolFilters {
  const d = DEFAULT_SYMBOL_FILTERS;
  return {
    maxNumOrders: spec.maxNumOrders ?? d.maxNumOrders,
    maxNumAlgoOrders: spec.maxNumAlgoOrders ?? d.maxNumAlgoOrders,
    maxNumIcebergOrders: spec.maxNumIcebergOrders ?? d.maxNumIcebergOrders,
    percentPriceBySide: spec.percentPriceBySide ?? d.percentPriceBySide,
    minTrailingDelta: spec.minTrailingDelta ?? d.minTrailingDelta,
    maxTrailingDelta: spec.maxTrailingDelta ?? d.maxTrailingDelta,
    icebergParts: spec.icebergParts ?? d.icebergParts,
    avgPriceMins: spec.avgPriceMins ?? d.avgPriceMins,
  };
}

/** An account's open orders on a symbol, as the MAX_NUM_* filters count them. */
export interface OpenOrderCounts {
  orders: number;
  algo: number;
  iceberg: number;
}

export const NO_OPEN_ORDERS: Readonly<OpenOrderCounts> = { orders: 0, algo: 0, iceberg: 0 };

const ALGO_TYPES: ReadonlySet<OrderType> = new Set([OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT]);

/** What one order adds to the counts. */
export function countsOf(order: { readonly type: OrderType; readonly icebergLots: bigint }): OpenOrderCounts {
  return { orders: 1, algo: ALGO_TYPES.has(order.type) ? 1 : 0, iceberg: order.icebergLots > 0n ? 1 : 0 };
}

export function addCounts(a: Readonly<OpenOrderCounts>, b: Readonly<OpenOrderCounts>): OpenOrderCounts {
  return { orders: a.orders + b.orders, algo: a.algo + b.algo, iceberg: a.iceberg + b.iceberg };
}

/**
 * Refuses `adding` when the open orders would exceed a MAX_NUM_* limit. An order that does not
 * count for a filter (a LIMIT for MAX_NUM_ALGO_ORDERS) is never refused by it.
 */
export function checkOpenOrderLimits(filters: SymbolFilters, open: Readonly<OpenOrderCounts>, adding: Readonly<OpenOrderCounts>): void {
  const over = (limit: number, now: number, more: number) => more > 0 && limit > 0 && now + more > limit;
  if (over(filters.maxNumOrders, open.orders, adding.orders)) throw filterFailure("MAX_NUM_ORDERS", "symbol", `at most ${filters.maxNumOrders} open`);
  if (over(filters.maxNumAlgoOrders, open.algo, adding.algo)) throw filterFailure("MAX_NUM_ALGO_ORDERS", "symbol", `at most ${filters.maxNumAlgoOrders} open`);
  if (over(filters.maxNumIcebergOrders, open.iceberg, adding.iceberg)) throw filterFailure("MAX_NUM_ICEBERG_ORDERS", "symbol", `at most ${filters.maxNumIcebergOrders} open`);
}

/** A decimal multiplier as a fraction of bigints (numerator, denominator). */
function fraction(text: string): [bigint, bigint] {
  const scale = (text.split(".")[1] ?? "").length;
  return [parseUnits(text, scale), 10n ** BigInt(scale)];
}

/**
 * PERCENT_PRICE_BY_SIDE for a priced order (price in ticks) against the average price (quote units
 * per whole base unit); off without one. Exact in bigint.
 */
export function checkPercentPriceBySide(filters: SymbolFilters, side: Side, priceTicks: bigint, averagePriceUnits: bigint | undefined, tickUnits: bigint): void {
  if (priceTicks === 0n || averagePriceUnits === undefined || averagePriceUnits === 0n) return;
  const m = filters.percentPriceBySide;
  const [upN, upD] = fraction(side === Side.BUY ? m.bidMultiplierUp : m.askMultiplierUp);
  const [downN, downD] = fraction(side === Side.BUY ? m.bidMultiplierDown : m.askMultiplierDown);
  const price = priceTicks * tickUnits;
  if (price * upD > averagePriceUnits * upN || price * downD < averagePriceUnits * downN) throw filterFailure("PERCENT_PRICE_BY_SIDE", "price", "outside the average price times the side's multipliers");
}

/** TRAILING_DELTA: a trailing order's delta within the symbol's range. */
export function checkTrailingDelta(filters: SymbolFilters, trailingDelta: number): void {
  if (trailingDelta === 0) return;
  if (trailingDelta < filters.minTrailingDelta || trailingDelta > filters.maxTrailingDelta) throw filterFailure("TRAILING_DELTA", "trailingDelta", `outside [${filters.minTrailingDelta}, ${filters.maxTrailingDelta}]`);
}

/** ICEBERG_PARTS: an iceberg of `quantityLots` showing `icebergLots` at a time has ceil(q / i) parts. */
export function checkIcebergParts(filters: SymbolFilters, quantityLots: bigint, icebergLots: bigint): void {
  if (icebergLots === 0n) return;
  const parts = (quantityLots + icebergLots - 1n) / icebergLots;
  if (parts > BigInt(filters.icebergParts)) throw filterFailure("ICEBERG_PARTS", "icebergQty", `${parts} parts, at most ${filters.icebergParts}`);
}
