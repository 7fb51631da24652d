import { DomainError } from "#kit/errors/domain-error.js";
import { aggTradeResponse, bookTickerResponse, klineResponse, publicTradeResponse, rollingTickerResponse, ticker24hResponse, zeroAt } from "./binance.mapper.js";
import { parseWindowSize } from "./window-size.js";
import type { Params } from "./params.js";
import type { Route } from "./router.js";
import type { EdgeServices } from "./services.js";

// Public market data from the marketdata service: trades, klines, tickers, average price.
// Weights are Binance's; every parameter is checked here before a service is called.

const INTERVALS = ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"];
const SYMBOL = /^[A-Z0-9]{2,20}$/;
/** aggTrades: startTime and endTime at most an hour apart. */
const AGG_TRADES_WINDOW_MS = 60 * 60 * 1000;

/** `symbol`, or `symbols=["A","B"]`, or neither (every listed symbol). */
async function symbolsOf(params: Params, services: EdgeServices): Promise<{ single: boolean; symbols: string[] }> {
  const one = params.optionalSymbol("symbol");
  const many = params.optional("symbols");
  if (one && many) throw new DomainError("INVALID_PARAMETER", "Parameter 'symbol' and 'symbols' cannot both be sent.", [{ field: "symbols", description: "one of symbol, symbols" }]);
  if (one) return { single: true, symbols: [one] };
  if (many) return { single: false, symbols: parseSymbols(many) };
  return { single: false, symbols: (await services.symbols.all()).map((s) => s.symbol) };
}

function parseSymbols(text: string): string[] {
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && SYMBOL.test(s))) {
    throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Parameter 'symbols' was malformed: a JSON array of symbols, e.g. [\"BTCUSDT\"].", [{ field: "symbols", description: "JSON array" }]);
  }
  return list as string[];
}

/** One answer per symbol, read together; a lone object for `symbol`, an array for `symbols` or all. */
async function perSymbol<T>({ single, symbols }: { single: boolean; symbols: string[] }, answer: (symbol: string) => Promise<T>, max = Infinity): Promise<T | T[]> {
  if (symbols.length > max) throw new DomainError("INVALID_PARAMETER", `At most ${max} symbols.`, [{ field: "symbols", description: `at most ${max}` }]);
  const answers = await Promise.all(symbols.map(answer));
  return single ? answers[0]! : answers;
}

/** How many symbols a multi-symbol request names (for its weight); every listed symbol when none. */
function symbolCount(params: Params): number | undefined {
  try {
    if (params.optional("symbol")) return 1;
    const many = params.optional("symbols");
    return many ? parseSymbols(many).length : undefined;
  } catch {
    return 1;
  }
}

/** ticker/24hr: 2 for one symbol, 2 / 40 / 80 for 1-20 / 21-100 / more symbols, 80 for all. */
function ticker24hWeight(params: Params): number {
  const count = symbolCount(params);
  if (count === undefined || count > 100) return 80;
  return count > 20 ? 40 : 2;
}

/** ticker (rolling window): 4 per symbol, at most 200. */
function rollingTickerWeight(params: Params): number {
  return Math.min(200, 4 * (symbolCount(params) ?? 50));
}

/** ticker/price and ticker/bookTicker: 2 for one symbol, 4 otherwise. */
function priceWeight(params: Params): number {
  return params.has("symbol") ? 2 : 4;
}

const limitOf = (params: Params) => params.integer("limit", 1, 1000) ?? 500;

function intervalOf(params: Params): string {
  const value = params.required("interval");
  if (!INTERVALS.includes(value)) throw new DomainError("BAD_INTERVAL", "Invalid interval.", [{ field: "interval", description: INTERVALS.join("|") }]);
  return value;
}

