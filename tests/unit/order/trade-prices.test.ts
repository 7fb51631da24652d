import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { averageWindowStart, MINUTE_MS, weightedAveragePrice } from "#kit/money/average-price.js";
import { parseUnits } from "#kit/money/decimal.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import { SymbolUnits } from "../../../services/order/src/domain/symbol-units.js";
import { TradePrices, type TradePrint } from "../../../services/order/src/domain/trade-prices.js";

// The average price the filters judge at: Binance's volume-weighted price over whole minutes,
// the last price when the window is empty, none before the first trade.

const units = new SymbolUnits(DEFAULT_SYMBOLS.find((s) => s.symbol === "BTCUSDT")!);
const T0 = 1_700_000_040_000; // 22:14:00 UTC, a whole minute
const print = (tradeId: number, time: number, price: number, lots: number): TradePrint => ({ tradeId, time, priceTicks: BigInt(price * 100), quantityLots: BigInt(lots) });
/** A price in quote units per BTC (scale 8). */
const units8 = (price: string) => parseUnits(price, 8);

function loaded(trades: TradePrint[] = [], mins = 5): TradePrices {
  const prices = new TradePrices();
  prices.beginLoad("BTCUSDT");
  prices.load("BTCUSDT", mins, trades);
  return prices;
}

describe("TradePrices", () => {
  it("averages the trades of every minute that overlaps the last avgPriceMins minutes, weighted by quantity", () => {
    const prices = loaded();
    // 30000 x 1 lot at 22:14:10, 31000 x 3 lots at 22:18:59; now 22:19:30: minutes 22:14..22:19 count.
    prices.record("BTCUSDT", [print(1, T0 + 10_000, 30_000, 1), print(2, T0 + 4 * MINUTE_MS + 59_000, 31_000, 3)]);
    const now = T0 + 5 * MINUTE_MS + 30_000;
    expect(averageWindowStart(now, 5)).toBe(T0);
    expect(prices.at("BTCUSDT", now, 5, units)).toEqual({ lastPriceTicks: 3_100_000n, averagePriceUnits: units8("30750"), lastTradeTime: T0 + 4 * MINUTE_MS + 59_000 });
    // A minute later 22:14 has left the window: only the 31000 trade counts.
    expect(prices.at("BTCUSDT", now + MINUTE_MS, 5, units)?.averagePriceUnits).toBe(units8("31000"));
    // avgPriceMins 0: the last price.
    expect(prices.at("BTCUSDT", now, 0, units)?.averagePriceUnits).toBe(units8("31000"));
  });

  it("falls back to the last trade's price when the window has no trade, and has nothing before the first trade", () => {
    const prices = loaded();
    expect(prices.at("BTCUSDT", T0, 5, units)).toBeUndefined();
    prices.record("BTCUSDT", [print(1, T0, 30_000, 2), print(2, T0 + 1, 29_000, 1)]);
    expect(prices.at("BTCUSDT", T0 + 20 * MINUTE_MS, 5, units)).toEqual({ lastPriceTicks: 2_900_000n, averagePriceUnits: units8("29000"), lastTradeTime: T0 + 1 });
  });

  it("rounds half up to the quote asset's unit, as /api/v3/avgPrice shows it", () => {
    const prices = loaded();
    // (30000.01 x 1 + 30000.02 x 2) / 3 = 30000.01666666666...
    prices.record("BTCUSDT", [print(1, T0, 30_000.01, 1), print(2, T0, 30_000.02, 2)]);
    expect(prices.at("BTCUSDT", T0, 5, units)?.averagePriceUnits).toBe(3_000_001_666_667n);
  });

  it("records each trade once (a group applied again, or a load overlapping the consumer)", () => {
    const prices = loaded();
    const trades = [print(1, T0, 30_000, 1), print(2, T0, 32_000, 1)];
    prices.record("BTCUSDT", trades);
    prices.record("BTCUSDT", trades);
    expect(prices.at("BTCUSDT", T0, 5, units)?.averagePriceUnits).toBe(units8("31000"));

    // A load whose read saw trades 1..2 while the consumer recorded 2 and 3: 1, 2, 3 once each.
    const fresh = new TradePrices();
    fresh.beginLoad("BTCUSDT");
    fresh.record("BTCUSDT", [print(2, T0, 32_000, 1), print(3, T0, 34_000, 2)]);
    expect(fresh.needsLoad("BTCUSDT", 5)).toBe(true);
    fresh.load("BTCUSDT", 5, trades);
    expect(fresh.needsLoad("BTCUSDT", 5)).toBe(false);
    expect(fresh.at("BTCUSDT", T0, 5, units)).toEqual({ lastPriceTicks: 3_400_000n, averagePriceUnits: units8("32500"), lastTradeTime: T0 });
  });

  it("asks for a load again when avgPriceMins grows past what it keeps, and keeps no more minutes than that", () => {
    const prices = loaded([], 1);
    expect(prices.needsLoad("BTCUSDT", 1)).toBe(false);
    expect(prices.needsLoad("BTCUSDT", 5)).toBe(true);
    prices.record("BTCUSDT", [print(1, T0, 10_000, 1), print(2, T0 + 3 * MINUTE_MS, 20_000, 1)]);
    // 22:14 was dropped (more than 1 minute before the newest trade's minute): 20000 alone.
    expect(prices.at("BTCUSDT", T0 + 3 * MINUTE_MS, 1, units)?.averagePriceUnits).toBe(units8("20000"));
  });

  it("equals the volume-weighted price of the trades since the window's start, for any trades and any now (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ offset: fc.integer({ min: 0, max: 20 * MINUTE_MS }), price: fc.integer({ min: 1, max: 10_000_000 }), lots: fc.integer({ min: 1, max: 1_000_000 }) }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 25 * MINUTE_MS }),
        fc.integer({ min: 0, max: 15 }),
        (raw, nowOffset, mins) => {
          const trades = [...raw].sort((a, b) => a.offset - b.offset).map((t, i) => ({ tradeId: i + 1, time: T0 + t.offset, priceTicks: BigInt(t.price), quantityLots: BigInt(t.lots) }));
          const now = T0 + Math.max(nowOffset, trades[trades.length - 1]!.time - T0);
          const prices = loaded([], 15);
          prices.record("BTCUSDT", trades);
          const from = averageWindowStart(now, mins);
          const inWindow = mins === 0 ? [] : trades.filter((t) => t.time >= from);
          const last = trades[trades.length - 1]!;
          const expected =
            inWindow.length === 0
              ? last.priceTicks * units.tickUnits
              : weightedAveragePrice(inWindow.reduce((sum, t) => sum + units.quoteOf(t.priceTicks, t.quantityLots), 0n), inWindow.reduce((sum, t) => sum + units.baseOf(t.quantityLots), 0n), 8);
          expect(prices.at("BTCUSDT", now, mins, units)?.averagePriceUnits).toBe(expected);
        },
      ),
      { seed: 14, numRuns: 300 },
    );
  });
});
