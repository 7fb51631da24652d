import { OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { divCeil } from "#kit/money/decimal.js";
import type { SymbolSpec } from "./symbol.js";
import { checkIcebergParts, checkPercentPriceBySide, checkTrailingDelta, symbolFilters } from "./symbol-filters.js";
import { filterFailure, type SymbolUnits } from "./symbol-units.js";
import type { MarketReference } from "./trade-prices.js";

/** A placement request as the user sent it (decimal strings; "" = absent). */
export interface PlaceRequest {
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly quantity: string;
  readonly quoteOrderQty: string;
  readonly price: string;
  readonly stopPrice: string;
  readonly trailingDelta: number;
  readonly icebergQty: string;
  readonly stp: SelfTradePreventionMode;
}

/** What the order becomes in matching's integers, and what wallet must hold for it. */
export interface OrderIntent {
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly priceTicks: bigint;
  readonly quantityLots: bigint;
  readonly quoteOrderUnits: bigint;
  /** Market buy by quote amount: the amount in notional units (tick x lot). */
  readonly quoteNotional: bigint;
  readonly stopPriceTicks: bigint;
  readonly icebergLots: bigint;
  readonly trailingDelta: number;
  readonly stp: SelfTradePreventionMode;
  /** Matching's budget: notional units for buys, lots for sells. */
  readonly budget: bigint;
  readonly holdAsset: string;
  readonly holdUnits: bigint;
}

const LIMIT_PRICED = new Set([OrderType.LIMIT, OrderType.LIMIT_MAKER, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT_LIMIT]);
const STOPS = new Set([OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT]);
const ORDER_TYPES = new Set([OrderType.MARKET, ...LIMIT_PRICED, ...STOPS]);
const TIME_IN_FORCES = new Set([TimeInForce.UNSPECIFIED, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK]);
const MAX_MATCHING_INTEGER = BigInt(Number.MAX_SAFE_INTEGER);

function missing(field: string): DomainError {
  return new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", `Mandatory parameter '${field}' was not sent, was empty/null, or malformed.`, [{ field, description: "is required for this order type" }]);
}

function notAllowed(field: string, why: string): DomainError {
  return new DomainError("INVALID_PARAMETER", `${field}: ${why}`, [{ field, description: why }]);
}

/** Price of a band above a reference: ceil(ticks x (10000 + bps) / 10000). */
function withBand(ticks: bigint, bps: number): bigint {
  return divCeil(ticks * BigInt(10_000 + bps), 10_000n);
}

/**
 * Checks a placement against the symbol's filters and works out its budget (see the budget
 * rules in ARCHITECTURE.md). `bestAskTicks` is the touch a market or stop buy is protected
 * against when it has no price of its own. `reference` is the symbol's average price over its
 * avgPriceMins (trade-prices.ts; undefined before its first trade): a MARKET order's notional is
 * judged at it, not at the book (a sell into an empty ask side is no exception), and a priced
 * order's price is held to PERCENT_PRICE_BY_SIDE around it (symbol-filters.ts). Pure: no I/O.
 */
export function orderIntent(request: PlaceRequest, spec: SymbolSpec, units: SymbolUnits, bestAskTicks: bigint | undefined, reference?: MarketReference): OrderIntent {
  const { type, side } = request;
  // Binance's codes for an enum out of range (a gRPC caller can send any number).
  if (side !== Side.BUY && side !== Side.SELL) throw new DomainError("INVALID_SIDE", undefined, [{ field: "side", description: "BUY or SELL" }]);
  if (!ORDER_TYPES.has(type)) throw new DomainError("INVALID_ORDER_TYPE", undefined, [{ field: "type", description: "a spot order type" }]);
  if (!TIME_IN_FORCES.has(request.timeInForce)) throw new DomainError("INVALID_TIF", undefined, [{ field: "time_in_force", description: "GTC, IOC or FOK" }]);
  const priced = LIMIT_PRICED.has(type);
  const stop = STOPS.has(type);

  if (priced && request.price === "") throw missing("price");
  if (!priced && request.price !== "") throw notAllowed("price", "not allowed for this order type");
  if (stop && request.stopPrice === "" && request.trailingDelta === 0) throw missing("stopPrice");
  if (!stop && (request.stopPrice !== "" || request.trailingDelta !== 0)) throw notAllowed("stopPrice", "only stop and take-profit orders take stopPrice or trailingDelta");
  if (type === OrderType.MARKET) {
    if ((request.quantity === "") === (request.quoteOrderQty === "")) throw missing("quantity or quoteOrderQty (exactly one)");
  } else {
    if (request.quantity === "") throw missing("quantity");
    if (request.quoteOrderQty !== "") throw notAllowed("quoteOrderQty", "only MARKET orders take quoteOrderQty");
  }

  let timeInForce = request.timeInForce;
  if (type === OrderType.LIMIT || type === OrderType.STOP_LOSS_LIMIT || type === OrderType.TAKE_PROFIT_LIMIT) {
    if (timeInForce === TimeInForce.UNSPECIFIED) timeInForce = TimeInForce.GTC;
  } else if (type === OrderType.LIMIT_MAKER) {
    timeInForce = TimeInForce.GTC;
  } else if (timeInForce !== TimeInForce.UNSPECIFIED) {
    throw notAllowed("timeInForce", "not allowed for this order type");
  }

  const priceTicks = priced ? units.ticks("price", request.price) : 0n;
  const stopPriceTicks = request.stopPrice === "" ? 0n : units.ticks("stopPrice", request.stopPrice);
  const quantityLots = request.quantity === "" ? 0n : units.lots("quantity", request.quantity);
  const quoteOrderUnits = request.quoteOrderQty === "" ? 0n : units.quoteUnits("quoteOrderQty", request.quoteOrderQty);
  const icebergLots = request.icebergQty === "" ? 0n : units.lots("icebergQty", request.icebergQty);

  const minPrice = units.ticks("minPrice", spec.minPrice);
  const maxPrice = units.ticks("maxPrice", spec.maxPrice);
  for (const [field, ticks] of [["price", priceTicks], ["stopPrice", stopPriceTicks]] as const) {
    if (ticks !== 0n && (ticks < minPrice || ticks > maxPrice)) throw filterFailure("PRICE_FILTER", field, `outside [${spec.minPrice}, ${spec.maxPrice}]`);
  }
  if (request.quantity !== "") {
    if (quantityLots < units.lots("minQty", spec.minQty) || quantityLots > units.lots("maxQty", spec.maxQty)) {
      throw filterFailure("LOT_SIZE", "quantity", `outside [${spec.minQty}, ${spec.maxQty}]`);
    }
  }
  const filters = symbolFilters(spec);
  checkPercentPriceBySide(filters, side, priceTicks, reference?.averagePriceUnits, units.tickUnits);
  checkTrailingDelta(filters, request.trailingDelta);
  if (icebergLots !== 0n) {
    if (!(type === OrderType.LIMIT || type === OrderType.LIMIT_MAKER) || timeInForce !== TimeInForce.GTC) throw notAllowed("icebergQty", "only GTC LIMIT and LIMIT_MAKER orders can be icebergs");
    if (icebergLots >= quantityLots) throw notAllowed("icebergQty", "must be less than quantity");
    checkIcebergParts(filters, quantityLots, icebergLots);
  }

  // The price the order's notional is judged (and a buy's budget held) at.
  let referenceTicks = priceTicks;
  if (!priced) {
    const anchor = stopPriceTicks !== 0n ? stopPriceTicks : bestAskTicks;
    if (side === Side.BUY && request.quoteOrderQty === "") {
      if (anchor === undefined || anchor === 0n) throw new DomainError("NEW_ORDER_REJECTED", "No liquidity to price a market buy by quantity; use quoteOrderQty.");
      // A trailing buy fires once the price rose by its delta from the low it tracks, which starts at
      // its activation price (a stop price) or the touch: hold for that rise too.
      referenceTicks = withBand(anchor, spec.marketBandBps + request.trailingDelta);
    } else {
      referenceTicks = anchor ?? 0n;
    }
  }
  const minNotional = units.quoteUnits("minNotional", spec.minNotional);
  const maxNotional = units.quoteUnits("maxNotional", spec.maxNotional);
  // Notional x 10^baseScale, exact: a MARKET order by quantity at the average price (as
  // /api/v3/avgPrice shows it); with no trade yet, at its protected price (a buy) or not at all (a
  // sell); a quoteOrderQty order at its amount; any other order at its own price.
  const one = 10n ** BigInt(spec.baseScale);
  const average = type === OrderType.MARKET && request.quoteOrderQty === "" ? reference?.averagePriceUnits : undefined;
  const scaledNotional =
    request.quoteOrderQty !== "" ? quoteOrderUnits * one : average ? average * units.baseOf(quantityLots) : referenceTicks !== 0n ? units.quoteOf(referenceTicks, quantityLots) * one : undefined;
  if (scaledNotional !== undefined) {
    if (scaledNotional < minNotional * one) throw filterFailure("NOTIONAL", "quantity", `notional below ${spec.minNotional} ${spec.quoteAsset}`);
    if (scaledNotional > maxNotional * one) throw filterFailure("NOTIONAL", "quantity", `notional above ${spec.maxNotional} ${spec.quoteAsset}`);
  }

  let budget: bigint;
  let quoteNotional = 0n;
  if (side === Side.SELL) {
    budget = quantityLots;
  } else if (request.quoteOrderQty !== "") {
    quoteNotional = quoteOrderUnits / units.notionalUnits;
    if (quoteNotional === 0n) throw filterFailure("NOTIONAL", "quoteOrderQty", "below one tick x one lot");
    budget = quoteNotional;
  } else {
    budget = referenceTicks * quantityLots;
  }
  for (const [field, value] of [["price", priceTicks], ["quantity", quantityLots], ["budget", budget], ["stopPrice", stopPriceTicks]] as const) {
    if (value > MAX_MATCHING_INTEGER) throw filterFailure(field === "price" || field === "stopPrice" ? "PRICE_FILTER" : field === "quantity" ? "LOT_SIZE" : "NOTIONAL", field, "too large");
  }
  const holdAsset = side === Side.SELL ? spec.baseAsset : spec.quoteAsset;
  const holdUnits = side === Side.SELL ? units.baseOf(budget) : budget * units.notionalUnits;
  const stp = request.stp === SelfTradePreventionMode.UNSPECIFIED ? spec.defaultStpMode : request.stp;
  return { side, type, timeInForce, priceTicks, quantityLots, quoteOrderUnits, quoteNotional, stopPriceTicks, icebergLots, trailingDelta: request.trailingDelta, stp, budget, holdAsset, holdUnits };
}
