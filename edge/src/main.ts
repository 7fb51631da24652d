import { ConfigError } from "#kit/config/config-error.js";
import { requireRedis } from "#kit/adapters/redis-reachable.js";
import { envBool, envInt, envString, type Env } from "#kit/config/env.js";
import { MemoryCache } from "#kit/adapters/cache.memory.js";
import { RedisCache } from "#kit/adapters/cache.redis.js";
import type { Cache } from "#kit/ports/cache.port.js";
import type { ServiceDirectory } from "#kit/rpc/service-directory.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { registered } from "#kit/telemetry/metrics.js";
import { publicConnectApi } from "./connect/public-api.js";
import { Counter, Histogram, type Registry } from "prom-client";
import { FallbackCache } from "./rate-limit/fallback-cache.js";
import { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits } from "./rate-limit/rate-limiter.js";
import { accountRoutes } from "./rest/account.routes.js";
import { walletRoutes } from "./rest/wallet.routes.js";
import { marketDataRoutes } from "./rest/market-data.routes.js";
import { marketRoutes } from "./rest/market.routes.js";
import { orderRoutes } from "./rest/order.routes.js";
import { orderListRoutes } from "./rest/order-list.routes.js";
import { userStreamRoutes } from "./rest/user-stream.routes.js";
import { restRouter } from "./rest/router.js";
import { edgeServices } from "./rest/services.js";
import { DEFAULT_WEBSOCKET_LIMITS, MarketStreams, type WebSocketLimits } from "./ws/market-streams.js";
import { UserStreams } from "./ws/user-streams.js";
import { tradingPage } from "./web/trading-page.js";
import { WebSocketApi } from "./ws-api/ws-api.js";
import { rateLimitRoutes } from "./rest/rate-limit.routes.js";
import { DEFAULT_LISTEN_KEY_PREFIX, RedisListenKeyStore } from "./ws/listen-key-store.redis.js";

/** Binance: a listen key is valid for 60 minutes after its creation or last keepalive. */
export const DEFAULT_LISTEN_KEY_TTL_MS = 60 * 60 * 1000;

export interface EdgeConfig {
  /** How to reach order, wallet, auth, matching and marketdata (in-process in embedded mode, <NAME>_ADDR otherwise). */
  readonly directory: ServiceDirectory;
  readonly limits?: Partial<RateLimits>;
  /** The rate-limit counters, when given (tests); otherwise Redis with rateLimitRedis, else this process's memory. */
  readonly cache?: Cache;
  /**
   * Rate-limit counters in Redis, shared by every edge replica (EDGE_RATE_LIMIT_REDIS_URL), failing
   * open to this replica's memory while Redis fails; unset: in this process's memory (one replica only).
   */
  readonly rateLimitRedis?: { readonly url: string; readonly keyPrefix?: string; readonly commandTimeoutMs?: number };
  /** The process's Prometheus registry (the runtime's /metrics). */
  readonly metrics?: Registry;
  /** Take the client IP from X-Forwarded-For: only behind a proxy that sets it. */
  readonly trustForwardedFor?: boolean;
  /** WebSocket market streams: limits, keepalive and polling. */
  readonly webSocket?: Partial<WebSocketLimits>;
  /** User data streams: how long a listen key lives after its last POST or PUT (60 minutes). */
  readonly listenKeyTtlMs?: number;
  /**
   * Listen keys in Redis, shared by every edge replica (EDGE_LISTEN_KEY_REDIS_URL); unset: in this
   * process's memory (one replica only).
   */
  readonly listenKeyRedis?: { readonly url: string; readonly keyPrefix?: string; readonly checkIntervalMs?: number };
  /** Browser origins allowed to call the public Connect API (EDGE_CORS_ORIGINS, comma-separated); none by default. */
  readonly corsOrigins?: readonly string[];
  /** The trading page's built files, served under /app/ (EDGE_WEB_DIR; default web/dist beside the code). */
  readonly webDir?: string;
  readonly now?: () => number;
  /** Failures of the edge's background calls: market and user stream upstreams, the listen-key store, the public Connect API (logged by the caller with `context`; streams reconnect on their own). */
  readonly onError?: (error: unknown, context: string) => void;
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
      ipBanAfter429sPerMinute: envInt(env, "EDGE_IP_BAN_AFTER_429S_PER_MINUTE", DEFAULT_RATE_LIMITS.ipBanAfter429sPerMinute),
      ipBanMs: envInt(env, "EDGE_IP_BAN_MS", DEFAULT_RATE_LIMITS.ipBanMs),
    },
    trustForwardedFor: envBool(env, "EDGE_TRUST_FORWARDED_FOR", false),
    listenKeyTtlMs: envInt(env, "EDGE_LISTEN_KEY_TTL_MS", DEFAULT_LISTEN_KEY_TTL_MS),
    listenKeyRedis: listenKeyRedisOf(env),
    rateLimitRedis: rateLimitRedisOf(env),
    corsOrigins: envString(env, "EDGE_CORS_ORIGINS", "")
      .split(",")
      .map((origin) => origin.trim())
      .filter((origin) => origin !== ""),
    webDir: env.EDGE_WEB_DIR || undefined,
    webSocket: {
      maxStreamsPerConnection: envInt(env, "EDGE_WS_MAX_STREAMS", DEFAULT_WEBSOCKET_LIMITS.maxStreamsPerConnection),
      connectionsPerIp: envInt(env, "EDGE_WS_CONNECTIONS_PER_IP", DEFAULT_WEBSOCKET_LIMITS.connectionsPerIp),
      pingIntervalMs: envInt(env, "EDGE_WS_PING_INTERVAL_MS", DEFAULT_WEBSOCKET_LIMITS.pingIntervalMs),
      pongTimeoutMs: envInt(env, "EDGE_WS_PONG_TIMEOUT_MS", DEFAULT_WEBSOCKET_LIMITS.pongTimeoutMs),
      maxConnectionMs: envInt(env, "EDGE_WS_MAX_CONNECTION_MS", DEFAULT_WEBSOCKET_LIMITS.maxConnectionMs),
      messagesPerSecond: envInt(env, "EDGE_WS_MESSAGES_PER_SECOND", DEFAULT_WEBSOCKET_LIMITS.messagesPerSecond),
      maxBufferedBytes: envInt(env, "EDGE_WS_MAX_BUFFERED_BYTES", DEFAULT_WEBSOCKET_LIMITS.maxBufferedBytes),
      bookTickerPollMs: envInt(env, "EDGE_WS_BOOK_TICKER_POLL_MS", DEFAULT_WEBSOCKET_LIMITS.bookTickerPollMs),
    },
  };
}

