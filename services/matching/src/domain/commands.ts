/**
 * Commands accepted by the matching state machine (one symbol).
 *
 * Number model (see docs in order-book.ts):
 * - prices are integer ticks, quantities integer lots, ids integers: all JS numbers that must be safe
 *   integers (Number.isSafeInteger); anything else is rejected at the command boundary.
 * - the quote unit is 1 tick x 1 lot: a trade of q lots at p ticks costs p*q quote units.
 * - budgets: buy orders carry quote units, sell orders carry base lots; also safe integers.
 * - every command carries `ts`, the time it was accepted upstream (the engine has no clock).
 */
export type Side = "BUY" | "SELL";
export type OrderType =
  | "LIMIT"
  | "MARKET"
  | "LIMIT_MAKER"
  | "STOP_LOSS"
  | "STOP_LOSS_LIMIT"
  | "TAKE_PROFIT"
  | "TAKE_PROFIT_LIMIT";
export type TimeInForce = "GTC" | "IOC" | "FOK";
export type StpMode = "NONE" | "EXPIRE_TAKER" | "EXPIRE_MAKER" | "EXPIRE_BOTH";
export type SymbolStatus = "TRADING" | "HALT" | "BREAK";

export interface PlaceOrder {
  type: "PLACE";
  ts: number;
  orderId: number;
  userId: number;
  side: Side;
  orderType: OrderType;
  /** GTC when omitted; MARKET/STOP_LOSS/TAKE_PROFIT ignore it. */
  tif?: TimeInForce;
  /** limit price in ticks (LIMIT, LIMIT_MAKER, *_LIMIT). */
  price?: number;
  /** base quantity in lots; MARKET needs exactly one of qty / quoteQty. */
  qty?: number;
  /** MARKET only: quote amount (ticks x lots). */
  quoteQty?: number;
  /** stop orders: trigger price in ticks (or activation price for trailing stops). */
  stopPrice?: number;
  /** stop orders: trailing delta in basis points (1..10000). */
  trailingDelta?: number;
  /** iceberg: visible peak in lots (GTC limit / limit maker only), 0 < icebergQty < qty. */
  icebergQty?: number;
  /** budget held for this order: buy = quote units, sell = base lots. */
  budget: number;
  stp?: StpMode;
}

export interface CancelOrder {
  type: "CANCEL";
  ts: number;
  orderId: number;
  /** when given, must own the order. */
  userId?: number;
}

/**
 * Amend an order: `newQty` is the new OPEN (unfilled) quantity, `newPrice` the new limit price.
 * Reducing the quantity at the same price keeps time priority; a price change or a quantity increase is a
 * "move": the order leaves its queue and re-enters as if new (it may match). `budgetDelta` is extra budget held
 * upstream for the amendment (an amendment whose need exceeds remaining budget + delta is rejected).
 */
export interface AmendOrder {
  type: "AMEND";
  ts: number;
  orderId: number;
  userId?: number;
  newQty?: number;
  newPrice?: number;
  budgetDelta?: number;
}

/**
 * Cancel one order and place another in one step. `order.budget` is what is held for the new order itself;
 * `budgetFromCanceled` (> 0) is more budget the new order takes from the canceled order (upstream, its hold moves
 * with it): the new order is then placed only when the cancel succeeded and the canceled order, of the same side
 * and in no list, still covers it (rules.ts budgetCovers), with budget `order.budget + budgetFromCanceled`;
 * otherwise it is rejected INSUFFICIENT_BUDGET (ALLOW_FAILURE included), the cancel standing if it succeeded.
 */
export interface CancelReplace {
  type: "CANCEL_REPLACE";
  ts: number;
  cancelOrderId: number;
  /** STOP_ON_FAILURE: if the cancel fails, the new order is rejected too. ALLOW_FAILURE: place anyway. */
  mode?: "STOP_ON_FAILURE" | "ALLOW_FAILURE";
  order: Omit<PlaceOrder, "type" | "ts">;
  budgetFromCanceled?: number;
}

export interface CancelAll {
  type: "CANCEL_ALL";
  ts: number;
  userId: number;
}

/** HALT: only cancels allowed. BREAK: nothing but status changes. cancelOnly (with TRADING): no new orders. */
export interface SetStatus {
  type: "SET_STATUS";
  ts: number;
  status: SymbolStatus;
  cancelOnly?: boolean;
}

/** Binance's order list kinds. */
export type ContingencyType = "OCO" | "OTO" | "OTOCO";

/**
 * An order list, placed as one command (all legs accepted or all rejected):
 * - OCO [above, below]: both placed now; each is LIMIT_MAKER or a stop type, at most one LIMIT_MAKER. The first
 *   fill or trigger of one leg expires the other in the same command (a user cancel cancels both).
 * - OTO [working, pending]: the working order (LIMIT or LIMIT_MAKER) is placed now; the pending one is placed once
 *   the working order fills completely, and is canceled/expired with it otherwise.
 * - OTOCO [working, pendingAbove, pendingBelow]: as OTO, the two pending orders placed as an OCO.
 * Every leg carries the budget held for it (an OCO's two legs draw on one hold: only one of them can trade). Pending
 * orders with budget 0 are funded when their working order has filled (as on Binance, whose pending orders need
 * their funds only then, the working order's proceeds included): the list then waits for FUND_PENDING. Pending
 * orders with a budget are placed in the command that fills the working order.
 */
export interface PlaceList {
  type: "PLACE_LIST";
  ts: number;
  contingency: ContingencyType;
  orders: Omit<PlaceOrder, "type" | "ts">[];
}

/**
 * The funds of an OTO / OTOCO's pending orders placed without a budget, once its working order has filled: funded,
 * they are placed with `budgets` (one per pending order, in list order; an OTOCO pair draws on one hold, so both
 * carry its budget); not funded (the account could not cover them), they expire. A list not waiting for it (never
 * placed, canceled meanwhile, funded already) is answered REJECTED (UNKNOWN_ORDER) for `workingOrderId`; nothing
 * changes.
 */
export interface FundPending {
  type: "FUND_PENDING";
  ts: number;
  workingOrderId: number;
  funded: boolean;
  budgets: number[];
}

export type Command = PlaceOrder | CancelOrder | AmendOrder | CancelReplace | CancelAll | SetStatus | PlaceList | FundPending;
