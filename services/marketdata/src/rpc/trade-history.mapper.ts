import type { MarketSymbol } from "../domain/market-symbol.js";
import type { PriceLevelTotals, TradeCandle } from "../domain/trade-history.use-case.js";

// Market history's candles and price levels as marketdata.v1 messages (decimal strings at the symbol's scales).

export function toTradeCandleMessage(market: MarketSymbol, candle: TradeCandle) {
  return {
    openTime: BigInt(candle.openTime),
    closeTime: BigInt(candle.closeTime),
    open: market.formatPrice(candle.open),
    high: market.formatPrice(candle.high),
    low: market.formatPrice(candle.low),
    close: market.formatPrice(candle.close),
    volume: market.formatQty(candle.volume),
    quoteVolume: market.formatQuote(candle.quoteVolume),
    vwap: market.formatPrice(candle.vwap),
    tradeCount: BigInt(candle.count),
    firstTradeId: BigInt(candle.firstTradeId),
    lastTradeId: BigInt(candle.lastTradeId),
  };
}

export function toPriceLevelVolumeMessage(market: MarketSymbol, level: PriceLevelTotals) {
  return { price: market.formatPrice(level.price), volume: market.formatQty(level.volume), quoteVolume: market.formatQuote(level.quoteVolume), tradeCount: BigInt(level.count) };
}
