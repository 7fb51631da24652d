import { describe, expect, it } from "vitest";
import { OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { admitGroup, OpenOrderLimits } from "../../../services/order/src/domain/open-order-limits.js";
import { orderIntent, type PlaceRequest } from "../../../services/order/src/domain/order-intent.js";
import { countsOf, DEFAULT_SYMBOL_FILTERS, symbolFilters, type OpenOrderCounts } from "../../../services/order/src/domain/symbol-filters.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import { SymbolUnits } from "../../../services/order/src/domain/symbol-units.js";
import type { MarketReference } from "../../../services/order/src/domain/trade-prices.js";

const embedded = DEFAULT_SYMBOLS.find((s) => s.symbol === "BTCUSDT")!;
/** BTCUSDT as seeded: Binance's default filters. */
const btc = embedded;
const units = new SymbolUnits(btc);
/** Trades at 30000.00 only: the last price and the average alike. */
const LAST: MarketReference = { lastPriceTicks: 3_000_000n, averagePriceUnits: 30_000n * 10n ** 8n, lastTradeTime: 0 };

const request = (overrides: Partial<PlaceRequest>): PlaceRequest => ({
  side: Side.BUY,
  type: OrderType.LIMIT,
  timeInForce: TimeInForce.GTC,
  quantity: "0.01",
  quoteOrderQty: "",
  price: "30000",
  stopPrice: "",
  trailingDelta: 0,
  icebergQty: "",
  stp: SelfTradePreventionMode.UNSPECIFIED,
  ...overrides,
});

/** The -1013 message a placement fails with, or "ok". */
const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return `${error.key}: ${error.message}`;
    throw error;
  }
  return "ok";
};

describe("PERCENT_PRICE_BY_SIDE", () => {
  it("holds a priced order within the average price times its side's multipliers (5 and 0.2), bounds included", () => {
    const at = (side: Side, price: string) => failure(() => orderIntent(request({ side, price }), btc, units, undefined, LAST));
    expect(at(Side.BUY, "150000")).toBe("ok");
    expect(at(Side.BUY, "150000.01")).toBe("FILTER_FAILURE: Filter failure: PERCENT_PRICE_BY_SIDE");
    expect(at(Side.BUY, "6000")).toBe("ok");
    expect(at(Side.BUY, "5999.99")).toBe("FILTER_FAILURE: Filter failure: PERCENT_PRICE_BY_SIDE");
    expect(at(Side.SELL, "6000")).toBe("ok");
    expect(at(Side.SELL, "5999.99")).toBe("FILTER_FAILURE: Filter failure: PERCENT_PRICE_BY_SIDE");
    // A stop-limit's price too; a market order has none; with no trade yet there is nothing to judge against.
    expect(failure(() => orderIntent(request({ type: OrderType.STOP_LOSS_LIMIT, price: "200000", stopPrice: "31000" }), btc, units, undefined, LAST))).toBe(
      "FILTER_FAILURE: Filter failure: PERCENT_PRICE_BY_SIDE",
    );
    expect(failure(() => orderIntent(request({ price: "200000" }), btc, units, undefined, undefined))).toBe("ok");
  });

  it("judges at the average price (avgPriceMins), not the last price, exactly in quote units", () => {
    // Last trade 30000, but the window's average 20000.123456 (not a whole tick): 5 x = 100000.61728, 0.2 x = 4000.0246912.
    const reference = { ...LAST, averagePriceUnits: 2_000_012_345_600n };
    const at = (side: Side, price: string) => failure(() => orderIntent(request({ side, price, quantity: "1" }), btc, units, undefined, reference));
    expect(at(Side.BUY, "100000.61")).toBe("ok");
    expect(at(Side.BUY, "100000.62")).toMatch(/PERCENT_PRICE_BY_SIDE/);
    expect(at(Side.SELL, "4000.03")).toBe("ok");
    expect(at(Side.SELL, "4000.02")).toMatch(/PERCENT_PRICE_BY_SIDE/);
    // 5999.99 is far inside the band around 20000.12, though below 0.2 x the last price.
    expect(at(Side.SELL, "5999.99")).toBe("ok");
  });

  it("uses the symbol's own multipliers, by side", () => {
    const spec = { ...btc, percentPriceBySide: { bidMultiplierUp: "1.1", bidMultiplierDown: "0.9", askMultiplierUp: "1.5", askMultiplierDown: "0.95" } };
    const at = (side: Side, price: string) => failure(() => orderIntent(request({ side, price }), spec, units, undefined, LAST));
    expect(at(Side.BUY, "33000")).toBe("ok");
    expect(at(Side.BUY, "33000.01")).toMatch(/PERCENT_PRICE_BY_SIDE/);
    expect(at(Side.SELL, "45000")).toBe("ok");
    expect(at(Side.SELL, "28499.99")).toMatch(/PERCENT_PRICE_BY_SIDE/);
  });
});

