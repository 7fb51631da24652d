import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { AggTradeSchema, DepthUpdateSchema, GetAvgPriceResponseSchema, GetBookTickerResponseSchema, GetDepthResponseSchema, KlineSchema, PublicTradeSchema, Ticker24hSchema } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { parseWindowSize, windowSizeMs } from "../../../edge/src/rest/window-size.js";
import { avgPriceEvent, tickerEvent, windowTickerEvent } from "../../../edge/src/ws/streams.js";
import { aggTradeEvent, bookTickerChanged, bookTickerEvent, depthUpdateEvent, klineEvent, mergeDepthUpdates, miniTickerEvent, parseControl, partialDepthEvent, parseStreamName, splitStreams, tradeEvent } from "../../../edge/src/ws/streams.js";

describe("stream names", () => {
  it("parses Binance's lowercase names, upper-casing the symbol for the services", () => {
    expect(parseStreamName("btcusdt@trade")).toEqual({ kind: "trade", symbol: "BTCUSDT", name: "btcusdt@trade" });
    expect(parseStreamName("btcusdt@kline_1m")).toEqual({ kind: "kline", symbol: "BTCUSDT", interval: "1m", name: "btcusdt@kline_1m" });
    expect(parseStreamName("btcusdt@kline_1M")).toMatchObject({ kind: "kline", interval: "1M" });
    expect(parseStreamName("ethusdt@bookTicker")).toEqual({ kind: "bookTicker", symbol: "ETHUSDT", name: "ethusdt@bookTicker" });
    expect(parseStreamName("ethusdt@miniTicker")).toMatchObject({ kind: "miniTicker", symbol: "ETHUSDT" });
    expect(parseStreamName("btcusdt@aggTrade")).toEqual({ kind: "aggTrade", symbol: "BTCUSDT", name: "btcusdt@aggTrade" });
    expect(parseStreamName("btcusdt@depth")).toEqual({ kind: "depth", symbol: "BTCUSDT", speedMs: 1000, name: "btcusdt@depth" });
    expect(parseStreamName("btcusdt@depth@100ms")).toEqual({ kind: "depth", symbol: "BTCUSDT", speedMs: 100, name: "btcusdt@depth@100ms" });
    expect(parseStreamName("btcusdt@depth5")).toEqual({ kind: "partialDepth", symbol: "BTCUSDT", levels: 5, speedMs: 1000, name: "btcusdt@depth5" });
    expect(parseStreamName("btcusdt@depth20@100ms")).toEqual({ kind: "partialDepth", symbol: "BTCUSDT", levels: 20, speedMs: 100, name: "btcusdt@depth20@100ms" });
  });

  it("refuses anything else", () => {
    for (const name of ["BTCUSDT@trade", "btcusdt@Trade", "btcusdt@kline_2m", "btcusdt@kline_1y", "btcusdt@kline_", "btcusdt@depth15", "btcusdt@depth@1000ms", "btcusdt@depth5@250ms", "btcusdt@depth@", "BTCUSDT@depth", "btcusdt", "@trade", "b@trade", "btcusdt@booktTicker", "btc usdt@trade", "btcusdt@aggtrade", "btcusdt@aggTrades", ""]) {
      expect(parseStreamName(name), name).toBeUndefined();
    }
  });

  it("splits the streams of a URL", () => {
    expect(splitStreams("btcusdt@trade/ethusdt@kline_1m")).toEqual(["btcusdt@trade", "ethusdt@kline_1m"]);
    expect(splitStreams("")).toEqual([]);
  });
});

