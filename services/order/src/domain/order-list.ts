import { ContingencyType, OrderStatus } from "#gen/exchange/common/v1/common_pb.js";
import type { Order } from "./order.js";
import { DONE_STATUSES } from "./order-status.js";

/**
 * An order list as stored: which orders it holds, in placement order (OCO [above, below]; OTO
 * [working, pending]; OTOCO [working, pending above, pending below]). Its status is not stored:
 * it follows from its orders' (listStatusOf).
 */
export interface OrderList {
  readonly orderListId: number;
  readonly symbol: string;
  readonly accountId: string;
  readonly listClientOrderId: string;
  readonly contingency: ContingencyType;
  readonly orderIds: readonly number[];
  readonly createdAt: number;
}

/** Binance's listStatusType / listOrderStatus pair. */
export type ListStatus = { readonly statusType: "EXEC_STARTED" | "ALL_DONE"; readonly orderStatus: "EXECUTING" | "ALL_DONE" | "REJECT" };

/** A list with its orders as they stand, and when it last changed. */
export interface OrderListView {
  readonly list: OrderList;
  readonly orders: readonly Order[];
  readonly status: ListStatus;
  readonly transactionTime: number;
}

/** Done when every order is; rejected when matching (or wallet) refused it as a whole. */
export function listStatusOf(orders: readonly Order[]): ListStatus {
  if (orders.length > 0 && orders.every((order) => order.status === OrderStatus.REJECTED)) return { statusType: "ALL_DONE", orderStatus: "REJECT" };
  if (orders.every((order) => DONE_STATUSES.has(order.status))) return { statusType: "ALL_DONE", orderStatus: "ALL_DONE" };
  return { statusType: "EXEC_STARTED", orderStatus: "EXECUTING" };
}

export function viewOf(list: OrderList, orders: readonly Order[]): OrderListView {
  const byId = new Map(orders.map((order) => [order.orderId, order]));
  const legs = list.orderIds.map((id) => byId.get(id)).filter((order): order is Order => order !== undefined);
  return { list, orders: legs, status: listStatusOf(legs), transactionTime: Math.max(list.createdAt, ...legs.map((order) => order.updatedAt)) };
}

/** Binance allOrderList's selection (checked by the use case). */
export interface OrderListQuery {
  readonly fromId?: number;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit: number;
}
