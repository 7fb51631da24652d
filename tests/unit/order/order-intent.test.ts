import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { formatUnits } from "#kit/money/decimal.js";
import { orderIntent, type PlaceRequest } from "../../../services/order/src/domain/order-intent.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import { SymbolUnits } from "../../../services/order/src/domain/symbol-units.js";
import type { MarketReference } from "../../../services/order/src/domain/trade-prices.js";

const btc = DEFAULT_SYMBOLS.find((s) => s.symbol === "BTCUSDT")!;
const eth = DEFAULT_SYMBOLS.find((s) => s.symbol === "ETHUSDT")!;
const units = new SymbolUnits(btc);

const request = (overrides: Partial<PlaceRequest>): PlaceRequest => ({
  side: Side.BUY,
  type: OrderType.LIMIT,
  timeInForce: TimeInForce.GTC,
  quantity: "",
  quoteOrderQty: "",
  price: "",
  stopPrice: "",
  trailingDelta: 0,
  icebergQty: "",
  stp: SelfTradePreventionMode.UNSPECIFIED,
  ...overrides,
});

const key = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? error.key : String(error);
  }
  return "ok";
};

describe("symbol units", () => {
  it("makes one tick x one lot a whole number of quote units", () => {
    expect(units.tickUnits).toBe(1_000_000n); // 0.01 USDT at scale 8
    expect(units.lotUnits).toBe(1_000n); // 0.00001 BTC at scale 8
    expect(units.notionalUnits).toBe(10n); // 1e-7 USDT
    expect(new SymbolUnits(eth).notionalUnits).toBe(100n); // 0.01 x 0.0001 ETH(18) -> 1e-6 USDT
  });
});

