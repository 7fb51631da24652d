import type { AggTrade, Kline, PublicTrade } from "../domain/market.js";
import type { MarketSymbol } from "../domain/market-symbol.js";
import { bucketClose } from "../domain/intervals.js";
import type { DepthChange } from "../domain/depth.js";
import type { Ticker } from "../domain/market-data.use-case.js";
import type { BookSide } from "../ports/matching-feed.port.js";

// Domain units -> marketdata.v1 messages: prices and quote amounts at the quote asset's scale,
// quantities at the base asset's, as decimal strings.

export function toTradeMessage(market: MarketSymbol, trade: PublicTrade) {
  return {
    symbol: market.symbol,
    id: BigInt(trade.tradeId),
    price: market.formatPrice(trade.price),
    qty: market.formatQty(trade.qty),
    quoteQty: market.formatQuote(trade.quoteQty),
    time: BigInt(trade.time),
    isBuyerMaker: trade.isBuyerMaker,
  };
}

export function toAggTradeMessage(market: MarketSymbol, agg: AggTrade) {
  return {
    symbol: market.symbol,
    id: BigInt(agg.aggId),
    price: market.formatPrice(agg.price),
    qty: market.formatQty(agg.qty),
    firstTradeId: BigInt(agg.firstTradeId),
    lastTradeId: BigInt(agg.lastTradeId),
    time: BigInt(agg.time),
    isBuyerMaker: agg.isBuyerMaker,
  };
}

export function toKlineMessage(market: MarketSymbol, kline: Kline) {
  return {
    openTime: BigInt(kline.openTime),
    open: market.formatPrice(kline.open),
    high: market.formatPrice(kline.high),
    low: market.formatPrice(kline.low),
    close: market.formatPrice(kline.close),
    volume: market.formatQty(kline.volume),
    closeTime: BigInt(bucketClose(kline.interval, kline.openTime)),
    quoteVolume: market.formatQuote(kline.quoteVolume),
    tradeCount: BigInt(kline.count),
    takerBuyBaseVolume: market.formatQty(kline.takerBuyVolume),
    takerBuyQuoteVolume: market.formatQuote(kline.takerBuyQuoteVolume),
    firstTradeId: BigInt(kline.firstTradeId),
    lastTradeId: BigInt(kline.lastTradeId),
  };
}

export function toTickerMessage(ticker: Ticker) {
  const m = ticker.symbol;
  return {
    symbol: m.symbol,
    priceChange: m.formatPrice(ticker.priceChange),
    priceChangePercent: ticker.priceChangePercent,
    weightedAvgPrice: m.formatPrice(ticker.weightedAvg),
    lastPrice: m.formatPrice(ticker.last),
    openPrice: m.formatPrice(ticker.open),
    highPrice: m.formatPrice(ticker.high),
    lowPrice: m.formatPrice(ticker.low),
    volume: m.formatQty(ticker.volume),
    quoteVolume: m.formatQuote(ticker.quoteVolume),
    openTime: BigInt(ticker.openTime),
    closeTime: BigInt(ticker.closeTime),
    count: BigInt(ticker.count),
    prevClosePrice: ticker.prevClose === undefined ? "" : m.formatPrice(ticker.prevClose),
    lastQty: m.formatQty(ticker.lastQty),
    firstId: BigInt(ticker.firstId),
    lastId: BigInt(ticker.lastId),
  };
}

export function toLevel(market: MarketSymbol, level: BookSide) {
  return { price: market.formatPrice(market.price(level.ticks)), quantity: market.formatQty(market.qty(level.lots)) };
}

/** A book diff as Binance's depthUpdate: levels as decimal strings, quantity "0" = the level is gone. */
export function toDepthUpdateMessage(market: MarketSymbol, change: DepthChange) {
  return {
    symbol: market.symbol,
    firstUpdateId: BigInt(change.firstSequence),
    finalUpdateId: BigInt(change.finalSequence),
    bids: change.bids.map((l) => toLevel(market, l)),
    asks: change.asks.map((l) => toLevel(market, l)),
    eventTime: BigInt(change.time),
  };
}
