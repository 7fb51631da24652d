import type { ConnectRouter } from "@connectrpc/connect";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { SymbolStore } from "../ports/symbol-store.port.js";
import { toSymbolInfo } from "./order.mapper.js";

export interface OrderRoutesDeps {
  readonly symbols: SymbolStore;
}

/** order.v1 over the use cases. Methods not listed here answer Unimplemented. */
export function orderRoutes(deps: OrderRoutesDeps) {
  return (router: ConnectRouter) =>
    router.service(OrderService, {
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
    });
}
