import type { AggTrade, DepthUpdate, GetAvgPriceResponse, GetBookTickerResponse, GetDepthResponse, Kline, PriceLevel, PublicTrade, Ticker24h } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { idNumber } from "../rest/http.js";
import { windowSizeMs } from "../rest/window-size.js";

// Binance's market stream names and payloads (pure: no I/O). Money stays the decimal strings the
// marketdata service sends; ids and times are JSON numbers; names and field letters are Binance's.

export const KLINE_INTERVALS = ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"] as const;
export type KlineInterval = (typeof KLINE_INTERVALS)[number];

export type StreamName =
  | { readonly kind: "trade"; readonly symbol: string; readonly name: string }
  | { readonly kind: "aggTrade"; readonly symbol: string; readonly name: string }
  | { readonly kind: "kline"; readonly symbol: string; readonly interval: KlineInterval; readonly name: string }
  | { readonly kind: "bookTicker"; readonly symbol: string; readonly name: string }
  | { readonly kind: "miniTicker"; readonly symbol: string; readonly name: string }
  /** The rolling 24 h ticker with the best prices (`@ticker`). */
  | { readonly kind: "ticker"; readonly symbol: string; readonly name: string }
  /** A rolling window of `window` (`@ticker_1h`, `_4h`, `_1d`). */
  | { readonly kind: "windowTicker"; readonly symbol: string; readonly window: TickerWindow; readonly windowMs: number; readonly name: string }
  | { readonly kind: "avgPrice"; readonly symbol: string; readonly name: string }
  /** Every symbol's mini ticker (`!miniTicker@arr`) or ticker (`!ticker@arr`) that changed, as one array; symbol is "". */
  | { readonly kind: "allMiniTickers" | "allTickers"; readonly symbol: ""; readonly name: string }
  /** Diff depth: updates merged over `speedMs` windows. */
  | { readonly kind: "depth"; readonly symbol: string; readonly speedMs: DepthSpeed; readonly name: string }
  /** Partial book depth: the top `levels` of each side every `speedMs`, when changed. */
  | { readonly kind: "partialDepth"; readonly symbol: string; readonly levels: PartialDepthLevels; readonly speedMs: DepthSpeed; readonly name: string };

export type DepthSpeed = 100 | 1000;
/** Binance's rolling-window ticker streams. */
export const TICKER_WINDOWS = ["1h", "4h", "1d"] as const;
export type TickerWindow = (typeof TICKER_WINDOWS)[number];
export type PartialDepthLevels = 5 | 10 | 20;

const STREAM = /^([a-z0-9]{2,20})@(trade|aggTrade|bookTicker|miniTicker|ticker|avgPrice|ticker_([0-9]{1,2}[hd])|kline_([0-9]{1,2}[smhdwM])|depth(5|10|20)?(@100ms)?)$/;

/**
 * `btcusdt@trade`, `btcusdt@aggTrade`, `btcusdt@kline_1m`, `btcusdt@bookTicker`, `btcusdt@miniTicker` -> what it is,
 * with the symbol upper-cased as the services name it; undefined for anything else (the symbol
 * must be lower case, as Binance's stream names are).
 */
export function parseStreamName(name: string): StreamName | undefined {
  if (name === "!miniTicker@arr") return { kind: "allMiniTickers", symbol: "", name };
  if (name === "!ticker@arr") return { kind: "allTickers", symbol: "", name };
  const match = STREAM.exec(name);
  if (!match) return undefined;
  const symbol = match[1]!.toUpperCase();
  const kind = match[2]!;
  if (kind === "trade" || kind === "aggTrade" || kind === "bookTicker" || kind === "miniTicker" || kind === "ticker" || kind === "avgPrice") return { kind, symbol, name };
  if (kind.startsWith("ticker_")) {
    const window = match[3] as TickerWindow;
    if (!(TICKER_WINDOWS as readonly string[]).includes(window)) return undefined;
    return { kind: "windowTicker", symbol, window, windowMs: windowSizeMs(window)!, name };
  }
  if (kind.startsWith("depth")) {
    const speedMs: DepthSpeed = match[6] ? 100 : 1000;
    if (!match[5]) return { kind: "depth", symbol, speedMs, name };
    return { kind: "partialDepth", symbol, levels: Number(match[5]) as PartialDepthLevels, speedMs, name };
  }
  const interval = match[4] as KlineInterval;
  if (!(KLINE_INTERVALS as readonly string[]).includes(interval)) return undefined;
  return { kind: "kline", symbol, interval, name };
}