export function marketDataRoutes(): Route[] {
  const trades = (withFromId: boolean): Route["handle"] =>
    async ({ params, services }) => {
      const symbol = params.symbol();
      const limit = limitOf(params);
      const fromId = withFromId ? (params.id("fromId") ?? 0n) : 0n;
      const answer = await services.marketData.listTrades({ symbol, limit, fromId });
      return answer.trades.map(publicTradeResponse);
    };
  return [
    { method: "GET", path: "/api/v3/trades", security: "NONE", weight: 25, handle: trades(false) },
    // Binance asks for an API key here (MARKET_DATA); the trades are public, so this edge does not.
    { method: "GET", path: "/api/v3/historicalTrades", security: "NONE", weight: 25, handle: trades(true) },
    {
      method: "GET",
      path: "/api/v3/aggTrades",
      security: "NONE",
      weight: 4,
      handle: async ({ params, services }) => {
        const symbol = params.symbol();
        const fromId = params.id("fromId");
        const startTime = params.integer("startTime");
        const endTime = params.integer("endTime");
        const limit = limitOf(params);
        if (fromId !== undefined && (startTime !== undefined || endTime !== undefined)) {
          throw new DomainError("OPTIONAL_PARAMS_BAD_COMBO", undefined, [{ field: "fromId", description: "not with startTime or endTime" }]);
        }
        if (startTime !== undefined && endTime !== undefined) {
          if (startTime > endTime) throw new DomainError("INVALID_PARAMETER", "startTime must not be after endTime.", [{ field: "startTime", description: "<= endTime" }]);
          if (endTime - startTime > AGG_TRADES_WINDOW_MS) {
            throw new DomainError("MORE_THAN_XX_HOURS", "More than 1 hours between startTime and endTime.", [{ field: "endTime", description: "at most 1 hour after startTime" }]);
          }
        }
        const answer = await services.marketData.listAggTrades({
          symbol,
          fromId,
          startTime: startTime === undefined ? undefined : BigInt(startTime),
          endTime: endTime === undefined ? undefined : BigInt(endTime),
          limit,
        });
        return answer.aggTrades.map(aggTradeResponse);
      },
    },
    {
      method: "GET",
      path: "/api/v3/klines",
      security: "NONE",
      weight: 2,
      handle: async ({ params, services }) => {
        const symbol = params.symbol();
        const interval = intervalOf(params);
        const startTime = params.integer("startTime");
        const endTime = params.integer("endTime");
        const limit = limitOf(params);
        if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
          throw new DomainError("INVALID_PARAMETER", "startTime must not be after endTime.", [{ field: "startTime", description: "<= endTime" }]);
        }
        const answer = await services.marketData.listKlines({ symbol, interval, startTime: BigInt(startTime ?? 0), endTime: BigInt(endTime ?? 0), limit });
        return answer.klines.map(klineResponse);
      },
    },
    {
      method: "GET",
      path: "/api/v3/ticker/24hr",
      security: "NONE",
      weight: ticker24hWeight,
      handle: async ({ params, services }) => {
        const type = params.oneOf("type", ["FULL", "MINI"] as const) ?? "FULL";
        return perSymbol(await symbolsOf(params, services), async (symbol) => {
          const { ticker } = await services.marketData.getTicker24h({ symbol });
          const info = await services.symbols.get(symbol);
          const book = type === "FULL" ? await services.marketData.getBookTicker({ symbol }) : undefined;
          return ticker24hResponse(ticker!, type, info, book);
        });
      },
    },
    {
      method: "GET",
      path: "/api/v3/ticker",
      security: "NONE",
      weight: rollingTickerWeight,
      handle: async ({ params, services }) => {
        const type = params.oneOf("type", ["FULL", "MINI"] as const) ?? "FULL";
        const windowMs = parseWindowSize(params.optional("windowSize"));
        if (!params.optional("symbol") && !params.optional("symbols")) {
          throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'symbol' or 'symbols' must be sent, but both were empty/null!", [{ field: "symbol", description: "required" }]);
        }
        return perSymbol(await symbolsOf(params, services), async (symbol) => {
          const { ticker } = await services.marketData.getTicker24h({ symbol, windowMs: BigInt(windowMs) });
          return rollingTickerResponse(ticker!, type, await services.symbols.get(symbol));
        }, 100);
      },
    },
    {
      method: "GET",
      path: "/api/v3/ticker/price",
      security: "NONE",
      weight: priceWeight,
      handle: async ({ params, services }) => {
        return perSymbol(await symbolsOf(params, services), async (symbol) => {
          const { trades } = await services.marketData.listTrades({ symbol, limit: 1 });
          const info = await services.symbols.get(symbol);
          return { symbol, price: trades[0]?.price ?? zeroAt(info.quoteAssetPrecision) };
        });
      },
    },
    {
      method: "GET",
      path: "/api/v3/ticker/bookTicker",
      security: "NONE",
      weight: priceWeight,
      handle: async ({ params, services }) => {
        return perSymbol(await symbolsOf(params, services), async (symbol) => bookTickerResponse(await services.marketData.getBookTicker({ symbol }), await services.symbols.get(symbol)));
      },
    },
    {
      method: "GET",
      path: "/api/v3/avgPrice",
      security: "NONE",
      weight: 2,
      handle: async ({ params, services }) => {
        const symbol = params.symbol();
        const answer = await services.marketData.getAvgPrice({ symbol });
        const info = await services.symbols.get(symbol);
        return { mins: answer.mins, price: answer.price || zeroAt(info.quoteAssetPrecision), closeTime: Number(answer.closeTime) };
      },
    },
  ];
}
