import { OrderStatus } from "#gen/exchange/common/v1/common_pb.js";

/** Statuses an order never leaves: its hold is released and it can no longer be canceled. */
export const DONE_STATUSES: ReadonlySet<OrderStatus> = new Set([OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH, OrderStatus.REJECTED]);