/** `<symbol>@trade`. */
export function tradeEvent(trade: PublicTrade, eventTime: number) {
  return {
    e: "trade",
    E: eventTime,
    s: trade.symbol,
    t: idNumber(trade.id),
    p: trade.price,
    q: trade.qty,
    T: Number(trade.time),
    m: trade.isBuyerMaker,
    M: true,
  };
}

/** `<symbol>@aggTrade`: one aggregate trade, complete, under the id marketdata gave it. */
export function aggTradeEvent(agg: AggTrade, eventTime: number) {
  return {
    e: "aggTrade",
    E: eventTime,
    s: agg.symbol,
    a: idNumber(agg.id),
    p: agg.price,
    q: agg.qty,
    f: idNumber(agg.firstTradeId),
    l: idNumber(agg.lastTradeId),
    T: Number(agg.time),
    m: agg.isBuyerMaker,
    M: true,
  };
}

/** `<symbol>@kline_<interval>`: the candle as it stands; `x` once its interval has ended. */
export function klineEvent(symbol: string, interval: string, kline: Kline, closed: boolean, eventTime: number) {
  const id = (value: bigint) => (value === 0n ? -1 : idNumber(value));
  return {
    e: "kline",
    E: eventTime,
    s: symbol,
    k: {
      t: Number(kline.openTime),
      T: Number(kline.closeTime),
      s: symbol,
      i: interval,
      f: id(kline.firstTradeId),
      L: id(kline.lastTradeId),
      o: kline.open,
      c: kline.close,
      h: kline.high,
      l: kline.low,
      v: kline.volume,
      n: Number(kline.tradeCount),
      x: closed,
      q: kline.quoteVolume,
      V: kline.takerBuyBaseVolume,
      Q: kline.takerBuyQuoteVolume,
      B: "0",
    },
  };
}

/** Zeros at the assets' precisions for an empty side of the book, as the REST bookTicker writes them. */
export interface Zeros {
  readonly price: string;
  readonly qty: string;
}

/** `<symbol>@bookTicker` from the top level of GetDepth (`u` is matching's sequence). */
export function bookTickerEvent(symbol: string, depth: GetDepthResponse, zeros: Zeros) {
  const bid = depth.bids[0];
  const ask = depth.asks[0];
  return {
    u: idNumber(depth.lastUpdateId),
    s: symbol,
    b: bid?.price || zeros.price,
    B: bid?.quantity || zeros.qty,
    a: ask?.price || zeros.price,
    A: ask?.quantity || zeros.qty,
  };
}

/** True when the best prices or quantities differ (the sequence alone moving is no change). */
export function bookTickerChanged(previous: ReturnType<typeof bookTickerEvent> | undefined, next: ReturnType<typeof bookTickerEvent>): boolean {
  return !previous || previous.b !== next.b || previous.B !== next.B || previous.a !== next.a || previous.A !== next.A;
}

/** `<symbol>@miniTicker`: the rolling 24 h window. */
export function miniTickerEvent(ticker: Ticker24h, eventTime: number) {
  return {
    e: "24hrMiniTicker",
    E: eventTime,
    s: ticker.symbol,
    c: ticker.lastPrice,
    o: ticker.openPrice,
    h: ticker.highPrice,
    l: ticker.lowPrice,
    v: ticker.volume,
    q: ticker.quoteVolume,
  };
}

