import { DomainError } from "#kit/errors/domain-error.js";
import { symbolResponse, unitsToDecimal } from "./binance.mapper.js";
import type { Params } from "./params.js";
import type { Route } from "./router.js";
import type { RateLimits } from "../rate-limit/rate-limiter.js";

// Public market data: ping, time, exchangeInfo, depth.

function depthLimit(params: Params): number {
  return params.integer("limit", 1, 5000) ?? 100;
}

/** Binance's depth weights by limit. */
function depthWeight(params: Params): number {
  let limit: number;
  try {
    limit = depthLimit(params);
  } catch {
    return 1;
  }
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

function requestedSymbols(params: Params): string[] | undefined {
  const one = params.optionalSymbol("symbol");
  if (one) return [one];
  const many = params.optional("symbols");
  if (!many) return undefined;
  let list: unknown;
  try {
    list = JSON.parse(many);
  } catch {
    list = undefined;
  }
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === "string" && /^[A-Z0-9]{2,20}$/.test(s))) {
    throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Parameter 'symbols' was malformed: a JSON array of symbols, e.g. [\"BTCUSDT\"].", [{ field: "symbols", description: "JSON array" }]);
  }
  return list as string[];
}

export function marketRoutes(limits: RateLimits): Route[] {
  return [
    { method: "GET", path: "/api/v3/ping", security: "NONE", weight: 1, handle: async () => ({}) },
    { method: "GET", path: "/api/v3/time", security: "NONE", weight: 1, handle: async ({ now }) => ({ serverTime: now() }) },
    {
      method: "GET",
      path: "/api/v3/exchangeInfo",
      security: "NONE",
      weight: 20,
      handle: async ({ params, services, now }) => {
        const wanted = requestedSymbols(params);
        const all = await services.symbols.all();
        const symbols = wanted ? wanted.map((name) => all.find((s) => s.symbol === name) ?? failBadSymbol(name)) : all;
        return {
          timezone: "UTC",
          serverTime: now(),
          rateLimits: [
            { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: limits.ipWeightPerMinute },
            { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: limits.ordersPer10s },
            { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: limits.ordersPerDay },
          ],
          exchangeFilters: [],
          symbols: symbols.map(symbolResponse),
        };
      },
    },
    {
      method: "GET",
      path: "/api/v3/depth",
      security: "NONE",
      weight: depthWeight,
      handle: async ({ params, services }) => {
        const symbol = params.symbol();
        const limit = depthLimit(params);
        const info = await services.symbols.get(symbol);
        const tickSize = info.filters?.tickSize ?? "0";
        const stepSize = info.filters?.stepSize ?? "0";
        const book = await services.matching.getBook({ symbol, depth: limit });
        const level = (l: { priceTicks: string; quantityLots: string }) => [
          unitsToDecimal(l.priceTicks, tickSize, info.quoteAssetPrecision),
          unitsToDecimal(l.quantityLots, stepSize, info.baseAssetPrecision),
        ];
        return { lastUpdateId: Number(book.sequence), bids: book.bids.slice(0, limit).map(level), asks: book.asks.slice(0, limit).map(level) };
      },
    },
  ];
}

function failBadSymbol(name: string): never {
  throw new DomainError("BAD_SYMBOL", `Invalid symbol: ${name}.`);
}
