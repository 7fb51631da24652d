import type { Route } from "../rest/router.js";

// The WebSocket API's request methods that are a REST route under another name: same
// parameters, weight, security and answer. Methods of the connection itself (session.*,
// userDataStream.subscribe*, account.rateLimits.orders) are the connection's own.

export const ROUTE_OF_METHOD: Readonly<Record<string, string>> = {
  ping: "GET /api/v3/ping",
  time: "GET /api/v3/time",
  exchangeInfo: "GET /api/v3/exchangeInfo",
  depth: "GET /api/v3/depth",
  "trades.recent": "GET /api/v3/trades",
  "trades.historical": "GET /api/v3/historicalTrades",
  "trades.aggregate": "GET /api/v3/aggTrades",
  klines: "GET /api/v3/klines",
  avgPrice: "GET /api/v3/avgPrice",
  "ticker.24hr": "GET /api/v3/ticker/24hr",
  ticker: "GET /api/v3/ticker",
  "ticker.price": "GET /api/v3/ticker/price",
  "ticker.book": "GET /api/v3/ticker/bookTicker",
  "order.place": "POST /api/v3/order",
  "order.test": "POST /api/v3/order/test",
  "order.status": "GET /api/v3/order",
  "order.cancel": "DELETE /api/v3/order",
  "order.cancelReplace": "POST /api/v3/order/cancelReplace",
  "order.amend.keepPriority": "PUT /api/v3/order/amend/keepPriority",
  "openOrders.status": "GET /api/v3/openOrders",
  "openOrders.cancelAll": "DELETE /api/v3/openOrders",
  allOrders: "GET /api/v3/allOrders",
  myTrades: "GET /api/v3/myTrades",
  "account.status": "GET /api/v3/account",
  "account.rateLimits.orders": "GET /api/v3/rateLimit/order",
  "orderList.place.oco": "POST /api/v3/orderList/oco",
  "orderList.place.oto": "POST /api/v3/orderList/oto",
  "orderList.place.otoco": "POST /api/v3/orderList/otoco",
  "orderList.cancel": "DELETE /api/v3/orderList",
  "orderList.status": "GET /api/v3/orderList",
  "openOrderLists.status": "GET /api/v3/openOrderList",
  allOrderLists: "GET /api/v3/allOrderList",
  "userDataStream.start": "POST /api/v3/userDataStream",
  "userDataStream.ping": "PUT /api/v3/userDataStream",
  "userDataStream.stop": "DELETE /api/v3/userDataStream",
};

/** Method name -> route, for the methods whose route this edge serves. */
export function routesByMethod(routes: readonly Route[]): ReadonlyMap<string, Route> {
  const byKey = new Map(routes.map((route) => [`${route.method} ${route.path}`, route]));
  const byMethod = new Map<string, Route>();
  for (const [method, key] of Object.entries(ROUTE_OF_METHOD)) {
    const route = byKey.get(key);
    if (route) byMethod.set(method, route);
  }
  return byMethod;
}