describe("payloads", () => {
  it("trade: Binance's letters, decimal strings as sent, numbers for ids and times", () => {
    const trade = create(PublicTradeSchema, { symbol: "BTCUSDT", id: 12n, price: "30000.10000000", qty: "0.00100000", quoteQty: "30.00010000", time: 1_700_000_000_123n, isBuyerMaker: true });
    expect(tradeEvent(trade, 1_700_000_000_200)).toEqual({ e: "trade", E: 1_700_000_000_200, s: "BTCUSDT", t: 12, p: "30000.10000000", q: "0.00100000", T: 1_700_000_000_123, m: true, M: true });
    expect(JSON.stringify(tradeEvent(trade, 1))).toBe('{"e":"trade","E":1,"s":"BTCUSDT","t":12,"p":"30000.10000000","q":"0.00100000","T":1700000000123,"m":true,"M":true}');
  });

  it("aggTrade: Binance's letters, the aggregate's id and trade ids as numbers", () => {
    const agg = create(AggTradeSchema, { symbol: "BTCUSDT", id: 7n, price: "30000.10000000", qty: "0.30000000", firstTradeId: 11n, lastTradeId: 13n, time: 1_700_000_000_123n, isBuyerMaker: false });
    expect(JSON.stringify(aggTradeEvent(agg, 1_700_000_000_200))).toBe(
      '{"e":"aggTrade","E":1700000000200,"s":"BTCUSDT","a":7,"p":"30000.10000000","q":"0.30000000","f":11,"l":13,"T":1700000000123,"m":false,"M":true}',
    );
  });

  it("kline: the candle with its trade ids and closed flag", () => {
    const kline = create(KlineSchema, {
      openTime: 60_000n,
      closeTime: 119_999n,
      open: "1.00",
      high: "3.00",
      low: "0.50",
      close: "2.00",
      volume: "10.0",
      quoteVolume: "20.0",
      tradeCount: 4n,
      takerBuyBaseVolume: "6.0",
      takerBuyQuoteVolume: "12.0",
      firstTradeId: 7n,
      lastTradeId: 10n,
    });
    expect(klineEvent("BTCUSDT", "1m", kline, false, 99)).toEqual({
      e: "kline",
      E: 99,
      s: "BTCUSDT",
      k: { t: 60_000, T: 119_999, s: "BTCUSDT", i: "1m", f: 7, L: 10, o: "1.00", c: "2.00", h: "3.00", l: "0.50", v: "10.0", n: 4, x: false, q: "20.0", V: "6.0", Q: "12.0", B: "0" },
    });
    expect(klineEvent("BTCUSDT", "1m", create(KlineSchema, {}), true, 1).k).toMatchObject({ f: -1, L: -1, x: true });
  });

  it("bookTicker: the top level with zeros for an empty side; only price or quantity changes count", () => {
    const zeros = { price: "0.00000000", qty: "0.00000000" };
    const depth = create(GetDepthResponseSchema, { lastUpdateId: 41n, bids: [{ price: "29000.00000000", quantity: "0.01000000" }], asks: [] });
    const event = bookTickerEvent("BTCUSDT", depth, zeros);
    expect(event).toEqual({ u: 41, s: "BTCUSDT", b: "29000.00000000", B: "0.01000000", a: "0.00000000", A: "0.00000000" });
    expect(bookTickerChanged(undefined, event)).toBe(true);
    expect(bookTickerChanged(event, { ...event, u: 42 })).toBe(false);
    expect(bookTickerChanged(event, { ...event, B: "0.02000000" })).toBe(true);
  });

  it("miniTicker", () => {
    const ticker = create(Ticker24hSchema, { symbol: "BTCUSDT", lastPrice: "2", openPrice: "1", highPrice: "3", lowPrice: "0.5", volume: "10", quoteVolume: "20" });
    expect(miniTickerEvent(ticker, 5)).toEqual({ e: "24hrMiniTicker", E: 5, s: "BTCUSDT", c: "2", o: "1", h: "3", l: "0.5", v: "10", q: "20" });
  });

  const full = create(Ticker24hSchema, {
    symbol: "BTCUSDT", priceChange: "1.00", priceChangePercent: "100.000", weightedAvgPrice: "1.50", lastPrice: "2.00", lastQty: "0.5", openPrice: "1.00",
    highPrice: "3.00", lowPrice: "0.50", volume: "10", quoteVolume: "20", openTime: 100n, closeTime: 3_700n, count: 4n, prevClosePrice: "", firstId: 7n, lastId: 10n,
  });
  const zeros = { price: "0.00", qty: "0.0" };

  it("ticker: the 24 h window with the best prices; zeros where the book or the past is empty", () => {
    const book = create(GetBookTickerResponseSchema, { symbol: "BTCUSDT", bidPrice: "1.90", bidQty: "0.3", askPrice: "", askQty: "" });
    expect(tickerEvent(full, book, zeros, 9)).toEqual({
      e: "24hrTicker", E: 9, s: "BTCUSDT", p: "1.00", P: "100.000", w: "1.50", x: "0.00", c: "2.00", Q: "0.5", b: "1.90", B: "0.3", a: "0.00", A: "0.0",
      o: "1.00", h: "3.00", l: "0.50", v: "10", q: "20", O: 100, C: 3_700, F: 7, L: 10, n: 4,
    });
    expect(tickerEvent(create(Ticker24hSchema, { ...full, firstId: 0n, lastId: 0n, count: 0n }), book, zeros, 9)).toMatchObject({ F: -1, L: -1, n: 0 });
  });

  it("window tickers and avgPrice", () => {
    expect(windowTickerEvent(full, "4h", 9)).toEqual({ e: "4hTicker", E: 9, s: "BTCUSDT", p: "1.00", P: "100.000", o: "1.00", h: "3.00", l: "0.50", c: "2.00", w: "1.50", v: "10", q: "20", O: 100, C: 3_700, F: 7, L: 10, n: 4 });
    expect(avgPriceEvent("BTCUSDT", create(GetAvgPriceResponseSchema, { mins: 5, price: "1.50", closeTime: 77n }), 9)).toEqual({ e: "avgPrice", E: 9, s: "BTCUSDT", i: "5m", w: "1.50", T: 77 });
    expect(avgPriceEvent("BTCUSDT", create(GetAvgPriceResponseSchema, { mins: 5, price: "" }), 9)).toBeUndefined();
  });

  it("ticker stream names and window sizes", () => {
    expect(parseStreamName("btcusdt@ticker")).toEqual({ kind: "ticker", symbol: "BTCUSDT", name: "btcusdt@ticker" });
    expect(parseStreamName("btcusdt@avgPrice")).toEqual({ kind: "avgPrice", symbol: "BTCUSDT", name: "btcusdt@avgPrice" });
    expect(parseStreamName("btcusdt@ticker_4h")).toEqual({ kind: "windowTicker", symbol: "BTCUSDT", window: "4h", windowMs: 14_400_000, name: "btcusdt@ticker_4h" });
    expect(parseStreamName("!miniTicker@arr")).toEqual({ kind: "allMiniTickers", symbol: "", name: "!miniTicker@arr" });
    expect(parseStreamName("!ticker@arr")).toEqual({ kind: "allTickers", symbol: "", name: "!ticker@arr" });
    for (const bad of ["btcusdt@ticker_2h", "btcusdt@ticker_1m", "btcusdt@ticker_", "!ticker_1h@arr", "BTCUSDT@ticker"]) expect(parseStreamName(bad), bad).toBeUndefined();
    expect([windowSizeMs("1m"), windowSizeMs("59m"), windowSizeMs("23h"), windowSizeMs("7d")]).toEqual([60_000, 3_540_000, 82_800_000, 604_800_000]);
    for (const bad of ["0m", "60m", "24h", "8d", "01m", "1w", "m", "100m"]) expect(windowSizeMs(bad), bad).toBeUndefined();
    expect(parseWindowSize(undefined)).toBe(86_400_000);
    expect(() => parseWindowSize("2w")).toThrow(/windowSize/);
  });
});