const tradeId = (value: bigint) => (value === 0n ? -1 : idNumber(value));

/** What every rolling-window ticker event carries: prices, volumes, the window and its trades. */
function windowStats(ticker: Ticker24h) {
  return {
    o: ticker.openPrice,
    h: ticker.highPrice,
    l: ticker.lowPrice,
    v: ticker.volume,
    q: ticker.quoteVolume,
    O: Number(ticker.openTime),
    C: Number(ticker.closeTime),
    F: tradeId(ticker.firstId),
    L: tradeId(ticker.lastId),
    n: Number(ticker.count),
  };
}

/** `<symbol>@ticker`: the rolling 24 h window with the best bid and ask (`x` the last price before the window). */
export function tickerEvent(ticker: Ticker24h, book: GetBookTickerResponse, zeros: Zeros, eventTime: number) {
  return {
    e: "24hrTicker",
    E: eventTime,
    s: ticker.symbol,
    p: ticker.priceChange,
    P: ticker.priceChangePercent,
    w: ticker.weightedAvgPrice,
    x: ticker.prevClosePrice || zeros.price,
    c: ticker.lastPrice,
    Q: ticker.lastQty || zeros.qty,
    b: book.bidPrice || zeros.price,
    B: book.bidQty || zeros.qty,
    a: book.askPrice || zeros.price,
    A: book.askQty || zeros.qty,
    ...windowStats(ticker),
  };
}

/** `<symbol>@ticker_<window>`: the rolling window's statistics (`e` is "1hTicker", "4hTicker" or "1dTicker"). */
export function windowTickerEvent(ticker: Ticker24h, window: TickerWindow, eventTime: number) {
  return {
    e: `${window}Ticker`,
    E: eventTime,
    s: ticker.symbol,
    p: ticker.priceChange,
    P: ticker.priceChangePercent,
    c: ticker.lastPrice,
    w: ticker.weightedAvgPrice,
    ...windowStats(ticker),
  };
}

/** `<symbol>@avgPrice`: the average price over its window (`i`), `T` the last trade's time; undefined without trades. */
export function avgPriceEvent(symbol: string, average: GetAvgPriceResponse, eventTime: number) {
  if (!average.price) return undefined;
  return { e: "avgPrice", E: eventTime, s: symbol, i: `${average.mins}m`, w: average.price, T: Number(average.closeTime) };
}

const levelPair = (level: PriceLevel): [string, string] => [level.price, level.quantity];

/** `<symbol>@depth[@100ms]`: Binance's diff (quantity "0..." removes the level; E is when the edge sent it). */
export function depthUpdateEvent(update: DepthUpdate, eventTime: number) {
  return {
    e: "depthUpdate",
    E: eventTime,
    s: update.symbol,
    U: idNumber(update.firstUpdateId),
    u: idNumber(update.finalUpdateId),
    b: update.bids.map(levelPair),
    a: update.asks.map(levelPair),
  };
}

/** Decimal strings of one symbol (same scale): numeric order without floats. */
function compareDecimal(a: string, b: string): number {
  const [ai = "", af = ""] = a.split(".");
  const [bi = "", bf = ""] = b.split(".");
  if (ai.length !== bi.length) return ai.length - bi.length;
  if (ai !== bi) return ai < bi ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const x = af.padEnd(width, "0");
  const y = bf.padEnd(width, "0");
  return x === y ? 0 : x < y ? -1 : 1;
}

/**
 * Consecutive diffs of one symbol as one (a 100 ms or 1 s window): the first U, the last u and
 * event time, each price's last quantity; bids highest first, asks lowest first.
 */
