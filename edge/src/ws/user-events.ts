import { ExecutionType, type OrderList, type OrderUpdate } from "#gen/exchange/order/v1/order_pb.js";
import type { Balance, BalanceUpdate } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { contingencyName, listOrderStatusName, listStatusTypeName, sideName, statusName, stpName, timeInForceName, typeName, workingTimeOf } from "../rest/binance.mapper.js";
import { idNumber } from "../rest/http.js";

// Binance's user data stream payloads (pure: no I/O). Money stays the decimal strings the
// services send (a field without a value is a zero at the order's own precision, never a float);
// ids and times are JSON numbers; field letters are Binance's.

const EXECUTION_TYPES: Record<ExecutionType, string> = {
  [ExecutionType.UNSPECIFIED]: "NEW",
  [ExecutionType.NEW]: "NEW",
  [ExecutionType.CANCELED]: "CANCELED",
  [ExecutionType.REPLACED]: "REPLACED",
  [ExecutionType.REJECTED]: "REJECTED",
  [ExecutionType.TRADE]: "TRADE",
  [ExecutionType.EXPIRED]: "EXPIRED",
  [ExecutionType.TRADE_PREVENTION]: "TRADE_PREVENTION",
};

/** "0.00000000" for "30000.01000000": a zero written at the same precision. */
function zeroLike(decimal: string): string {
  const dot = decimal.indexOf(".");
  return dot < 0 ? "0" : `0.${"0".repeat(decimal.length - dot - 1)}`;
}

/** One order update as Binance's executionReport, sent at `eventTime`. */
export function executionReport(update: OrderUpdate, eventTime: number) {
  const order = update.order!;
  const trade = update.executionType === ExecutionType.TRADE;
  const baseZero = zeroLike(order.origQty || order.executedQty);
  const quoteZero = zeroLike(order.price || order.cummulativeQuoteQty);
  const x = EXECUTION_TYPES[update.executionType];
  return {
    e: "executionReport",
    E: eventTime,
    s: order.symbol,
    c: order.clientOrderId,
    S: sideName(order.side),
    o: typeName(order.type),
    f: timeInForceName(order.timeInForce),
    q: order.origQty || baseZero,
    p: order.price || quoteZero,
    P: order.stopPrice || quoteZero,
    F: order.icebergQty || baseZero,
    g: order.orderListId === 0n ? -1 : idNumber(order.orderListId),
    C: x === "CANCELED" ? order.clientOrderId : "",
    x,
    X: statusName(order.status),
    r: update.rejectReason || "NONE",
    i: idNumber(order.orderId),
    l: trade ? update.lastExecutedQty : baseZero,
    z: order.executedQty || baseZero,
    L: trade ? update.lastExecutedPrice : quoteZero,
    n: trade ? update.commission : "0",
    N: trade ? update.commissionAsset : null,
    T: Number(update.transactionTime),
    t: trade ? idNumber(update.tradeId) : -1,
    w: order.isWorking,
    m: trade && update.isMaker,
    O: Number(order.time),
    Z: order.cummulativeQuoteQty || quoteZero,
    Y: trade ? update.lastQuoteQty : quoteZero,
    Q: order.origQuoteOrderQty || quoteZero,
    ...(order.isWorking ? { W: workingTimeOf(order) } : {}),
    ...(order.trailingDelta > 0 ? { d: order.trailingDelta } : {}),
    ...(order.trailingDelta > 0 && order.trailingTime > 0n ? { D: Number(order.trailingTime) } : {}),
    V: stpName(order.selfTradePreventionMode),
    ...(x === "EXPIRED" && update.expiryReason !== "" ? { eR: update.expiryReason } : {}),
  };
}

/** Binance's listStatus: an order list was placed, started executing or ended (after its orders' executionReports). */
export function listStatus(list: OrderList, eventTime: number) {
  return {
    e: "listStatus",
    E: eventTime,
    s: list.symbol,
    g: idNumber(list.orderListId),
    c: contingencyName(list.contingencyType),
    l: listStatusTypeName(list.listStatusType),
    L: listOrderStatusName(list.listOrderStatus),
    r: "NONE",
    C: list.listClientOrderId,
    T: Number(list.transactionTime),
    O: list.orders.map((order) => ({ s: order.symbol, i: idNumber(order.orderId), c: order.clientOrderId })),
  };
}

/** Binance's outboundAccountPosition: the balances of `assets` (those an order update touched), as wallet reports them. */
export function outboundAccountPosition(balances: readonly Balance[], assets: ReadonlySet<string>, eventTime: number, updateTime: number) {
  return {
    e: "outboundAccountPosition",
    E: eventTime,
    u: updateTime,
    B: balances.filter((b) => assets.has(b.asset)).map((b) => ({ a: b.asset, f: b.free, l: b.locked })),
  };
}

/** Binance's balanceUpdate: a non-trade change to the asset's free balance, the signed delta as wallet wrote it. */
export function balanceUpdate(update: BalanceUpdate, eventTime: number) {
  return { e: "balanceUpdate", E: eventTime, a: update.asset, d: update.delta, T: Number(update.time) };
}

/** Sent on a user data stream's sockets when its listen key expired or was deleted, before they close. */
export function listenKeyExpired(listenKey: string, eventTime: number) {
  return { e: "listenKeyExpired", E: eventTime, listenKey };
}