describe("depth", () => {
  const level = (price: string, quantity: string) => ({ price, quantity });
  const update = (U: bigint, u: bigint, bids: [string, string][], asks: [string, string][], time = 1n) =>
    create(DepthUpdateSchema, { symbol: "BTCUSDT", firstUpdateId: U, finalUpdateId: u, bids: bids.map(([p, q]) => level(p, q)), asks: asks.map(([p, q]) => level(p, q)), eventTime: time });

  it("depthUpdate: Binance's letters, [price, quantity] pairs as sent", () => {
    expect(depthUpdateEvent(update(7n, 9n, [["100.00000000", "0.50000000"]], [["101.00000000", "0.00000000"]]), 42)).toEqual({
      e: "depthUpdate", E: 42, s: "BTCUSDT", U: 7, u: 9, b: [["100.00000000", "0.50000000"]], a: [["101.00000000", "0.00000000"]],
    });
  });

  it("merges a window: first U, last u and time, each price's last quantity (a removal stays a removal), sorted best first", () => {
    const merged = mergeDepthUpdates([
      update(5n, 5n, [["99.50000000", "1.00000000"], ["100.00000000", "2.00000000"]], [["101.00000000", "1.00000000"]], 10n),
      update(6n, 8n, [["100.00000000", "0.00000000"]], [["101.00000000", "3.00000000"], ["9.00000000", "0.10000000"]], 11n),
      update(9n, 9n, [["1000.00000000", "0.10000000"], ["99.50000000", "0.00000000"]], [["101.00000000", "0.00000000"]], 12n),
    ])!;
    expect(depthUpdateEvent(merged, 1)).toEqual({
      e: "depthUpdate",
      E: 1,
      s: "BTCUSDT",
      U: 5,
      u: 9,
      b: [["1000.00000000", "0.10000000"], ["100.00000000", "0.00000000"], ["99.50000000", "0.00000000"]],
      a: [["9.00000000", "0.10000000"], ["101.00000000", "0.00000000"]],
    });
    expect(merged.eventTime).toBe(12n);
    expect(mergeDepthUpdates([])).toBeUndefined();
    const single = update(3n, 4n, [], [["1.00000000", "1.00000000"]]);
    expect(mergeDepthUpdates([single])).toBe(single);
  });

  it("merging then applying equals applying one by one", () => {
    const updates = [
      update(1n, 1n, [["10.00", "1.00"]], []),
      update(2n, 2n, [["10.00", "0.00"], ["9.99", "2.00"]], [["10.01", "1.00"]]),
      update(3n, 3n, [["10.00", "3.00"]], [["10.01", "0.00"]]),
    ];
    const apply = (book: Map<string, string>, levels: { price: string; quantity: string }[]) => {
      for (const l of levels) if (l.quantity === "0.00") book.delete(l.price); else book.set(l.price, l.quantity);
    };
    const oneByOne = { b: new Map<string, string>([["9.98", "5.00"]]), a: new Map<string, string>() };
    for (const u of updates) {
      apply(oneByOne.b, u.bids);
      apply(oneByOne.a, u.asks);
    }
    const merged = mergeDepthUpdates(updates)!;
    const once = { b: new Map<string, string>([["9.98", "5.00"]]), a: new Map<string, string>() };
    apply(once.b, merged.bids);
    apply(once.a, merged.asks);
    expect(once).toEqual(oneByOne);
  });

  it("partial depth: lastUpdateId and [price, quantity] pairs", () => {
    const depth = create(GetDepthResponseSchema, { lastUpdateId: 41n, bids: [level("29000.00000000", "0.01000000")], asks: [level("29001.00000000", "1.00000000")] });
    expect(partialDepthEvent(depth)).toEqual({ lastUpdateId: 41, bids: [["29000.00000000", "0.01000000"]], asks: [["29001.00000000", "1.00000000"]] });
  });
});