export function mergeDepthUpdates(updates: readonly DepthUpdate[]): DepthUpdate | undefined {
  if (updates.length === 0) return undefined;
  if (updates.length === 1) return updates[0];
  const bids = new Map<string, PriceLevel>();
  const asks = new Map<string, PriceLevel>();
  for (const update of updates) {
    for (const level of update.bids) bids.set(level.price, level);
    for (const level of update.asks) asks.set(level.price, level);
  }
  const first = updates[0]!;
  const last = updates[updates.length - 1]!;
  return {
    ...last,
    firstUpdateId: first.firstUpdateId,
    bids: [...bids.values()].sort((x, y) => compareDecimal(y.price, x.price)),
    asks: [...asks.values()].sort((x, y) => compareDecimal(x.price, y.price)),
  };
}

/** `<symbol>@depth<levels>[@100ms]`: the top of the book from GetDepth. */
export function partialDepthEvent(depth: GetDepthResponse) {
  return { lastUpdateId: idNumber(depth.lastUpdateId), bids: depth.bids.map(levelPair), asks: depth.asks.map(levelPair) };
}

/** A request id as Binance takes it: an integer, a string of at most 36 characters, or null. */
export type RequestId = number | string | null;

export type ControlRequest =
  | { readonly method: "SUBSCRIBE" | "UNSUBSCRIBE"; readonly params: readonly string[]; readonly id: RequestId }
  | { readonly method: "LIST_SUBSCRIPTIONS"; readonly id: RequestId }
  | { readonly method: "SET_PROPERTY"; readonly property: string; readonly value: unknown; readonly id: RequestId }
  | { readonly method: "GET_PROPERTY"; readonly property: string; readonly id: RequestId };

/** Binance's error reply: `{"error":{"code":..,"msg":..},"id":..}`. */
export function errorReply(code: number, msg: string, id: RequestId) {
  return { error: { code, msg }, id };
}

const METHODS = ["SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY"];

/** Parses one text frame; an error reply (Binance's codes 2 and 3) when it is not a valid request. */
export function parseControl(text: string): ControlRequest | { readonly error: ReturnType<typeof errorReply> } {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return { error: errorReply(3, "Invalid JSON: expected value at line 1 column 1", null) };
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) return { error: errorReply(2, "Invalid request: expected an object", null) };
  const body = message as Record<string, unknown>;
  const rawId = body.id;
  const idOk = rawId === null || (typeof rawId === "number" && Number.isSafeInteger(rawId)) || (typeof rawId === "string" && rawId.length <= 36);
  if (!idOk) return { error: errorReply(2, "Invalid request: request ID must be an unsigned integer", null) };
  const id = rawId as RequestId;
  const method = body.method;
  if (typeof method !== "string") return { error: errorReply(2, "Invalid request: missing field `method`", id) };
  if (!METHODS.includes(method)) {
    return { error: errorReply(2, `Invalid request: unknown variant \`${method}\`, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\``, id) };
  }
  const params = body.params;
  if (method === "LIST_SUBSCRIPTIONS") return { method, id };
  if (!Array.isArray(params)) return { error: errorReply(2, "Invalid request: missing field `params`", id) };
  if (method === "SUBSCRIBE" || method === "UNSUBSCRIBE") {
    if (!params.every((p) => typeof p === "string")) return { error: errorReply(2, "Invalid request: stream names must be strings", id) };
    return { method, params: params as string[], id };
  }
  if (typeof params[0] !== "string") return { error: errorReply(2, "Invalid request: property name must be a string", id) };
  if (method === "GET_PROPERTY") {
    if (params.length !== 1) return { error: errorReply(2, "Invalid request: too many parameters", id) };
    return { method, property: params[0], id };
  }
  if (params.length !== 2) return { error: errorReply(2, "Invalid request: too many parameters", id) };
  return { method: "SET_PROPERTY", property: params[0], value: params[1], id };
}

/** The `streams` of `/stream?streams=a/b/c` or the path after `/ws/` (`/ws/a/b` as Binance allows). */
export function splitStreams(text: string): string[] {
  return text.split("/").filter((s) => s.length > 0);
}
