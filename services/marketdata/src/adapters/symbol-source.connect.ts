import { createClient, type Transport } from "@connectrpc/connect";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import type { SymbolScales } from "../domain/market-symbol.js";
import type { SymbolSource } from "../ports/symbol-source.port.js";

/**
 * The symbols from order's registry (GetExchangeInfo), the one place they are configured: the
 * assets' precisions are their scales, tickSize and stepSize size matching's ticks and lots.
 */
export class ConnectSymbolSource implements SymbolSource {
  private readonly client;

  constructor(transport: Transport) {
    this.client = createClient(OrderService, transport);
  }

  async list(): Promise<SymbolScales[]> {
    const { symbols } = await this.client.getExchangeInfo({});
    return symbols
      .filter((info) => info.filters !== undefined)
      .map((info) => ({
        symbol: info.symbol,
        baseScale: info.baseAssetPrecision,
        quoteScale: info.quoteAssetPrecision,
        tickSize: info.filters!.tickSize,
        stepSize: info.filters!.stepSize,
        avgPriceMins: info.filters!.avgPriceMins,
      }));
  }
}
