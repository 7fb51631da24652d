// What marketdata projects from matching's events, in integer units: prices in the quote
// asset's smallest units per whole base unit, quantities in the base asset's smallest units,
// quote amounts in the quote asset's smallest units.

import type { Interval } from "./intervals.js";

export interface PublicTrade {
  readonly tradeId: number;
  readonly price: bigint;
  readonly qty: bigint;
  readonly quoteQty: bigint;
  readonly time: number;
  readonly isBuyerMaker: boolean;
}

export interface Kline {
  readonly interval: Interval;
  readonly openTime: number;
  readonly open: bigint;
  readonly high: bigint;
  readonly low: bigint;
  readonly close: bigint;
  readonly volume: bigint;
  readonly quoteVolume: bigint;
  readonly count: number;
  readonly takerBuyVolume: bigint;
  readonly takerBuyQuoteVolume: bigint;
  /** Open and close are the prices of these trades (the lowest and highest id in the bucket). */
  readonly firstTradeId: number;
  readonly lastTradeId: number;
}

export function klineOf(interval: Interval, openTime: number, trade: PublicTrade): Kline {
  const takerBuys = !trade.isBuyerMaker;
  return {
    interval,
    openTime,
    open: trade.price,
    high: trade.price,
    low: trade.price,
    close: trade.price,
    volume: trade.qty,
    quoteVolume: trade.quoteQty,
    count: 1,
    takerBuyVolume: takerBuys ? trade.qty : 0n,
    takerBuyQuoteVolume: takerBuys ? trade.quoteQty : 0n,
    firstTradeId: trade.tradeId,
    lastTradeId: trade.tradeId,
  };
}

/**
 * Two aggregates of the same bucket as one (commutative and associative): open from the
 * lower first trade id, close from the higher last trade id, sums for the rest.
 */
export function mergeKlines(a: Kline, b: Kline): Kline {
  const max = (x: bigint, y: bigint) => (x > y ? x : y);
  const min = (x: bigint, y: bigint) => (x < y ? x : y);
  return {
    interval: a.interval,
    openTime: a.openTime,
    open: a.firstTradeId <= b.firstTradeId ? a.open : b.open,
    high: max(a.high, b.high),
    low: min(a.low, b.low),
    close: a.lastTradeId >= b.lastTradeId ? a.close : b.close,
    volume: a.volume + b.volume,
    quoteVolume: a.quoteVolume + b.quoteVolume,
    count: a.count + b.count,
    takerBuyVolume: a.takerBuyVolume + b.takerBuyVolume,
    takerBuyQuoteVolume: a.takerBuyQuoteVolume + b.takerBuyQuoteVolume,
    firstTradeId: Math.min(a.firstTradeId, b.firstTradeId),
    lastTradeId: Math.max(a.lastTradeId, b.lastTradeId),
  };
}

/**
 * Binance's aggregate trade: consecutive trades of one taker order at one price within one
 * matching batch. `aggId` is consecutive per symbol from 1, assigned by the store when the batch
 * is applied and never changed.
 */
export interface AggTrade {
  readonly aggId: number;
  readonly price: bigint;
  readonly qty: bigint;
  readonly firstTradeId: number;
  readonly lastTradeId: number;
  readonly time: number;
  readonly isBuyerMaker: boolean;
}

/** An aggregate before the store numbers it. */
export type AggTradeDraft = Omit<AggTrade, "aggId">;

/**
 * One batch's trades (in event order, with their taker order) as aggregates: a run of trades with
 * the same taker order and price is one. A batch is one matching command and a taker order trades
 * as taker only within the command that placed (or triggered) it, so every aggregate is complete
 * when its batch is: a later batch never extends it.
 */
export function aggTradesOf(trades: readonly (PublicTrade & { readonly takerOrderId: bigint })[]): AggTradeDraft[] {
  const drafts: AggTradeDraft[] = [];
  let run: { draft: AggTradeDraft; takerOrderId: bigint } | undefined;
  for (const trade of trades) {
    if (run && run.takerOrderId === trade.takerOrderId && run.draft.price === trade.price && run.draft.lastTradeId + 1 === trade.tradeId) {
      run.draft = { ...run.draft, qty: run.draft.qty + trade.qty, lastTradeId: trade.tradeId };
      drafts[drafts.length - 1] = run.draft;
      continue;
    }
    run = {
      takerOrderId: trade.takerOrderId,
      draft: { price: trade.price, qty: trade.qty, firstTradeId: trade.tradeId, lastTradeId: trade.tradeId, time: trade.time, isBuyerMaker: trade.isBuyerMaker },
    };
    drafts.push(run.draft);
  }
  return drafts;
}
