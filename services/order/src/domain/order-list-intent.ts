import { ContingencyType, OrderType, Side } from "#gen/exchange/common/v1/common_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { orderIntent, type OrderIntent, type PlaceRequest } from "./order-intent.js";
import type { SymbolSpec } from "./symbol.js";
import type { SymbolUnits } from "./symbol-units.js";
import type { MarketReference } from "./trade-prices.js";

/** One order of a list request, with its client order id ("" = generate one). */
export interface ListLegRequest extends PlaceRequest {
  readonly clientOrderId: string;
}

/** A list's orders in matching's integers; `shared` marks the OCO pair that draws on one hold. */
export interface OrderListIntent {
  readonly legs: readonly OrderIntent[];
  /** Indices of the OCO pair (OCO: [0, 1]; OTOCO: [1, 2]; OTO: none). */
  readonly ocoPair?: readonly [number, number];
}

const LIMITS = new Set([OrderType.LIMIT_MAKER, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT]);
const STOP_LOSSES = new Set([OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT]);
const LEGS: Partial<Record<ContingencyType, number>> = { [ContingencyType.OCO]: 2, [ContingencyType.OTO]: 2, [ContingencyType.OTOCO]: 3 };

const invalid = (field: string, why: string) => new DomainError("INVALID_PARAMETER", `${field}: ${why}`, [{ field, description: why }]);

/**
 * Checks an order list as Binance does (types, sides, quantities, prices around the last trade)
 * and each order against the symbol's filters, then gives each order's budget. An OCO pair
 * holds once: both orders carry the larger of their budgets. Pure: no I/O.
 */
export function orderListIntent(
  contingency: ContingencyType,
  legs: readonly ListLegRequest[],
  spec: SymbolSpec,
  units: SymbolUnits,
  bestAskTicks: bigint | undefined,
  reference: MarketReference | undefined,
): OrderListIntent {
  const count = LEGS[contingency];
  if (count === undefined) throw invalid("contingency_type", "must be OCO, OTO or OTOCO");
  if (legs.length !== count) throw invalid("orders", `${ContingencyType[contingency]} takes ${count} orders`);
  const ids = legs.map((leg) => leg.clientOrderId).filter((id) => id !== "");
  if (new Set(ids).size !== ids.length) throw new DomainError("NEW_ORDER_REJECTED", "Duplicate order sent.", [{ field: "orders.client_order_id", description: "must differ between the list's orders" }]);
  const pair = contingency === ContingencyType.OCO ? ([0, 1] as const) : contingency === ContingencyType.OTOCO ? ([1, 2] as const) : undefined;
  if (contingency !== ContingencyType.OCO) {
    const working = legs[0]!;
    if (working.type !== OrderType.LIMIT && working.type !== OrderType.LIMIT_MAKER) throw invalid("workingType", "must be LIMIT or LIMIT_MAKER");
    if (legs.slice(1).some((leg) => leg.type === OrderType.MARKET && leg.quoteOrderQty !== "")) throw invalid("pendingQuoteOrderQty", "a pending MARKET order takes quantity, not quoteOrderQty");
  }
  if (pair) checkOcoShape(legs[pair[0]]!, legs[pair[1]]!);
  const intents = legs.map((leg) => orderIntent(leg, spec, units, bestAskTicks, reference));
  if (!pair) return { legs: intents };
  const [above, below] = [intents[pair[0]]!, intents[pair[1]]!];
  checkOcoPrices(above, below, reference?.lastPriceTicks);
  // One hold for the pair: what the dearer order needs (a buy's stop may hold more than its limit).
  const shared = above.budget >= below.budget ? above : below;
  const both = intents.map((intent, index) => (index === pair[0] || index === pair[1] ? { ...intent, budget: shared.budget, holdUnits: shared.holdUnits } : intent));
  return { legs: both, ocoPair: pair };
}

/** Above: LIMIT_MAKER / TAKE_PROFIT* for a sell, STOP_LOSS* for a buy; below the other way round. */
function checkOcoShape(above: ListLegRequest, below: ListLegRequest): void {
  for (const [leg, field] of [[above, "aboveType"], [below, "belowType"]] as const) {
    if (!LIMITS.has(leg.type) && !STOP_LOSSES.has(leg.type)) throw new DomainError("OCO_ORDER_TYPE_REJECTED", undefined, [{ field, description: "not supported in an OCO" }]);
  }
  if (above.side !== below.side) throw invalid("side", "both orders of an OCO take the same side");
  if (above.quantity !== below.quantity) throw invalid("quantity", "both orders of an OCO take the same quantity");
  if (above.type === OrderType.LIMIT_MAKER && below.type === OrderType.LIMIT_MAKER) throw new DomainError("BOTH_OCO_ORDERS_CANNOT_BE_LIMIT");
  if (LIMITS.has(above.type) === LIMITS.has(below.type)) throw new DomainError("OCO_ORDER_TYPE_REJECTED", undefined, [{ field: "belowType", description: "one order must be a stop loss, the other a limit maker or take profit" }]);
  const sell = above.side === Side.SELL;
  // the limit-like order sits above for a sell, below for a buy
  const misplaced = sell ? below : above;
  if (!LIMITS.has(misplaced.type)) return;
  const maker = misplaced.type === OrderType.LIMIT_MAKER;
  if (sell) throw new DomainError(maker ? "SELL_OCO_LIMIT_MUST_BE_ABOVE" : "SELL_OCO_TAKE_PROFIT_MUST_BE_ABOVE");
  throw new DomainError(maker ? "BUY_OCO_LIMIT_MUST_BE_BELOW" : "BUY_OCO_TAKE_PROFIT_MUST_BE_BELOW");
}

/** The price each order of the pair works at: a limit maker's price, else its stop price (0: trailing only). */
function workingTicks(intent: OrderIntent): bigint {
  if (intent.type === OrderType.LIMIT_MAKER || (intent.type === OrderType.TAKE_PROFIT_LIMIT && intent.stopPriceTicks === 0n)) return intent.priceTicks;
  return intent.stopPriceTicks;
}

/** Sell: above > last > below; buy: above > last > below as well (the stop is above). */
function checkOcoPrices(above: OrderIntent, below: OrderIntent, lastPriceTicks: bigint | undefined): void {
  const high = workingTicks(above);
  const low = workingTicks(below);
  const wrong =
    (high !== 0n && low !== 0n && high <= low) ||
    (lastPriceTicks !== undefined && lastPriceTicks !== 0n && ((high !== 0n && high <= lastPriceTicks) || (low !== 0n && low >= lastPriceTicks)));
  if (wrong) throw new DomainError("NEW_ORDER_REJECTED", "The relationship of the prices for the orders is not correct.", [{ field: "abovePrice", description: "above > last price > below" }]);
}