/** A redis:// or rediss:// URL from `name`, or undefined when unset. */
function redisUrlOf(env: Env, name: string): string | undefined {
  const url = env[name];
  if (!url) return undefined;
  // Never print the URL when it is wrong: it may hold a password.
  if (url.includes("$(")) throw new ConfigError(name, `${name} holds an unexpanded Kubernetes reference (${url}): is the variable it names (config.EXCHANGE_REDIS_URL in the chart) set?`);
  if (!/^rediss?:\/\//.test(url)) throw new ConfigError(name, `${name} must be a redis:// or rediss:// URL`);
  return url;
}

function listenKeyRedisOf(env: Env): EdgeConfig["listenKeyRedis"] {
  const url = redisUrlOf(env, "EDGE_LISTEN_KEY_REDIS_URL");
  if (!url) return undefined;
  return {
    url,
    keyPrefix: envString(env, "EDGE_LISTEN_KEY_REDIS_PREFIX", DEFAULT_LISTEN_KEY_PREFIX),
    checkIntervalMs: envInt(env, "EDGE_LISTEN_KEY_CHECK_MS", 2_000),
  };
}

/** The services the edge calls (edgeServices). */
const EDGE_PEERS = ["order", "wallet", "auth", "matching", "marketdata"] as const;

export const DEFAULT_RATE_LIMIT_PREFIX = "edge:rate-limit:";

function rateLimitRedisOf(env: Env): EdgeConfig["rateLimitRedis"] {
  const url = redisUrlOf(env, "EDGE_RATE_LIMIT_REDIS_URL");
  if (!url) return undefined;
  return {
    url,
    keyPrefix: envString(env, "EDGE_RATE_LIMIT_REDIS_PREFIX", DEFAULT_RATE_LIMIT_PREFIX),
    commandTimeoutMs: envInt(env, "EDGE_RATE_LIMIT_REDIS_TIMEOUT_MS", 250),
  };
}

/** The rate-limit counters: given, shared in Redis (failing open to memory), or in memory. */
function rateLimitCache(config: EdgeConfig, now: () => number): Cache {
  if (config.cache) return config.cache;
  const local = new MemoryCache({ now });
  const redis = config.rateLimitRedis;
  if (!redis) return local;
  // Connection errors come at every reconnect attempt, failed counts at every retry: one line per 10 s.
  let lastReport = Number.NEGATIVE_INFINITY;
  const report = (error: unknown) => {
    if (now() - lastReport < 10_000) return;
    lastReport = now();
    config.onError?.(error, "rate-limit counters (Redis): counting in this replica's memory, limits per replica until Redis answers");
  };
  const fallbacks = new Counter({
    name: "exchange_edge_rate_limit_local_total",
    help: "Rate-limit counts this edge replica took in its own memory because the shared Redis failed (limits per replica meanwhile)",
    registers: config.metrics ? [config.metrics] : [],
  });
  return new FallbackCache({
    shared: new RedisCache({ url: redis.url, keyPrefix: redis.keyPrefix ?? DEFAULT_RATE_LIMIT_PREFIX, commandTimeoutMs: redis.commandTimeoutMs ?? 250, onError: report }),
    local,
    now,
    onFallback: () => fallbacks.inc(),
    onError: report,
  });
}

export interface EdgeModule extends ServiceModule {
  readonly httpRoute: NonNullable<ServiceModule["httpRoute"]>;
  readonly httpUpgrade: NonNullable<ServiceModule["httpUpgrade"]>;
  /** The WebSocket market streams (connections, topics, upstream feeds). */
  readonly marketStreams: MarketStreams;
  /** The user data streams (listen keys, their sockets, one upstream order feed per user). */
  readonly userStreams: UserStreams;
  /** The WebSocket API (/ws-api/v3): REST's routes as request methods, sessions, user data subscriptions. */
  readonly webSocketApi: WebSocketApi;
}

/**
 * The public door: Binance's spot REST API (/api/v3) on the HTTP/1.1 port, beside the RPCs, and
 * the public Connect API for browsers and SDKs under /connect. It serves no service at the root
 * paths; it authenticates each call with auth and calls order, wallet and matching with the
 * caller's own account only.
 */
/**
 * Before the edge is made: a Redis of its configuration that does not answer ends the start with one
 * line naming the setting (once serving, the edge rides out Redis outages: see rateLimitCache).
 */
export async function requireEdgeEngines(config: EdgeConfig): Promise<void> {
  for (const url of new Set([config.listenKeyRedis?.url, config.rateLimitRedis?.url])) if (url) await requireRedis(url);
}

export function createEdgeModule(config: EdgeConfig): EdgeModule {
  const now = config.now ?? Date.now;
  const limits: RateLimits = { ...DEFAULT_RATE_LIMITS, ...config.limits };
  const cache = rateLimitCache(config, now);
  const services = edgeServices(config.directory, now);
  const webSocketLimits = { ...DEFAULT_WEBSOCKET_LIMITS, ...config.webSocket };
  const refusals = config.metrics
    ? registered(config.metrics, "exchange_edge_rate_limit_refusals_total", (registers) =>
        new Counter({ name: "exchange_edge_rate_limit_refusals_total", help: "Requests and orders the edge refused (HTTP 429 -1003 or -1015, 418 when banned) by the limit they hit", labelNames: ["limit"] as const, registers }),
      )
    : undefined;
  const limiter = new RateLimiter(cache, limits, now, refusals && ((limit) => refusals.inc({ limit })));
  const userStreams = new UserStreams({
    services,
    limits: webSocketLimits,
    listenKeyTtlMs: config.listenKeyTtlMs ?? DEFAULT_LISTEN_KEY_TTL_MS,
    listenKeyStore: config.listenKeyRedis && new RedisListenKeyStore({ ...config.listenKeyRedis, onError: (error) => config.onError?.(error, "listen key store (Redis)") }),
    trustForwardedFor: config.trustForwardedFor ?? false,
    now,
    onError: config.onError,
    bannedIp: (ip) => limiter.banOf(ip),
  });
  const restDuration = config.metrics
    ? registered(config.metrics, "exchange_edge_http_request_duration_seconds", (registers) =>
        new Histogram({
          name: "exchange_edge_http_request_duration_seconds",
          help: "The edge's REST API (/api/v3): latency by route, method and HTTP status",
          labelNames: ["route", "method", "status"] as const,
          buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
          registers,
        }),
      )
    : undefined;
  const routes = [...marketRoutes(limits), ...marketDataRoutes(), ...orderRoutes(), ...orderListRoutes(), ...accountRoutes(), ...walletRoutes(), ...rateLimitRoutes(limiter), ...userStreamRoutes(userStreams.keys)];
  const rest = restRouter(routes, {
    services,
    limiter,
    now,
    trustForwardedFor: config.trustForwardedFor ?? false,
    prefixes: ["/api/", "/sapi/"],
    observe: restDuration && ((route, method, status, seconds) => restDuration.observe({ route, method, status: String(status) }, seconds)),
  });
  const connect = publicConnectApi({ services, limiter, trustForwardedFor: config.trustForwardedFor ?? false, corsOrigins: config.corsOrigins ?? [], onError: config.onError });
  const page = tradingPage(config.webDir);
  const marketStreams = new MarketStreams({
    services,
    limits: webSocketLimits,
    trustForwardedFor: config.trustForwardedFor ?? false,
    now,
    onError: config.onError,
    bannedIp: (ip) => limiter.banOf(ip),
  });
  const webSocketApi = new WebSocketApi({
    routes,
    services,
    limiter,
    userEvents: userStreams,
    limits: webSocketLimits,
    trustForwardedFor: config.trustForwardedFor ?? false,
    now,
    onError: config.onError,
  });
  return {
    name: "edge",
    serviceNames: [],
    routes: () => {},
    httpRoute: async (request, response) => connect(request, response) || (await rest(request, response)) || (await page(request, response)),
    httpUpgrade: (request, socket, head) =>
      webSocketApi.handleUpgrade(request, socket, head) || userStreams.handleUpgrade(request, socket, head) || marketStreams.handleUpgrade(request, socket, head),
    marketStreams,
    userStreams,
    webSocketApi,
    // Every peer resolved before the edge says it serves: a missing <NAME>_ADDR ends the start
    // (ConfigError naming it), not each request that needs that peer.
    start: async () => {
      for (const peer of EDGE_PEERS) config.directory.transport(peer);
    },
    stop: async () => {
      await webSocketApi.close();
      await userStreams.close();
      await marketStreams.close();
      if (cache !== config.cache) await cache.close();
    },
  };
}
