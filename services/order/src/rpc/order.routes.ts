import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { createValidator } from "@bufbuild/protovalidate";
import { CancelReplaceMode, CancelRestrictions, OperationResult, OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { toConnectError, toRestError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { isFiltered, orderQueryOf, tradeQueryOf } from "../domain/order-history.js";
import type { CancelRestriction, Orders } from "../domain/orders.use-case.js";
import { OrderEntry } from "../domain/order-entry.use-case.js";
import type { OrderUpdateFeed } from "../ports/order-updates.port.js";
import type { ArchiveTradesDay } from "../domain/archive-trades-day.use-case.js";
import type { VerifyTradesArchive } from "../domain/verify-trades-archive.use-case.js";
import type { SymbolStore } from "../ports/symbol-store.port.js";
import { toEntryRequests, toEntryResponse } from "./order-entry.mapper.js";
import { toOrderListMessage, toOrderMessage, toOrderUpdateMessage, toPlaceRequest, toSymbolInfo, toTradeMessage } from "./order.mapper.js";

export interface OrderRoutesDeps {
  readonly symbols: SymbolStore;
  readonly orders: Orders;
  /** StreamOrderUpdates' source; the RPC answers Unimplemented without one. */
  readonly updates?: OrderUpdateFeed;
  /** Trade archives; the RPCs answer Unimplemented without. */
  readonly archives?: { readonly archiveDay: ArchiveTradesDay; readonly verify: VerifyTradesArchive };
}

function archivesOf(deps: OrderRoutesDeps): NonNullable<OrderRoutesDeps["archives"]> {
  if (!deps.archives) throw new ConnectError("trade archives need an object store", Code.Unimplemented);
  return deps.archives;
}

const big = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);


const RESTRICTIONS: Record<CancelRestrictions, CancelRestriction> = {
  [CancelRestrictions.UNSPECIFIED]: "NONE",
  [CancelRestrictions.ONLY_NEW]: "ONLY_NEW",
  [CancelRestrictions.ONLY_PARTIALLY_FILLED]: "ONLY_PARTIALLY_FILLED",
};

/** A failed half of a cancel-replace as Binance's {code, msg}. */
export function operationError(error: unknown): { code: number; message: string } {
  if (error instanceof DomainError) return { code: error.spec.binance, message: error.message };
  const { body } = toRestError(error);
  return { code: body.code, message: body.msg };
}

/** order.v1 over the use cases: proto <-> domain, nothing else. */
export function orderRoutes(deps: OrderRoutesDeps) {
  const { orders } = deps;
  const units = (symbol: string) => orders.symbol(symbol).units;
  const entry = new OrderEntry(orders, deps.updates);
  const validator = createValidator();
  return (router: ConnectRouter) =>
    router.service(OrderService, {
      async archiveTradesDay(request) {
        const written = await archivesOf(deps).archiveDay.execute(request.date);
        return { partitions: written.map((p) => ({ symbol: p.symbol, key: p.key, rows: p.rows, sha256: p.sha256 })) };
      },
      async verifyTradesArchive(request) {
        const checks = await archivesOf(deps).verify.execute(request.date);
        return {
          equal: checks.every((c) => c.equal),
          symbols: checks.map((c) => ({
            symbol: c.symbol,
            equal: c.equal,
            archived: c.archived,
            archivedRows: c.archivedRows,
            databaseRows: c.databaseRows,
            difference: c.firstDifference ? `row ${c.firstDifference.index}: archived ${JSON.stringify(c.firstDifference.archived ?? null, big)} != stored ${JSON.stringify(c.firstDifference.database ?? null, big)}` : "",
          })),
        };
      },
      async getExchangeInfo(request) {
        const all = await deps.symbols.list();
        if (request.symbols.length === 0) return { symbols: all.map(toSymbolInfo) };
        const bySymbol = new Map(all.map((spec) => [spec.symbol, spec]));
        const unknown = request.symbols.filter((symbol) => !bySymbol.has(symbol));
        if (unknown.length > 0) {
          throw new DomainError("BAD_SYMBOL", `Invalid symbol: ${unknown.join(",")}`, unknown.map((symbol) => ({ field: "symbols", description: `unknown symbol ${symbol}` })));
        }
        return { symbols: request.symbols.map((symbol) => toSymbolInfo(bySymbol.get(symbol)!)) };
      },
      async placeOrder(request) {
        const order = await orders.place(request.accountId, request.symbol, toPlaceRequest(request), request.clientOrderId);
        return { order: toOrderMessage(order, units(order.symbol)) };
      },
      async cancelOrder(request) {
        const order = await orders.cancel(request.accountId, request.symbol, request.orderId, request.origClientOrderId);
        return { order: toOrderMessage(order, units(order.symbol)) };
      },
      async cancelReplaceOrder(request) {
        const cancel = request.cancel!;
        const place = request.place!;
        if (cancel.accountId !== place.accountId || cancel.symbol !== place.symbol) {
          throw new DomainError("INVALID_PARAMETER", "cancel and place must name the same account and symbol.", [{ field: "cancel", description: "account_id and symbol must equal place's" }]);
        }
        const outcome = await orders.cancelReplace({
          accountId: place.accountId,
          symbol: place.symbol,
          cancelOrderId: cancel.orderId,
          cancelClientOrderId: cancel.origClientOrderId,
          place: toPlaceRequest(place),
          clientOrderId: place.clientOrderId,
          mode: request.mode === CancelReplaceMode.ALLOW_FAILURE ? "ALLOW_FAILURE" : "STOP_ON_FAILURE",
          restriction: RESTRICTIONS[request.cancelRestrictions],
        });
        const symbolUnits = units(place.symbol);
        return {
          canceled: outcome.canceled && toOrderMessage(outcome.canceled, symbolUnits),
          placed: outcome.placed && toOrderMessage(outcome.placed, symbolUnits),
          cancelResult: outcome.canceled ? OperationResult.SUCCESS : OperationResult.FAILURE,
          newOrderResult: !outcome.placeAttempted ? OperationResult.NOT_ATTEMPTED : outcome.placed ? OperationResult.SUCCESS : OperationResult.FAILURE,
          cancelError: outcome.cancelError === undefined ? undefined : operationError(outcome.cancelError),
          newOrderError: outcome.placeError === undefined ? undefined : operationError(outcome.placeError),
        };
      },
      async amendOrder(request) {
        const order = await orders.amend(request.accountId, request.symbol, request.orderId, request.origClientOrderId, request.newQty);
        return { order: toOrderMessage(order, units(order.symbol)) };
      },
      async cancelAllOrders(request) {
        const canceled = await orders.cancelAll(request.accountId, request.symbol);
        return { orders: canceled.map((order) => toOrderMessage(order, units(order.symbol))) };
      },
      async getOrder(request) {
        const order = await orders.get(request.accountId, request.symbol, request.orderId, request.origClientOrderId);
        return { order: toOrderMessage(order, units(order.symbol)) };
      },
      async listOpenOrders(request) {
        const open = await orders.listOpen(request.accountId, request.symbol);
        return { orders: open.map((order) => toOrderMessage(order, units(order.symbol))) };
      },
      async listOrders(request) {
        const history = { fromId: request.fromOrderId, startTime: request.startTime, endTime: request.endTime, limit: request.limit, pageToken: request.page?.pageToken ?? "" };
        if (isFiltered(history)) {
          const found = await orders.findOrders(request.accountId, request.symbol, orderQueryOf(history));
          return { orders: found.map((order) => toOrderMessage(order, units(order.symbol))), page: { nextPageToken: "" } };
        }
        const page = await orders.list(request.accountId, request.symbol, request.page?.pageSize ?? 0, request.page?.pageToken ?? "");
        return { orders: page.items.map((order) => toOrderMessage(order, units(order.symbol))), page: { nextPageToken: page.nextToken } };
      },
      async listMyTrades(request) {
        const history = { orderId: request.orderId, fromId: request.fromId, startTime: request.startTime, endTime: request.endTime, limit: request.limit, pageToken: request.page?.pageToken ?? "" };
        if (isFiltered(history)) {
          const found = await orders.findTrades(request.accountId, request.symbol, tradeQueryOf(history));
          return { trades: found.map((trade) => toTradeMessage(trade, units(trade.symbol))), page: { nextPageToken: "" } };
        }
        const page = await orders.listTrades(request.accountId, request.symbol, request.page?.pageSize ?? 0, request.page?.pageToken ?? "");
        return { trades: page.items.map((trade) => toTradeMessage(trade, units(trade.symbol))), page: { nextPageToken: page.nextToken } };
      },
      async *streamOrderUpdates(request, context) {
        if (!deps.updates) throw new ConnectError("StreamOrderUpdates is not served here", Code.Unimplemented);
        for await (const update of deps.updates.follow(request.accountId, context.signal)) yield { update: toOrderUpdateMessage(update, units(update.order.symbol)) };
      },
      async placeOrderList(request) {
        const foreign = request.orders.findIndex((order) => order.accountId !== request.accountId || order.symbol !== request.symbol);
        if (foreign >= 0) {
          throw new DomainError("INVALID_PARAMETER", "Every order of a list names the list's account and symbol.", [{ field: `orders[${foreign}]`, description: "account_id and symbol must equal the list's" }]);
        }
        const view = await orders.placingLists.place({
          accountId: request.accountId,
          symbol: request.symbol,
          contingency: request.contingencyType,
          listClientOrderId: request.listClientOrderId,
          orders: request.orders.map((order) => ({ ...toPlaceRequest(order), clientOrderId: order.clientOrderId })),
        });
        return { orderList: toOrderListMessage(view, units(view.list.symbol)) };
      },
      async cancelOrderList(request) {
        const view = await orders.cancelingLists.cancel(request.accountId, request.symbol, request.orderListId, request.listClientOrderId);
        return { orderList: toOrderListMessage(view, units(view.list.symbol)) };
      },
      async getOrderList(request) {
        const view = await orders.orderLists.get(request.accountId, request.orderListId, request.listClientOrderId);
        return { orderList: toOrderListMessage(view, units(view.list.symbol)) };
      },
      async listOrderLists(request) {
        const views = await orders.orderLists.all(request.accountId, { fromId: request.fromId, startTime: request.startTime, endTime: request.endTime, limit: request.limit });
        return { orderLists: views.map((view) => toOrderListMessage(view, units(view.list.symbol))) };
      },
      async listOpenOrderLists(request) {
        const views = await orders.orderLists.open(request.accountId);
        return { orderLists: views.map((view) => toOrderListMessage(view, units(view.list.symbol))) };
      },
      async *streamOrderEntry(requests, context) {
        try {
          for await (const response of entry.run(toEntryRequests(requests, validator), context.signal)) yield toEntryResponse(response, units);
        } catch (error) {
          // The stream's own end (its update feed fell behind): a stream's errors skip the interceptors.
          throw error instanceof DomainError ? toConnectError(error) : error;
        }
      },
    });
}
