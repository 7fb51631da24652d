import type { ConnectRouter } from "@connectrpc/connect";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MarketData } from "../domain/market-data.use-case.js";
import type { TradeFilter, TradeHistory } from "../domain/trade-history.use-case.js";
import { toPriceLevelVolumeMessage, toTradeCandleMessage } from "./trade-history.mapper.js";
import { toAggTradeMessage, toDepthUpdateMessage, toKlineMessage, toLevel, toTickerMessage, toTradeMessage } from "./marketdata.mapper.js";

export interface MarketDataRoutesDeps {
  readonly clock: Clock;
  readonly marketData: MarketData;
  /** Market history; absent: its RPCs answer Unimplemented. */
  readonly history?: TradeHistory;
}

interface FilterMessage {
  startTime: bigint;
  endTime: bigint;
  minPrice: string;
  maxPrice: string;
  minQty: string;
  maxQty: string;
}

function filterOf(filter: FilterMessage | undefined): TradeFilter {
  return {
    startTime: Number(filter?.startTime ?? 0n),
    endTime: Number(filter?.endTime ?? 0n),
    minPrice: filter?.minPrice ?? "",
    maxPrice: filter?.maxPrice ?? "",
    minQty: filter?.minQty ?? "",
    maxQty: filter?.maxQty ?? "",
  };
}

/** marketdata.v1 over the use case: proto <-> domain, nothing else. */
export function marketDataRoutes(deps: MarketDataRoutesDeps) {
  const { marketData } = deps;
  const history = () => {
    if (!deps.history) throw new ConnectError("market history is off on this server (MARKETDATA_HISTORY=false)", Code.Unimplemented);
    return deps.history;
  };
  return (router: ConnectRouter) =>
    router.service(MarketDataService, {
      ping: () => ({}),
      getServerTime: () => ({ serverTime: BigInt(deps.clock.now()) }),
      async listTrades(request) {
        const { market, trades } = await marketData.listTrades(request.symbol, request.limit, Number(request.fromId));
        return { trades: trades.map((trade) => toTradeMessage(market, trade)) };
      },
      async listAggTrades(request) {
        const num = (value: bigint | undefined) => (value === undefined ? undefined : Number(value));
        const { market, aggTrades } = await marketData.listAggTrades(request.symbol, {
          fromId: num(request.fromId),
          startTime: num(request.startTime),
          endTime: num(request.endTime),
          limit: request.limit,
        });
        return { aggTrades: aggTrades.map((agg) => toAggTradeMessage(market, agg)) };
      },
      async listKlines(request) {
        const { market, klines } = await marketData.listKlines(request.symbol, request.interval, Number(request.startTime), Number(request.endTime), request.limit);
        return { klines: klines.map((kline) => toKlineMessage(market, kline)) };
      },
      async getTicker24h(request) {
        return { ticker: toTickerMessage(await marketData.ticker24h(request.symbol, request.windowMs === 0n ? undefined : Number(request.windowMs))) };
      },
      async getAvgPrice(request) {
        const { market, mins, price, closeTime } = await marketData.avgPrice(request.symbol);
        return { mins, price: price === undefined ? "" : market.formatPrice(price), closeTime: BigInt(closeTime) };
      },
      async getDepth(request) {
        const { market, book } = await marketData.depth(request.symbol, request.limit);
        return { lastUpdateId: BigInt(book.sequence), bids: book.bids.map((l) => toLevel(market, l)), asks: book.asks.map((l) => toLevel(market, l)) };
      },
      async getBookTicker(request) {
        const { market, book } = await marketData.depth(request.symbol, 1);
        const bid = book.bids[0] && toLevel(market, book.bids[0]);
        const ask = book.asks[0] && toLevel(market, book.asks[0]);
        return { symbol: request.symbol, bidPrice: bid?.price ?? "", bidQty: bid?.quantity ?? "", askPrice: ask?.price ?? "", askQty: ask?.quantity ?? "" };
      },
      async searchTrades(request) {
        const { market, trades, cursor } = await history().search(request.symbol, filterOf(request.filter), { limit: request.limit, cursor: request.cursor, descending: request.descending });
        return { trades: trades.map((trade) => toTradeMessage(market, trade)), nextCursor: cursor };
      },
      async getTradeCandles(request) {
        const { market, candles } = await history().candles(request.symbol, filterOf(request.filter), Number(request.intervalMs));
        return { candles: candles.map((candle) => toTradeCandleMessage(market, candle)) };
      },
      async getTradeSummary(request) {
        const { market, summary } = await history().summary(request.symbol, filterOf(request.filter));
        return { summary: summary && toTradeCandleMessage(market, summary) };
      },
      async getVolumeByPrice(request) {
        const { market, levels } = await history().volumeByPrice(request.symbol, filterOf(request.filter), request.priceStep);
        return { levels: levels.map((level) => toPriceLevelVolumeMessage(market, level)) };
      },
      async *streamTrades(request, context) {
        for await (const { market, trade } of marketData.streamTrades(request.symbol, context.signal)) yield { trade: toTradeMessage(market, trade) };
      },
      async *streamAggTrades(request, context) {
        for await (const { market, aggTrade } of marketData.streamAggTrades(request.symbol, context.signal)) yield { aggTrade: toAggTradeMessage(market, aggTrade) };
      },
      async *streamDepth(request, context) {
        for await (const { market, change } of marketData.streamDepth(request.symbol, context.signal)) yield { update: toDepthUpdateMessage(market, change) };
      },
    });
}
