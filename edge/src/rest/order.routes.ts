import { OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { CancelReplaceMode, CancelRestrictions, OperationResult, ResponseType, type OperationError, type Order, type Trade } from "#gen/exchange/order/v1/order_pb.js";
import { parseUnits } from "#kit/money/decimal.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { cancelOrderResponse, newOrderResponse, queryOrderResponse, sideName, statusName, stpName, timeInForceName, typeName, workingTimeOf, type NewOrderRespType } from "./binance.mapper.js";
import { idNumber, RestAnswerError, restErrorOf } from "./http.js";
import type { Params } from "./params.js";
import { placedNothing } from "../rate-limit/rate-limiter.js";
import { principalOf, type Route, type RouteContext } from "./router.js";

// Orders: place, cancel, query, open orders, all orders. The account is always the
// authenticated principal's user id; an accountId parameter, if any, is ignored.

export const TYPES = ["LIMIT", "MARKET", "LIMIT_MAKER", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"] as const;
export const STP_MODES = ["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH"] as const;
export const RESP_TYPES = ["ACK", "RESULT", "FULL"] as const;
const REPLACE_MODES = ["STOP_ON_FAILURE", "ALLOW_FAILURE"] as const;
const CANCEL_RESTRICTIONS = ["ONLY_NEW", "ONLY_PARTIALLY_FILLED"] as const;
const RATE_LIMIT_MODES = ["DO_NOTHING", "CANCEL_ONLY"] as const;

type BinanceType = (typeof TYPES)[number];

/** What each type needs (Binance's "Additional mandatory parameters"). */
export const NEEDS: Record<BinanceType, { timeInForce?: true; quantity?: true; price?: true; stop?: true; quantityOrQuote?: true }> = {
  LIMIT: { timeInForce: true, quantity: true, price: true },
  MARKET: { quantityOrQuote: true },
  LIMIT_MAKER: { quantity: true, price: true },
  STOP_LOSS: { quantity: true, stop: true },
  STOP_LOSS_LIMIT: { timeInForce: true, quantity: true, price: true, stop: true },
  TAKE_PROFIT: { quantity: true, stop: true },
  TAKE_PROFIT_LIMIT: { timeInForce: true, quantity: true, price: true, stop: true },
};

export const mandatory = (name: string) =>
  new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`, [{ field: name, description: "required" }]);

function newOrderRequest(params: Params, accountId: string) {
  const symbol = params.symbol();
  const side = params.side();
  if (!side) throw mandatory("side");
  const type = params.orderType("type", TYPES);
  if (!type) throw mandatory("type");
  const timeInForce = params.timeInForce();
  const quantity = params.decimal("quantity");
  const quoteOrderQty = params.decimal("quoteOrderQty");
  const price = params.decimal("price");
  const stopPrice = params.decimal("stopPrice");
  const trailingDelta = params.integer("trailingDelta", 1, 2000);
  const icebergQty = params.decimal("icebergQty");
  const needs = NEEDS[type];
  if (needs.timeInForce && !timeInForce) throw mandatory("timeInForce");
  if (needs.quantity && !quantity) throw mandatory("quantity");
  if (needs.price && !price) throw mandatory("price");
  if (needs.stop && !stopPrice && trailingDelta === undefined) throw mandatory("stopPrice");
  if (needs.quantityOrQuote && !quantity && !quoteOrderQty) throw mandatory("quantity");
  if (quantity && quoteOrderQty) throw new DomainError("INVALID_PARAMETER", "Send either quantity or quoteOrderQty, not both.");
  const respType: NewOrderRespType = params.oneOf("newOrderRespType", RESP_TYPES) ?? (type === "LIMIT" || type === "MARKET" ? "FULL" : "ACK");
  const stp = params.oneOf("selfTradePreventionMode", STP_MODES);
  return {
    respType,
    message: {
      accountId,
      symbol,
      side: Side[side],
      type: OrderType[type],
      timeInForce: timeInForce ? TimeInForce[timeInForce] : TimeInForce.UNSPECIFIED,
      quantity: quantity ?? "",
      quoteOrderQty: quoteOrderQty ?? "",
      price: price ?? "",
      stopPrice: stopPrice ?? "",
      trailingDelta: trailingDelta ?? 0,
      icebergQty: icebergQty ?? "",
      clientOrderId: params.clientOrderId("newClientOrderId") ?? "",
      selfTradePreventionMode: stp ? SelfTradePreventionMode[stp] : SelfTradePreventionMode.UNSPECIFIED,
      responseType: ResponseType[respType],
    },
  };
}

/**
 * The order's own trades (FULL answers list them as fills): ListMyTrades by order id, 1000 at a
 * time, until a short page.
 */
export async function fillsOf(context: RouteContext, order: Order): Promise<Trade[]> {
  if (parseUnits(order.executedQty || "0", MAX_SCALE) === 0n) return [];
  const fills: Trade[] = [];
  let fromId: bigint | undefined;
  for (;;) {
    const { trades } = await context.services.order.listMyTrades({ accountId: order.accountId, symbol: order.symbol, orderId: order.orderId, fromId, limit: HISTORY_MAX });
    fills.push(...trades);
    if (trades.length < HISTORY_MAX) return fills;
    // One order is on one side of each trade: a trade id appears once.
    fromId = trades[trades.length - 1].id + 1n;
  }
}

/** The most decimals a quantity has on the wire (proto pattern). */
const MAX_SCALE = 18;

/** orderId or origClientOrderId: one is required (Binance -1102 otherwise). */
function orderRef(params: Params): { orderId: bigint; origClientOrderId: string } {
  const orderId = params.id("orderId");
  const origClientOrderId = params.clientOrderId("origClientOrderId");
  if (orderId === undefined && origClientOrderId === undefined) {
    throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!", [{ field: "orderId", description: "required" }]);
  }
  return { orderId: orderId ?? 0n, origClientOrderId: origClientOrderId ?? "" };
}

const RESULT_NAMES: Record<OperationResult, string> = {
  [OperationResult.UNSPECIFIED]: "FAILURE",
  [OperationResult.SUCCESS]: "SUCCESS",
  [OperationResult.FAILURE]: "FAILURE",
  [OperationResult.NOT_ATTEMPTED]: "NOT_ATTEMPTED",
};

const errorBody = (error: OperationError | undefined) => ({ code: error?.code ?? -1000, msg: error?.message ?? "An unknown error occurred while processing the request." });

/**
 * POST /api/v3/order/cancelReplace: the new order's parameters as POST /api/v3/order, plus
 * cancelReplaceMode, cancelOrderId or cancelOrigClientOrderId, cancelRestrictions. Both halves
 * succeeded: 200 with both answers. One failed: 409 -2021; both failed (or the cancel failed
 * in STOP_ON_FAILURE mode): 400 -2022; either with the same four fields under `data`.
 */
async function cancelReplace(context: RouteContext) {
  const { params, services, now } = context;
  const accountId = principalOf(context).userId;
  const { respType, message } = newOrderRequest(params, accountId);
  const mode = params.oneOf("cancelReplaceMode", REPLACE_MODES);
  if (!mode) throw mandatory("cancelReplaceMode");
  const cancelOrderId = params.id("cancelOrderId");
  const cancelOrigClientOrderId = params.clientOrderId("cancelOrigClientOrderId");
  if (cancelOrderId === undefined && cancelOrigClientOrderId === undefined) {
    throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'cancelOrigClientOrderId' or 'cancelOrderId' must be sent, but both were empty/null!", [{ field: "cancelOrderId", description: "required" }]);
  }
  params.clientOrderId("cancelNewClientOrderId"); // checked; the canceled order keeps its client order id
  const restriction = params.oneOf("cancelRestrictions", CANCEL_RESTRICTIONS);
  const rateLimitMode = params.oneOf("orderRateLimitExceededMode", RATE_LIMIT_MODES) ?? "DO_NOTHING";
  if (context.ordersRefused) {
    // Over the order-rate limit: DO_NOTHING answers the refusal alone; CANCEL_ONLY still cancels (429 either way).
    if (rateLimitMode === "DO_NOTHING") throw context.ordersRefused;
    return cancelOnly(context, message.symbol, cancelOrderId, cancelOrigClientOrderId, restriction, context.ordersRefused);
  }
  const response = await services.order.cancelReplaceOrder({
    cancel: { accountId, symbol: message.symbol, orderId: cancelOrderId ?? 0n, origClientOrderId: cancelOrigClientOrderId ?? "" },
    place: message,
    mode: CancelReplaceMode[mode],
    cancelRestrictions: restriction ? CancelRestrictions[restriction] : CancelRestrictions.UNSPECIFIED,
  });
  const canceledOk = response.cancelResult === OperationResult.SUCCESS && response.canceled !== undefined;
  const placedOk = response.newOrderResult === OperationResult.SUCCESS && response.placed !== undefined;
  const body = {
    cancelResult: RESULT_NAMES[response.cancelResult],
    newOrderResult: RESULT_NAMES[response.newOrderResult],
    cancelResponse: canceledOk ? cancelOrderResponse(response.canceled!, now()) : errorBody(response.cancelError),
    newOrderResponse: placedOk
      ? newOrderResponse(response.placed!, respType, respType === "FULL" ? await fillsOf(context, response.placed!) : [])
      : response.newOrderResult === OperationResult.NOT_ATTEMPTED
        ? null
        : errorBody(response.newOrderError),
  };
  if (canceledOk && placedOk) return body;
  if (canceledOk || placedOk) throw new RestAnswerError(409, { code: -2021, msg: "Order cancel-replace partially failed.", data: body });
  throw new RestAnswerError(400, { code: -2022, msg: "Order cancel-replace failed.", data: body });
}

/** A failed cancelReplace whose new order was placed all the same (-2021: the cancel failed, the order went in), or whose outcome is unknown (5xx). */
function newOrderPlaced(error: unknown): boolean {
  if (!(error instanceof RestAnswerError)) return !placedNothing(restErrorOf(error).status);
  return (error.body as { data?: { newOrderResult?: string } }).data?.newOrderResult === "SUCCESS";
}

/**
 * cancelReplace with orderRateLimitExceededMode=CANCEL_ONLY over the order-rate limit: the cancel
 * alone (its restriction checked on the order as stored), answered 429 with Binance's -2021 (cancel
 * done, new order refused with -1015) or -2022 (cancel failed too, new order not attempted).
 */
async function cancelOnly(context: RouteContext, symbol: string, orderId: bigint | undefined, origClientOrderId: string | undefined, restriction: (typeof CANCEL_RESTRICTIONS)[number] | undefined, refused: Error) {
  const { services, now } = context;
  const accountId = principalOf(context).userId;
  const ref = { accountId, symbol, orderId: orderId ?? 0n, origClientOrderId: origClientOrderId ?? "" };
  const newOrderResponse = restErrorOf(refused).body;
  let cancelResponse: unknown;
  let canceled = false;
  try {
    if (restriction) {
      const { order } = await services.order.getOrder(ref);
      const wanted = restriction === "ONLY_NEW" ? OrderStatus.NEW : OrderStatus.PARTIALLY_FILLED;
      if (order && order.status !== wanted) throw new DomainError("CANCEL_REJECTED", "Order was not canceled due to cancel restrictions.");
    }
    const { order } = await services.order.cancelOrder(ref);
    cancelResponse = cancelOrderResponse(order!, now());
    canceled = true;
  } catch (error) {
    cancelResponse = restErrorOf(error).body;
  }
  const data = { cancelResult: canceled ? "SUCCESS" : "FAILURE", newOrderResult: canceled ? "FAILURE" : "NOT_ATTEMPTED", cancelResponse, newOrderResponse: canceled ? newOrderResponse : null };
  throw new RestAnswerError(429, canceled ? { code: -2021, msg: "Order cancel-replace partially failed.", data } : { code: -2022, msg: "Order cancel-replace failed.", data });
}

/**
 * PUT /api/v3/order/amend/keepPriority: lowers an open order's quantity (`newQty`, its new
 * original quantity) where it rests. Binance's shape; `executionId` is not tracked (0), and
 * renaming the order (`newClientOrderId`) is not supported.
 */
async function amendKeepPriority(context: RouteContext) {
  const { params, services, now } = context;
  const accountId = principalOf(context).userId;
  const symbol = params.symbol();
  const ref = orderRef(params);
  const newQty = params.decimal("newQty");
  if (!newQty) throw mandatory("newQty");
  if (params.clientOrderId("newClientOrderId") !== undefined) {
    throw new DomainError("INVALID_PARAMETER", "newClientOrderId is not supported: the order keeps its client order id.", [{ field: "newClientOrderId", description: "not supported" }]);
  }
  const { order } = await services.order.amendOrder({ accountId, symbol, ...ref, newQty });
  if (!order) throw new DomainError("NO_SUCH_ORDER");
  return {
    transactTime: now(),
    executionId: 0,
    amendedOrder: {
      symbol: order.symbol,
      orderId: idNumber(order.orderId),
      orderListId: -1,
      origClientOrderId: order.clientOrderId,
      clientOrderId: order.clientOrderId,
      price: order.price,
      qty: order.origQty,
      executedQty: order.executedQty,
      preventedQty: "0.00000000",
      quoteOrderQty: order.origQuoteOrderQty,
      cumulativeQuoteQty: order.cummulativeQuoteQty,
      status: statusName(order.status),
      timeInForce: timeInForceName(order.timeInForce),
      type: typeName(order.type),
      side: sideName(order.side),
      workingTime: workingTimeOf(order),
      selfTradePreventionMode: stpName(order.selfTradePreventionMode),
    },
  };
}

/** Binance's limit on allOrders / myTrades: 1..1000, default 500. */
const HISTORY_MAX = 1000;
/** startTime / endTime as the RPC's optional int64. */
export const timeParam = (params: Params, name: string): bigint | undefined => {
  const value = params.integer(name);
  return value === undefined ? undefined : BigInt(value);
};
export const historyLimit = (params: Params): number => params.integer("limit", 1, HISTORY_MAX) ?? 500;

export function orderRoutes(): Route[] {
  const place = async (context: RouteContext, test: boolean) => {
    const { respType, message } = newOrderRequest(context.params, principalOf(context).userId);
    if (test) return {};
    const { order } = await context.services.order.placeOrder(message);
    if (!order) throw new DomainError("UNKNOWN", "The order service returned no order.");
    const fills = respType === "FULL" ? await fillsOf(context, order) : [];
    return newOrderResponse(order, respType, fills);
  };
  return [
    { method: "POST", path: "/api/v3/order", security: "TRADE", weight: 1, placesOrder: 1, handle: (context) => place(context, false) },
    { method: "POST", path: "/api/v3/order/test", security: "TRADE", weight: 1, handle: (context) => place(context, true) },
    { method: "POST", path: "/api/v3/order/cancelReplace", security: "TRADE", weight: 1, placesOrder: 1, orderLimitToRoute: true, placedDespite: newOrderPlaced, handle: cancelReplace },
    { method: "PUT", path: "/api/v3/order/amend/keepPriority", security: "TRADE", weight: 4, handle: amendKeepPriority },
    {
      method: "DELETE",
      path: "/api/v3/order",
      security: "TRADE",
      weight: 1,
      handle: async ({ params, services, principal, now }) => {
        const symbol = params.symbol();
        const { order } = await services.order.cancelOrder({ accountId: principal!.userId, symbol, ...orderRef(params) });
        if (!order) throw new DomainError("NO_SUCH_ORDER");
        return cancelOrderResponse(order, now());
      },
    },
    {
      method: "GET",
      path: "/api/v3/order",
      security: "USER_DATA",
      weight: 4,
      handle: async ({ params, services, principal }) => {
        const symbol = params.symbol();
        const { order } = await services.order.getOrder({ accountId: principal!.userId, symbol, ...orderRef(params) });
        if (!order) throw new DomainError("NO_SUCH_ORDER");
        return queryOrderResponse(order);
      },
    },
    {
      method: "GET",
      path: "/api/v3/openOrders",
      security: "USER_DATA",
      weight: (params) => (params.has("symbol") ? 6 : 80),
      handle: async ({ params, services, principal }) => {
        const symbol = params.optionalSymbol() ?? "";
        const { orders } = await services.order.listOpenOrders({ accountId: principal!.userId, symbol });
        return [...orders].sort(byOrderId).map(queryOrderResponse);
      },
    },
    {
      method: "DELETE",
      path: "/api/v3/openOrders",
      security: "TRADE",
      weight: 1,
      handle: async ({ params, services, principal, now }) => {
        const symbol = params.symbol();
        const { orders } = await services.order.cancelAllOrders({ accountId: principal!.userId, symbol });
        const at = now();
        return [...orders].sort(byOrderId).map((order) => cancelOrderResponse(order, at));
      },
    },
    {
      method: "GET",
      path: "/api/v3/allOrders",
      security: "USER_DATA",
      weight: 20,
      handle: async ({ params, services, principal }) => {
        const symbol = params.symbol();
        const { orders } = await services.order.listOrders({
          accountId: principal!.userId,
          symbol,
          fromOrderId: params.id("orderId"),
          startTime: timeParam(params, "startTime"),
          endTime: timeParam(params, "endTime"),
          limit: historyLimit(params),
        });
        return orders.map(queryOrderResponse);
      },
    },
  ];
}

const byOrderId = (a: Order, b: Order) => (a.orderId < b.orderId ? -1 : a.orderId > b.orderId ? 1 : 0);
