import { ContingencyType, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { ResponseType, type OrderList, type PlaceOrderRequest, type Trade } from "#gen/exchange/order/v1/order_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { cancelOrderListResponse, newOrderListResponse, queryOrderListResponse, type NewOrderRespType } from "./binance.mapper.js";
import { fillsOf, mandatory, NEEDS, RESP_TYPES, STP_MODES, TYPES, timeParam } from "./order.routes.js";
import type { Params } from "./params.js";
import { principalOf, type Route, type RouteContext } from "./router.js";

// Order lists (OCO, OTO, OTOCO): Binance's parameters -> order.v1 PlaceOrderList, whose orders
// are PlaceOrderRequests; cancel and queries as Binance answers them.

type Leg = Omit<PlaceOrderRequest, "$typeName">;

/** Shared by every order of a list: the account, symbol and STP mode (and, for an OCO, side and quantity). */
interface ListContext {
  readonly accountId: string;
  readonly symbol: string;
  readonly stp: SelfTradePreventionMode;
}

/** One order of a list from its prefixed parameters (aboveType, pendingAbovePrice...). */
function legOf(params: Params, prefix: string, list: ListContext, fixed: { side?: Side; quantity?: string } = {}): Leg {
  const type = params.orderType(`${prefix}Type`, TYPES);
  if (!type) throw mandatory(`${prefix}Type`);
  let side = fixed.side;
  if (side === undefined) {
    const named = params.side(`${prefix}Side`);
    if (!named) throw mandatory(`${prefix}Side`);
    side = Side[named];
  }
  const quantity = fixed.quantity ?? params.decimal(`${prefix}Quantity`);
  if (!quantity) throw mandatory(`${prefix}Quantity`);
  const price = params.decimal(`${prefix}Price`);
  const stopPrice = params.decimal(`${prefix}StopPrice`);
  const trailingDelta = params.integer(`${prefix}TrailingDelta`, 1, 2000);
  const timeInForce = params.timeInForce(`${prefix}TimeInForce`);
  const needs = NEEDS[type];
  if (needs.timeInForce && !timeInForce) throw mandatory(`${prefix}TimeInForce`);
  if (needs.price && !price) throw mandatory(`${prefix}Price`);
  if (needs.stop && !stopPrice && trailingDelta === undefined) throw mandatory(`${prefix}StopPrice`);
  return {
    accountId: list.accountId,
    symbol: list.symbol,
    side,
    type: OrderType[type],
    timeInForce: timeInForce ? TimeInForce[timeInForce] : TimeInForce.UNSPECIFIED,
    quantity,
    quoteOrderQty: "",
    price: price ?? "",
    stopPrice: stopPrice ?? "",
    trailingDelta: trailingDelta ?? 0,
    icebergQty: params.decimal(`${prefix}IcebergQty`) ?? "",
    clientOrderId: params.clientOrderId(`${prefix}ClientOrderId`) ?? "",
    selfTradePreventionMode: list.stp,
    responseType: ResponseType.UNSPECIFIED,
  };
}

function listContext(context: RouteContext): ListContext {
  const stp = context.params.oneOf("selfTradePreventionMode", STP_MODES);
  return { accountId: principalOf(context).userId, symbol: context.params.symbol(), stp: stp ? SelfTradePreventionMode[stp] : SelfTradePreventionMode.UNSPECIFIED };
}

/** An OCO's side and quantity, given once for both orders. */
function ocoShared(params: Params): { side: Side; quantity: string } {
  const side = params.side();
  if (!side) throw mandatory("side");
  const quantity = params.decimal("quantity");
  if (!quantity) throw mandatory("quantity");
  return { side: Side[side], quantity };
}

/** The new OCO: above and below orders. */
function ocoLegs(params: Params, list: ListContext): Leg[] {
  const shared = ocoShared(params);
  return [legOf(params, "above", list, shared), legOf(params, "below", list, shared)];
}

/**
 * The deprecated POST /api/v3/order/oco: a LIMIT_MAKER at `price` and a STOP_LOSS (or
 * STOP_LOSS_LIMIT with stopLimitPrice) at `stopPrice`; the limit order is the above one of a
 * sell and the below one of a buy.
 */
function legacyOcoLegs(params: Params, list: ListContext): Leg[] {
  const { side, quantity } = ocoShared(params);
  const price = params.decimal("price");
  if (!price) throw mandatory("price");
  const stopPrice = params.decimal("stopPrice");
  if (!stopPrice) throw mandatory("stopPrice");
  const stopLimitPrice = params.decimal("stopLimitPrice");
  const stopTif = params.timeInForce("stopLimitTimeInForce");
  if (stopLimitPrice && !stopTif) throw mandatory("stopLimitTimeInForce");
  const base = { accountId: list.accountId, symbol: list.symbol, side, quantity, quoteOrderQty: "", selfTradePreventionMode: list.stp, responseType: ResponseType.UNSPECIFIED };
  const limit: Leg = {
    ...base,
    type: OrderType.LIMIT_MAKER,
    timeInForce: TimeInForce.UNSPECIFIED,
    price,
    stopPrice: "",
    trailingDelta: 0,
    icebergQty: params.decimal("limitIcebergQty") ?? "",
    clientOrderId: params.clientOrderId("limitClientOrderId") ?? "",
  };
  const stop: Leg = {
    ...base,
    type: stopLimitPrice ? OrderType.STOP_LOSS_LIMIT : OrderType.STOP_LOSS,
    timeInForce: stopTif ? TimeInForce[stopTif] : TimeInForce.UNSPECIFIED,
    price: stopLimitPrice ?? "",
    stopPrice,
    trailingDelta: params.integer("trailingDelta", 1, 2000) ?? 0,
    icebergQty: params.decimal("stopIcebergQty") ?? "",
    clientOrderId: params.clientOrderId("stopClientOrderId") ?? "",
  };
  return side === Side.SELL ? [limit, stop] : [stop, limit];
}

function otoLegs(params: Params, list: ListContext): Leg[] {
  return [legOf(params, "working", list), legOf(params, "pending", list)];
}

function otocoLegs(params: Params, list: ListContext): Leg[] {
  const side = params.side("pendingSide");
  if (!side) throw mandatory("pendingSide");
  const quantity = params.decimal("pendingQuantity");
  if (!quantity) throw mandatory("pendingQuantity");
  const shared = { side: Side[side], quantity };
  return [legOf(params, "working", list), legOf(params, "pendingAbove", list, shared), legOf(params, "pendingBelow", list, shared)];
}

/** Places a list; orderReports in newOrderRespType's shape (RESULT unless asked). */
async function placeList(context: RouteContext, contingency: ContingencyType, legsOf: (params: Params, list: ListContext) => Leg[]) {
  const { params, services } = context;
  const list = listContext(context);
  const orders = legsOf(params, list);
  const respType: NewOrderRespType = params.oneOf("newOrderRespType", RESP_TYPES) ?? "RESULT";
  const { orderList } = await services.order.placeOrderList({
    accountId: list.accountId,
    symbol: list.symbol,
    contingencyType: contingency,
    listClientOrderId: params.clientOrderId("listClientOrderId") ?? "",
    orders,
    responseType: ResponseType[respType],
  });
  if (!orderList) throw new DomainError("UNKNOWN", "The order service returned no order list.");
  const fills = new Map<bigint, Trade[]>();
  if (respType === "FULL") for (const order of orderList.orders) fills.set(order.orderId, await fillsOf(context, order));
  return newOrderListResponse(orderList, respType, fills);
}

const byListId = (a: OrderList, b: OrderList) => (a.orderListId < b.orderListId ? -1 : a.orderListId > b.orderListId ? 1 : 0);

export function orderListRoutes(): Route[] {
  return [
    { method: "POST", path: "/api/v3/orderList/oco", security: "TRADE", weight: 1, placesOrder: 2, handle: (context) => placeList(context, ContingencyType.OCO, ocoLegs) },
    { method: "POST", path: "/api/v3/order/oco", security: "TRADE", weight: 1, placesOrder: 2, handle: (context) => placeList(context, ContingencyType.OCO, legacyOcoLegs) },
    { method: "POST", path: "/api/v3/orderList/oto", security: "TRADE", weight: 1, placesOrder: 2, handle: (context) => placeList(context, ContingencyType.OTO, otoLegs) },
    { method: "POST", path: "/api/v3/orderList/otoco", security: "TRADE", weight: 1, placesOrder: 3, handle: (context) => placeList(context, ContingencyType.OTOCO, otocoLegs) },
    {
      method: "DELETE",
      path: "/api/v3/orderList",
      security: "TRADE",
      weight: 1,
      handle: async ({ params, services, principal, now }) => {
        const symbol = params.symbol();
        const orderListId = params.id("orderListId");
        const listClientOrderId = params.clientOrderId("listClientOrderId");
        if (orderListId === undefined && listClientOrderId === undefined) {
          throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'orderListId' or 'listClientOrderId' must be sent, but both were empty/null!", [{ field: "orderListId", description: "required" }]);
        }
        params.clientOrderId("newClientOrderId"); // checked; the canceled orders keep their client order ids
        const { orderList } = await services.order.cancelOrderList({ accountId: principal!.userId, symbol, orderListId: orderListId ?? 0n, listClientOrderId: listClientOrderId ?? "" });
        if (!orderList) throw new DomainError("NO_SUCH_ORDER", "Order list does not exist.");
        return cancelOrderListResponse(orderList, now());
      },
    },
    {
      method: "GET",
      path: "/api/v3/orderList",
      security: "USER_DATA",
      weight: 4,
      handle: async ({ params, services, principal }) => {
        const orderListId = params.id("orderListId");
        const origClientOrderId = params.clientOrderId("origClientOrderId");
        if (orderListId === undefined && origClientOrderId === undefined) {
          throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'orderListId' or 'origClientOrderId' must be sent, but both were empty/null!", [{ field: "orderListId", description: "required" }]);
        }
        const { orderList } = await services.order.getOrderList({ accountId: principal!.userId, orderListId: orderListId ?? 0n, listClientOrderId: origClientOrderId ?? "" });
        if (!orderList) throw new DomainError("NO_SUCH_ORDER", "Order list does not exist.");
        return queryOrderListResponse(orderList);
      },
    },
    {
      method: "GET",
      path: "/api/v3/allOrderList",
      security: "USER_DATA",
      weight: 20,
      handle: async ({ params, services, principal }) => {
        const { orderLists } = await services.order.listOrderLists({
          accountId: principal!.userId,
          fromId: params.id("fromId"),
          startTime: timeParam(params, "startTime"),
          endTime: timeParam(params, "endTime"),
          limit: params.integer("limit", 1, 1000) ?? 500,
        });
        return orderLists.map(queryOrderListResponse);
      },
    },
    {
      method: "GET",
      path: "/api/v3/openOrderList",
      security: "USER_DATA",
      weight: 6,
      handle: async ({ services, principal }) => {
        const { orderLists } = await services.order.listOpenOrderLists({ accountId: principal!.userId });
        return [...orderLists].sort(byListId).map(queryOrderListResponse);
      },
    },
  ];
}