describe("order intent", () => {
  it("answers an enum out of range with Binance's code for it (-1117, -1116, -1115)", () => {
    const valid = { quantity: "0.1", price: "30000" };
    expect(key(() => orderIntent(request({ ...valid, side: Side.UNSPECIFIED }), btc, units, undefined))).toBe("INVALID_SIDE");
    expect(key(() => orderIntent(request({ ...valid, side: 7 as Side }), btc, units, undefined))).toBe("INVALID_SIDE");
    expect(key(() => orderIntent(request({ ...valid, type: OrderType.UNSPECIFIED }), btc, units, undefined))).toBe("INVALID_ORDER_TYPE");
    expect(key(() => orderIntent(request({ ...valid, type: 99 as OrderType }), btc, units, undefined))).toBe("INVALID_ORDER_TYPE");
    expect(key(() => orderIntent(request({ ...valid, timeInForce: 9 as TimeInForce }), btc, units, undefined))).toBe("INVALID_TIF");
    expect(key(() => orderIntent(request(valid), btc, units, undefined))).toBe("ok");
  });

  it("holds price x quantity of quote for a limit buy, exactly", () => {
    const intent = orderIntent(request({ quantity: "0.2", price: "30010" }), btc, units, undefined);
    expect(intent.priceTicks).toBe(3_001_000n);
    expect(intent.quantityLots).toBe(20_000n);
    expect(intent.budget).toBe(3_001_000n * 20_000n);
    expect(formatUnits(intent.holdUnits, 8)).toBe("6002.00000000");
    expect(intent.holdAsset).toBe("USDT");
  });

  it("holds the quantity of base for any sell", () => {
    const intent = orderIntent(request({ side: Side.SELL, type: OrderType.MARKET, timeInForce: TimeInForce.UNSPECIFIED, quantity: "0.5" }), btc, units, undefined);
    expect(intent.budget).toBe(50_000n);
    expect(intent.holdAsset).toBe("BTC");
    expect(formatUnits(intent.holdUnits, 8)).toBe("0.50000000");
  });

  it("protects a market buy by quantity with the band over the best ask, rounded up", () => {
    const intent = orderIntent(request({ type: OrderType.MARKET, timeInForce: TimeInForce.UNSPECIFIED, quantity: "0.1" }), btc, units, 3_000_001n);
    // 3_000_001 x 1.05 = 3_150_001.05 -> 3_150_002 ticks
    expect(intent.budget).toBe(3_150_002n * 10_000n);
    expect(key(() => orderIntent(request({ type: OrderType.MARKET, timeInForce: TimeInForce.UNSPECIFIED, quantity: "0.1" }), btc, units, undefined))).toBe("NEW_ORDER_REJECTED");
  });

  it("holds a trailing market buy on its activation price (or the touch) plus its delta and the band", () => {
    const trailing = (stopPrice: string) => request({ type: OrderType.STOP_LOSS, timeInForce: TimeInForce.UNSPECIFIED, quantity: "0.1", stopPrice, trailingDelta: 200 });
    // 31000 x (1 + 5% band + 2% delta) = 33170 per BTC.
    expect(orderIntent(trailing("31000"), btc, units, 3_000_000n).budget).toBe(3_317_000n * 10_000n);
    // No activation price: from the best ask, 30000 x 1.07.
    expect(orderIntent(trailing(""), btc, units, 3_000_000n).budget).toBe(3_210_000n * 10_000n);
    // A plain stop buy: its stop price and the band.
    expect(orderIntent(request({ type: OrderType.STOP_LOSS, timeInForce: TimeInForce.UNSPECIFIED, quantity: "0.1", stopPrice: "31000" }), btc, units, 3_000_000n).budget).toBe(3_255_000n * 10_000n);
  });

  it("judges a market order's notional at the average price (avgPriceMins), whatever the book", () => {
    const market = (side: Side, quantity: string) => request({ side, type: OrderType.MARKET, timeInForce: TimeInForce.UNSPECIFIED, quantity });
    const at30000: MarketReference = { lastPriceTicks: 3_000_000n, averagePriceUnits: 30_000n * 10n ** 8n, lastTradeTime: 0 };
    // 0.00001 BTC x 30000 = 0.30 USDT < 5: dust, on either side, even with no ask (a sell) or a far ask (a buy).
    expect(key(() => orderIntent(market(Side.SELL, "0.00001"), btc, units, undefined, at30000))).toBe("FILTER_FAILURE");
    expect(key(() => orderIntent(market(Side.BUY, "0.00001"), btc, units, 100_000_000n, at30000))).toBe("FILTER_FAILURE");
    // 0.00017 x 30000 = 5.10: allowed; the buy's budget still follows the ask's band, not the average.
    expect(key(() => orderIntent(market(Side.SELL, "0.00017"), btc, units, undefined, at30000))).toBe("ok");
    expect(orderIntent(market(Side.BUY, "0.00017"), btc, units, 3_000_001n, at30000).budget).toBe(3_150_002n * 17n);
    // The average, not the last price: last 30000 but average 29411.76470588; 0.00017 x it = 4.99999999 < 5.
    const averaged = { ...at30000, averagePriceUnits: 2_941_176_470_588n };
    expect(key(() => orderIntent(market(Side.SELL, "0.00017"), btc, units, undefined, averaged))).toBe("FILTER_FAILURE");
    expect(key(() => orderIntent(market(Side.SELL, "0.00017"), btc, units, undefined, { ...averaged, averagePriceUnits: 2_941_176_470_589n }))).toBe("ok");
    // Without any trade yet a buy is judged at its protected price; a sell cannot be judged and passes.
    expect(key(() => orderIntent(market(Side.BUY, "0.00001"), btc, units, 3_000_000n, undefined))).toBe("FILTER_FAILURE");
    expect(key(() => orderIntent(market(Side.SELL, "0.00001"), btc, units, undefined, undefined))).toBe("ok");
  });


  it("holds a market buy by quote amount down to whole notional units", () => {
    const intent = orderIntent(request({ type: OrderType.MARKET, timeInForce: TimeInForce.UNSPECIFIED, quoteOrderQty: "100.00000005" }), btc, units, undefined);
    expect(intent.quoteNotional).toBe(1_000_000_000n);
    expect(formatUnits(intent.holdUnits, 8)).toBe("100.00000000");
  });

  it("refuses what breaks the filters or the order type's rules", () => {
    expect(key(() => orderIntent(request({ quantity: "0.1", price: "100.005" }), btc, units, undefined))).toBe("FILTER_FAILURE");
    expect(key(() => orderIntent(request({ quantity: "0.1", price: "0.001" }), btc, units, undefined))).toBe("FILTER_FAILURE");
    expect(key(() => orderIntent(request({ quantity: "0.1", price: "1.123456789" }), btc, units, undefined))).toBe("BAD_PRECISION");
    expect(key(() => orderIntent(request({ quantity: "0.0001", price: "100" }), btc, units, undefined))).toBe("FILTER_FAILURE"); // notional 0.01 < 5
    expect(key(() => orderIntent(request({ quantity: "10000", price: "100" }), btc, units, undefined))).toBe("FILTER_FAILURE"); // above max qty
    expect(key(() => orderIntent(request({ quantity: "0.1" }), btc, units, undefined))).toBe("MANDATORY_PARAM_EMPTY_OR_MALFORMED");
    expect(key(() => orderIntent(request({ type: OrderType.MARKET, quantity: "0.1", quoteOrderQty: "10" }), btc, units, 1n))).toBe("MANDATORY_PARAM_EMPTY_OR_MALFORMED");
    expect(key(() => orderIntent(request({ type: OrderType.STOP_LOSS, timeInForce: TimeInForce.UNSPECIFIED, quantity: "0.1" }), btc, units, 1n))).toBe("MANDATORY_PARAM_EMPTY_OR_MALFORMED");
    expect(key(() => orderIntent(request({ quantity: "1", price: "100", icebergQty: "1" }), btc, units, undefined))).toBe("INVALID_PARAMETER");
    expect(key(() => orderIntent(request({ timeInForce: TimeInForce.IOC, quantity: "1", price: "100", icebergQty: "0.1" }), btc, units, undefined))).toBe("INVALID_PARAMETER");
  });

  it("never holds less quote than the order can spend at its limit price (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 500, max: 100_000_000 }), fc.integer({ min: 1, max: 900_000_000 }), (ticks, lots) => {
        const price = formatUnits(BigInt(ticks) * units.tickUnits, 8);
        const quantity = formatUnits(BigInt(lots) * units.lotUnits, 8);
        let intent;
        try {
          intent = orderIntent(request({ quantity, price }), btc, units, undefined);
        } catch (error) {
          expect((error as DomainError).key).toBe("FILTER_FAILURE");
          return;
        }
        expect(intent.holdUnits).toBe(units.quoteOf(BigInt(ticks), BigInt(lots)));
        expect(intent.budget <= BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
      }),
    );
  });
});
