import { envBool, envInt, type Env } from "#kit/config/env.js";
import { MemoryCache } from "#kit/adapters/cache.memory.js";
import type { Cache } from "#kit/ports/cache.port.js";
import type { ServiceDirectory } from "#kit/rpc/service-directory.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from "./rate-limit/rate-limiter.js";
import { accountRoutes, type CommissionRates } from "./rest/account.routes.js";
import { marketDataRoutes } from "./rest/market-data.routes.js";
import { marketRoutes } from "./rest/market.routes.js";
import { orderRoutes } from "./rest/order.routes.js";
import { restRouter } from "./rest/router.js";
import { edgeServices } from "./rest/services.js";

export interface EdgeConfig {
  /** How to reach order, wallet, auth, matching and marketdata (in-process in embedded mode, <NAME>_ADDR otherwise). */
  readonly directory: ServiceDirectory;
  readonly limits?: Partial<RateLimits>;
  /** The rate-limit counters: the embedded memory cache unless given (Redis with several replicas). */
  readonly cache?: Cache;
  /** Take the client IP from X-Forwarded-For: only behind a proxy that sets it. */
  readonly trustForwardedFor?: boolean;
  /** Reported by GET /api/v3/account; wallet's tier-0 schedule (10 / 10 bps) by default. */
  readonly commission?: CommissionRates;
  readonly now?: () => number;
}

/** EDGE_* variables; every default works in embedded mode. */
export function readEdgeConfig(env: Env, directory: ServiceDirectory): EdgeConfig {
  return {
    directory,
    limits: {
      ipWeightPerMinute: envInt(env, "EDGE_IP_WEIGHT_PER_MINUTE", DEFAULT_RATE_LIMITS.ipWeightPerMinute),
      apiKeyWeightPerMinute: envInt(env, "EDGE_API_KEY_WEIGHT_PER_MINUTE", DEFAULT_RATE_LIMITS.apiKeyWeightPerMinute),
      ordersPer10s: envInt(env, "EDGE_ORDERS_PER_10S", DEFAULT_RATE_LIMITS.ordersPer10s),
      ordersPerDay: envInt(env, "EDGE_ORDERS_PER_DAY", DEFAULT_RATE_LIMITS.ordersPerDay),
    },
    trustForwardedFor: envBool(env, "EDGE_TRUST_FORWARDED_FOR", false),
  };
}

export interface EdgeModule extends ServiceModule {
  readonly httpRoute: NonNullable<ServiceModule["httpRoute"]>;
}

/**
 * The public door: Binance's spot REST API (/api/v3) on the HTTP/1.1 port, beside the RPCs. It
 * serves no gRPC service of its own; it authenticates each signed call with auth and calls
 * order, wallet and matching with the caller's own account only.
 */
export function createEdgeModule(config: EdgeConfig): EdgeModule {
  const now = config.now ?? Date.now;
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS, ...config.limits };
  const ownCache = config.cache ? undefined : new MemoryCache({ now });
  const cache = config.cache ?? ownCache!;
  const services = edgeServices(config.directory, now);
  const commission = config.commission ?? { makerBps: 10, takerBps: 10 };
  const route = restRouter([...marketRoutes(limits), ...marketDataRoutes(), ...orderRoutes(), ...accountRoutes(commission)], {
    services,
    limiter: new RateLimiter(cache, limits, now),
    now,
    trustForwardedFor: config.trustForwardedFor ?? false,
    prefix: "/api/",
  });
  return {
    name: "edge",
    serviceNames: [],
    routes: () => {},
    httpRoute: route,
    stop: async () => {
      await ownCache?.close();
    },
  };
}