describe("control messages", () => {
  it("parses SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS and the combined property", () => {
    expect(parseControl('{"method":"SUBSCRIBE","params":["btcusdt@trade"],"id":1}')).toEqual({ method: "SUBSCRIBE", params: ["btcusdt@trade"], id: 1 });
    expect(parseControl('{"method":"UNSUBSCRIBE","params":[],"id":"abc"}')).toEqual({ method: "UNSUBSCRIBE", params: [], id: "abc" });
    expect(parseControl('{"method":"LIST_SUBSCRIPTIONS","id":null}')).toEqual({ method: "LIST_SUBSCRIPTIONS", id: null });
    expect(parseControl('{"method":"SET_PROPERTY","params":["combined",true],"id":5}')).toEqual({ method: "SET_PROPERTY", property: "combined", value: true, id: 5 });
    expect(parseControl('{"method":"GET_PROPERTY","params":["combined"],"id":2}')).toEqual({ method: "GET_PROPERTY", property: "combined", id: 2 });
  });

  it("answers Binance's error shape for bad requests", () => {
    expect(parseControl("{nope")).toEqual({ error: { error: { code: 3, msg: expect.stringContaining("Invalid JSON") }, id: null } });
    expect(parseControl('{"method":"SUBSCRIB","params":[],"id":7}')).toEqual({ error: { error: { code: 2, msg: expect.stringContaining("unknown variant `SUBSCRIB`") }, id: 7 } });
    expect(parseControl('{"method":"SUBSCRIBE","params":[],"id":1.5}')).toEqual({ error: { error: { code: 2, msg: "Invalid request: request ID must be an unsigned integer" }, id: null } });
    expect(parseControl('{"method":"SUBSCRIBE","params":"btcusdt@trade","id":1}')).toMatchObject({ error: { error: { code: 2 }, id: 1 } });
    expect(parseControl('{"method":"SUBSCRIBE","params":[1],"id":1}')).toMatchObject({ error: { error: { code: 2 }, id: 1 } });
    expect(parseControl('{"params":[],"id":1}')).toMatchObject({ error: { error: { code: 2, msg: expect.stringContaining("method") }, id: 1 } });
    expect(parseControl("[]")).toMatchObject({ error: { error: { code: 2 } } });
    expect(parseControl('{"method":"GET_PROPERTY","params":[1],"id":1}')).toMatchObject({ error: { error: { code: 2, msg: "Invalid request: property name must be a string" } } });
  });
});
