import type { Order } from "./order.js";
import type { OrderListView } from "./order-list.js";

/** Binance's executionReport "x": what happened to the order. */
export type ExecutionType = "NEW" | "CANCELED" | "REPLACED" | "REJECTED" | "TRADE" | "EXPIRED" | "TRADE_PREVENTION";

/** One fill of the order, from its own side. */
export interface OrderFill {
  readonly tradeId: number;
  readonly priceTicks: bigint;
  readonly quantityLots: bigint;
  /** Price x quantity, in the quote asset's smallest units. */
  readonly quoteUnits: bigint;
  /** Fee charged in the asset received, in its smallest units. */
  readonly commissionUnits: bigint;
  readonly commissionAsset: string;
  readonly isMaker: boolean;
}

/**
 * One stored change of one order, emitted after the change is stored. `order` is a copy of the
 * order as it stood right after this change: a batch with several fills of one order emits one
 * update per fill, each with the cumulative quantities up to that fill.
 */
export interface OrderUpdate {
  readonly order: Readonly<Order>;
  readonly executionType: ExecutionType;
  /** REJECTED: matching's reason (WOULD_TAKE, ...), or HOLD_REFUSED when wallet refused the hold; "NONE" otherwise. */
  readonly rejectReason: string;
  /** EXPIRED: why, when known (Binance's eR: REJECTED for an OTO's pending order the account could not fund). */
  readonly expiryReason?: string;
  /** When the change happened (matching's batch time), ms since the epoch. */
  readonly time: number;
  /** TRADE only. */
  readonly fill?: OrderFill;
  /** Funds moved in wallet with this change (a hold taken, settled, released or reduced). */
  readonly balancesChanged: boolean;
  /** The order's list, on the last update of a batch that changed the list's status (Binance's listStatus). */
  readonly orderList?: OrderListView;
}