describe("ICEBERG_PARTS", () => {
  it("allows an iceberg of at most 10 parts, ceil(quantity / icebergQty), or the symbol's own limit", () => {
    const iceberg = (quantity: string, icebergQty: string, spec = btc) => failure(() => orderIntent(request({ quantity, icebergQty }), spec, units, undefined, LAST));
    expect(iceberg("1", "0.1")).toBe("ok");
    expect(iceberg("1", "0.09999")).toBe("FILTER_FAILURE: Filter failure: ICEBERG_PARTS");
    expect(iceberg("1.00001", "0.1")).toBe("FILTER_FAILURE: Filter failure: ICEBERG_PARTS");
    expect(iceberg("1", "0.25", { ...btc, icebergParts: 4 })).toBe("ok");
    expect(iceberg("1", "0.2", { ...btc, icebergParts: 4 })).toBe("FILTER_FAILURE: Filter failure: ICEBERG_PARTS");
  });
});

describe("filter failure messages", () => {
  it("are Binance's bare 'Filter failure: <FILTER>', the detail in the field violation (gRPC BadRequest)", () => {
    const violation = (overrides: Partial<PlaceRequest>) => {
      try {
        orderIntent(request(overrides), btc, units, undefined, LAST);
      } catch (error) {
        if (error instanceof DomainError) return [error.message, error.violations];
        throw error;
      }
      return "ok";
    };
    expect(violation({ price: "30000.001" })).toEqual(["Filter failure: PRICE_FILTER", [{ field: "price", description: "must be a multiple of 0.01" }]]);
    expect(violation({ price: "2000000" })).toEqual(["Filter failure: PRICE_FILTER", [{ field: "price", description: "outside [0.01, 1000000]" }]]);
    expect(violation({ quantity: "0.000001" })).toEqual(["Filter failure: LOT_SIZE", [{ field: "quantity", description: "must be a multiple of 0.00001" }]]);
    expect(violation({ quantity: "0.0001" })).toEqual(["Filter failure: NOTIONAL", [{ field: "quantity", description: "notional below 5 USDT" }]]);
    expect(violation({ quantity: "1", icebergQty: "0.01" })).toEqual(["Filter failure: ICEBERG_PARTS", [{ field: "icebergQty", description: "100 parts, at most 10" }]]);
  });
});

describe("TRAILING_DELTA", () => {
  it("takes trailingDelta within [10, 2000] basis points", () => {
    const trailing = (trailingDelta: number) =>
      failure(() => orderIntent(request({ side: Side.SELL, type: OrderType.STOP_LOSS, timeInForce: TimeInForce.UNSPECIFIED, price: "", trailingDelta }), btc, units, undefined, LAST));
    expect(trailing(10)).toBe("ok");
    expect(trailing(2000)).toBe("ok");
    expect(trailing(9)).toBe("FILTER_FAILURE: Filter failure: TRAILING_DELTA");
    expect(trailing(2001)).toBe("FILTER_FAILURE: Filter failure: TRAILING_DELTA");
  });
});

