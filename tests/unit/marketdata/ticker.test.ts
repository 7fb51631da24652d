import { describe, expect, it } from "vitest";
import { klineOf, mergeKlines, type PublicTrade } from "../../../services/marketdata/src/domain/market.js";
import { divRound, percentChange, weightedAverage } from "../../../services/marketdata/src/domain/ticker.js";

describe("ticker arithmetic", () => {
  it("rounds half away from zero", () => {
    expect(divRound(5n, 2n)).toBe(3n);
    expect(divRound(-5n, 2n)).toBe(-3n);
    expect(divRound(4n, 3n)).toBe(1n);
    expect(divRound(-4n, 3n)).toBe(-1n);
    expect(divRound(0n, 7n)).toBe(0n);
  });

  it("formats the percent change with 3 decimals", () => {
    expect(percentChange(100n, 110n)).toBe("10.000");
    expect(percentChange(300n, 200n)).toBe("-33.333");
    expect(percentChange(3n, 5n)).toBe("66.667");
    expect(percentChange(3n, 1n)).toBe("-66.667");
    // exactly half a unit in the last place: away from zero
    expect(percentChange(200_000n, 200_001n)).toBe("0.001"); // 0.0005 %
    expect(percentChange(200_000n, 199_999n)).toBe("-0.001");
    expect(percentChange(0n, 5n)).toBe("0.000");
  });

  it("weights the average price by volume at the quote scale", () => {
    // 0.1 BTC at 30000 and 0.3 BTC at 30001 (scale 8): (3000 + 9000.3) / 0.4 = 30000.75
    const quote = 3000n * 10n ** 8n + 90003n * 10n ** 7n;
    expect(weightedAverage(quote, 4n * 10n ** 7n, 8)).toBe(3_000_075n * 10n ** 6n);
    // 1 / 3 of a unit rounds to the nearest unit
    expect(weightedAverage(1n, 3n, 0)).toBe(0n);
    expect(weightedAverage(2n, 3n, 0)).toBe(1n);
    expect(weightedAverage(5n, 0n, 8)).toBe(0n);
  });

  it("merges bucket aggregates in any order to the same kline", () => {
    const trade = (tradeId: number, price: bigint, qty: bigint, isBuyerMaker: boolean): PublicTrade => ({ tradeId, price, qty, quoteQty: price * qty, time: 0, isBuyerMaker });
    const parts = [trade(3, 7n, 1n, false), trade(1, 5n, 2n, true), trade(2, 9n, 3n, false), trade(4, 4n, 1n, true)].map((t) => klineOf("1m", 0, t));
    const forward = parts.reduce(mergeKlines);
    const backward = [...parts].reverse().reduce(mergeKlines);
    expect(backward).toEqual(forward);
    expect(forward).toMatchObject({ open: 5n, close: 4n, high: 9n, low: 4n, volume: 7n, quoteVolume: 5n * 2n + 9n * 3n + 7n + 4n, count: 4, takerBuyVolume: 4n, takerBuyQuoteVolume: 27n + 7n, firstTradeId: 1, lastTradeId: 4 });
  });
});
