import type { OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";

/**
 * An order as its owner sees it. Quantities are kept in the symbol's integer units (ticks,
 * lots, quote units) and turned into decimal strings only at the edge of the service.
 */
export interface Order {
  readonly symbol: string;
  readonly orderId: number;
  readonly accountId: string;
  readonly clientOrderId: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  /** Limit price in ticks (0 for market orders). */
  readonly priceTicks: bigint;
  /** Original quantity; lowered when the order is amended (keepPriority). */
  quantityLots: bigint;
  /** Market buys by quote amount, in the quote asset's smallest units. */
  readonly quoteOrderUnits: bigint;
  readonly stopPriceTicks: bigint;
  readonly icebergLots: bigint;
  readonly trailingDelta: number;
  readonly stp: SelfTradePreventionMode;
  /** What wallet holds for the order (hold id = symbol:orderId). */
  readonly holdAsset: string;
  readonly holdUnits: bigint;
  status: OrderStatus;
  filledLots: bigint;
  /** Cumulative quote traded, in the quote asset's smallest units. */
  quoteUnits: bigint;
  /** Delivered to matching (the order row doubles as the outbox until then). */
  submitted: boolean;
  readonly createdAt: number;
  updatedAt: number;
  /**
   * When a stop or take-profit order triggered and started working (matching's batch time);
   * absent while it waits. Other orders work from their creation.
   */
  workingTime?: number;
  /**
   * A trailing stop: when it started tracking the market (matching's batch time), at placement
   * without a stop price, else when a trade reached its stop price; absent before.
   */
  trailingTime?: number;
  /** The order list it belongs to (absent: none). */
  readonly orderListId?: number;
  /**
   * An OCO's orders share one hold: the ids of the orders drawing on it, the first being the one
   * whose hold it is (absent: the order has its own hold).
   */
  readonly sharedHold?: readonly number[];
  /**
   * An OTO / OTOCO's pending order once its working order filled: whether its funds were held then (false: the
   * account could not cover them, and matching is to expire it), decided at `at` (matching's batch time). Absent
   * before, and on other orders. Until matching places or ends it, the order stays undelivered (the outbox of the
   * FUND_PENDING command: see FundPendingOrders).
   */
  pendingFunds?: { readonly held: boolean; readonly at: number };
  /**
   * A cancel-replace's new order: every delivery of it is one command (CANCEL_REPLACE) that cancels
   * this order and places the new one, never the new one alone; kept once delivered, as the
   * consumer reads what the new order takes from it. Absent: a plain placement.
   */
  replaces?: Replacing;
}

/** What a cancel-replace's new order replaces, and whether it is placed even if that cancel fails (Binance ALLOW_FAILURE). */
export interface Replacing {
  readonly orderId: number;
  readonly allowFailure: boolean;
  /**
   * The part of the new order's hold (holdUnits) the replaced order pays: moved from its hold when matching cancels
   * it, in the same command; the new order holds only the rest itself. Absent: none.
   */
  readonly fundedByTarget?: bigint;
}

export interface UserTrade {
  readonly symbol: string;
  readonly tradeId: number;
  readonly orderId: number;
  readonly accountId: string;
  readonly priceTicks: bigint;
  readonly quantityLots: bigint;
  readonly quoteUnits: bigint;
  readonly isBuyer: boolean;
  readonly isMaker: boolean;
  /** Fee charged in the asset received, in its smallest units. */
  readonly commissionUnits: bigint;
  readonly commissionAsset: string;
  readonly time: number;
}

export const holdIdOf = (symbol: string, orderId: number): string => `${symbol}:${orderId}`;
/** The hold an order draws on: its own, or its OCO's shared one. */
export const holdOf = (order: Pick<Order, "symbol" | "orderId" | "sharedHold">): string => holdIdOf(order.symbol, order.sharedHold?.[0] ?? order.orderId);
export const tradeIdOf = (symbol: string, tradeId: number): string => `${symbol}:T${tradeId}`;