describe("MAX_NUM_ORDERS, MAX_NUM_ALGO_ORDERS, MAX_NUM_ICEBERG_ORDERS", () => {
  const filters = { ...DEFAULT_SYMBOL_FILTERS, maxNumOrders: 3, maxNumAlgoOrders: 1, maxNumIcebergOrders: 1 };
  const plain = countsOf({ type: OrderType.LIMIT, icebergLots: 0n });
  const algo = countsOf({ type: OrderType.TAKE_PROFIT, icebergLots: 0n });
  const iceberg = countsOf({ type: OrderType.LIMIT, icebergLots: 5n });

  it("counts stored open orders and this process's placements in flight, and forgets a placement once answered", () => {
    let stored: OpenOrderCounts = { orders: 1, algo: 0, iceberg: 0 };
    const limits = new OpenOrderLimits(async () => stored);
    const first = limits.admit("a", "BTCUSDT", filters, stored, plain);
    const second = limits.admit("a", "BTCUSDT", filters, stored, plain);
    // 1 stored + 2 in flight: a fourth would be over.
    expect(failure(() => limits.admit("a", "BTCUSDT", filters, stored, plain))).toBe("FILTER_FAILURE: Filter failure: MAX_NUM_ORDERS");
    // Another account, another symbol: counted apart.
    expect(failure(() => limits.admit("b", "BTCUSDT", filters, stored, plain))).toBe("ok");
    expect(failure(() => limits.admit("a", "ETHUSDT", filters, stored, plain))).toBe("ok");
    first();
    first(); // twice changes nothing
    stored = { orders: 2, algo: 0, iceberg: 0 }; // the first is stored now
    expect(failure(() => limits.admit("a", "BTCUSDT", filters, stored, plain))).toBe("FILTER_FAILURE: Filter failure: MAX_NUM_ORDERS");
    second();
    expect(failure(() => limits.admit("a", "BTCUSDT", filters, stored, plain))).toBe("ok");
  });

  it("admits a group in order against the stored counts: up to the limit, a repeated client order id once, per account", () => {
    const stored = new Map([["a", { orders: 1, algo: 0, iceberg: 0 }]]);
    const group = [
      { accountId: "a", clientOrderId: "x", adding: plain },
      { accountId: "a", clientOrderId: "x", adding: plain }, // the same order resent: counted once
      { accountId: "a", clientOrderId: "", adding: algo },
      { accountId: "a", clientOrderId: "y", adding: plain }, // 1 stored + x + the algo: a fourth is over
      { accountId: "b", clientOrderId: "y", adding: plain }, // another account
      { accountId: "a", clientOrderId: "", adding: algo },
    ];
    const refusals = admitGroup(filters, stored, group).map((refusal) => (refusal ? refusal.message : "ok"));
    expect(refusals).toEqual(["ok", "ok", "ok", "Filter failure: MAX_NUM_ORDERS", "ok", "Filter failure: MAX_NUM_ORDERS"]);
    expect(admitGroup({ ...filters, maxNumOrders: 0 }, stored, group.slice(3, 4))).toEqual([undefined]);
    expect(stored.get("a")).toEqual({ orders: 1, algo: 0, iceberg: 0 }); // the caller's counts are left alone
  });

  it("refuses a second stop or iceberg with its own filter, not a plain order", () => {
    const limits = new OpenOrderLimits(async () => ({ orders: 0, algo: 0, iceberg: 0 }));
    const open = { orders: 1, algo: 1, iceberg: 1 };
    expect(failure(() => limits.admit("a", "BTCUSDT", filters, open, algo))).toBe("FILTER_FAILURE: Filter failure: MAX_NUM_ALGO_ORDERS");
    expect(failure(() => limits.admit("a", "BTCUSDT", filters, open, iceberg))).toBe("FILTER_FAILURE: Filter failure: MAX_NUM_ICEBERG_ORDERS");
    expect(failure(() => limits.admit("a", "BTCUSDT", filters, open, plain))).toBe("ok");
  });

  it("reads nothing for a symbol without such limits; a stored spec without the fields gets Binance's defaults", async () => {
    let reads = 0;
    const limits = new OpenOrderLimits(async () => {
      reads += 1;
      return { orders: 0, algo: 0, iceberg: 0 };
    });
    await limits.read("a", "BTCUSDT", { ...DEFAULT_SYMBOL_FILTERS, maxNumOrders: 0, maxNumAlgoOrders: 0, maxNumIcebergOrders: 0 });
    expect(reads).toBe(0);
    await limits.read("a", "BTCUSDT", symbolFilters(btc));
    expect(reads).toBe(1);
    expect(symbolFilters(btc)).toMatchObject({ maxNumOrders: 200, maxNumAlgoOrders: 5, maxNumIcebergOrders: 100, minTrailingDelta: 10, maxTrailingDelta: 2000, icebergParts: 10 });
    expect(symbolFilters(btc).percentPriceBySide).toEqual({ bidMultiplierUp: "5", bidMultiplierDown: "0.2", askMultiplierUp: "5", askMultiplierDown: "0.2" });
    // The seeded symbols take Binance's band (5 and 0.2 of the last price), not a wide one.
    for (const seeded of DEFAULT_SYMBOLS) expect(seeded.percentPriceBySide).toBeUndefined();
    expect(failure(() => orderIntent(request({ price: "6000", quantity: "1" }), embedded, units, undefined, LAST))).toBe("ok");
    expect(failure(() => orderIntent(request({ price: "5999.99", quantity: "1" }), embedded, units, undefined, LAST))).toMatch(/PERCENT_PRICE_BY_SIDE/);
  });
});
