import type { Cache, RateLimitDecision } from "#kit/ports/cache.port.js";
import { fixedWindowRateLimit } from "#kit/ports/cache.port.js";
import { DomainError } from "#kit/errors/domain-error.js";

// Binance's limits, on the kit's Cache port (memory embedded, Redis shared by replicas: fallback-cache.ts):
// request weight per IP and per API key in fixed one-minute windows (what X-MBX-USED-WEIGHT-1M
// reports), and new orders per account per 10 s and per day (X-MBX-ORDER-COUNT-10S / -1D). As on
// Binance only successful placements count toward ORDERS: a placement is counted when admitted (so
// racing ones cannot overshoot the limit), and given back when it placed nothing.
// An IP that keeps going after 429s is banned for a while (418 with Retry-After), as on Binance:
// its refusals are counted per minute and the ban is a key with a TTL, in the same cache, so
// every replica sharing the cache bans it.

export interface RateLimits {
  /** Request weight per client IP per minute (Binance: 6000). */
  readonly ipWeightPerMinute: number;
  /** Request weight per API key per minute, counted once the key authenticated. */
  readonly apiKeyWeightPerMinute: number;
  /** New orders per account per 10 s (Binance: 100). */
  readonly ordersPer10s: number;
  /** New orders per account per day (Binance: 200000). */
  readonly ordersPerDay: number;
  /** 429s an IP may get in one minute; the next one bans it (418) for `ipBanMs`. */
  readonly ipBanAfter429sPerMinute?: number;
  /** How long a ban lasts (Binance: from 2 minutes up to 3 days). */
  readonly ipBanMs?: number;
}

export const DEFAULT_RATE_LIMITS = {
  ipWeightPerMinute: 6000,
  apiKeyWeightPerMinute: 6000,
  ordersPer10s: 100,
  ordersPerDay: 200_000,
  ipBanAfter429sPerMinute: 100,
  ipBanMs: 120_000,
} as const satisfies RateLimits;

const MINUTE = 60_000;
const DAY = 86_400_000;

/** One counter as the WebSocket API's `rateLimits` and exchangeInfo write it. */
export interface RateLimitUsage {
  readonly rateLimitType: "REQUEST_WEIGHT" | "ORDERS";
  readonly interval: "SECOND" | "MINUTE" | "DAY";
  readonly intervalNum: number;
  readonly limit: number;
  readonly count: number;
}

/** Headers to send with the answer, the counters behind them, and why the request may not go on, if so. */
export interface Admission {
  readonly headers: Record<string, string>;
  readonly usage: readonly RateLimitUsage[];
  /**
   * Set when over a limit, with metadata retryAfterMs: TOO_MANY_REQUESTS (-1003) for request
   * weight, TOO_MANY_ORDERS (-1015) for the order counters, IP_BANNED (418) for a banned IP.
   */
  readonly refused?: DomainError;
}

function refuse(what: string, decision: RateLimitDecision): DomainError {
  const retryAfterMs = Math.max(1, decision.resetMs);
  return new DomainError("TOO_MANY_REQUESTS", `Too many requests; current limit of ${what} is ${decision.limit}. Please use WebSocket Streams for live updates to avoid polling the API.`, [], {
    retryAfterMs: String(retryAfterMs),
  });
}

/** New orders counted for a request, which can be taken out of the counts again. */
export interface OrderAdmission extends Admission {
  /**
   * The request placed nothing (refused, the -1015 itself included): its orders leave the windows
   * they were counted in; the headers and counters after that.
   */
  giveBack(): Promise<Admission>;
}

/**
 * Whether a failed placement surely placed nothing, so that it does not count: the service refused
 * it (a 4xx). A 5xx (timeout, unavailable) may have placed it and still counts.
 */
export function placedNothing(httpStatus: number): boolean {
  return httpStatus < 500;
}

/** Binance's -1015: the account placed as many new orders as the interval allows. */
function refuseOrder(interval: "TEN_SECONDS" | "DAY", decision: RateLimitDecision): DomainError {
  return new DomainError("TOO_MANY_ORDERS", `Too many new orders; current limit is ${decision.limit} orders per ${interval}.`, [], {
    retryAfterMs: String(Math.max(1, decision.resetMs)),
  });
}

function banned(ip: string, until: number, now: number): DomainError {
  return new DomainError(
    "IP_BANNED",
    `Way too many requests; IP(${ip}) banned until ${until}. Please use WebSocket Streams for live updates to avoid bans.`,
    [],
    { retryAfterMs: String(Math.max(1, until - now)) },
  );
}

/** Which limit refused a request (the label of exchange_edge_rate_limit_refusals_total). */
export type RateLimitName = "ip_weight_1m" | "api_key_weight_1m" | "orders_10s" | "orders_1d" | "ip_banned";

const weightUsage = (decision: RateLimitDecision): RateLimitUsage => ({ rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: decision.limit, count: decision.count });

export class RateLimiter {
  constructor(
    private readonly cache: Cache,
    private readonly limits: RateLimits,
    private readonly now: () => number,
    /** Hears each refusal (metrics). */
    private readonly onRefused?: (limit: RateLimitName) => void,
  ) {}

  /**
   * Counts the request's weight against its IP; a banned IP is refused 418 until its ban ends. The
   * ban is read beside the count (one round trip to a shared cache, not two).
   */
  async admitIp(ip: string, weight: number): Promise<Admission> {
    const now = this.now();
    const [ban, decision] = await Promise.all([
      this.cache.get(`edge:ban:${ip}`),
      fixedWindowRateLimit(this.cache, { key: `edge:ip:${ip}`, limit: this.limits.ipWeightPerMinute, windowMs: MINUTE, weight }, now),
    ]);
    const headers = { "X-MBX-USED-WEIGHT-1M": String(decision.count) };
    const usage = [weightUsage(decision)];
    const bannedUntil = Number(ban);
    if (ban !== undefined && bannedUntil > now) {
      this.onRefused?.("ip_banned");
      return { headers, usage, refused: banned(ip, bannedUntil, now) };
    }
    if (decision.allowed) return { headers, usage };
    this.onRefused?.("ip_weight_1m");
    return { headers, usage, refused: (await this.banWhenPersistent(ip, now)) ?? refuse("request weight per minute per IP", decision) };
  }

  /** The IP's ban as the refusal to answer (418 with retryAfterMs), or undefined when it is not banned; counts nothing. */
  async banOf(ip: string): Promise<DomainError | undefined> {
    const now = this.now();
    const until = Number(await this.cache.get(`edge:ban:${ip}`));
    if (!(until > now)) return undefined;
    this.onRefused?.("ip_banned");
    return banned(ip, until, now);
  }

  /** Counts a 429 of `ip`; past the allowance, bans it (a key with the ban's end, living as long as the ban). */
  private async banWhenPersistent(ip: string, now: number): Promise<DomainError | undefined> {
    const allowance = this.limits.ipBanAfter429sPerMinute ?? DEFAULT_RATE_LIMITS.ipBanAfter429sPerMinute;
    const refusals = await fixedWindowRateLimit(this.cache, { key: `edge:429:${ip}`, limit: allowance, windowMs: MINUTE }, now);
    if (refusals.allowed) return undefined;
    const banMs = this.limits.ipBanMs ?? DEFAULT_RATE_LIMITS.ipBanMs;
    const until = now + banMs;
    await this.cache.set(`edge:ban:${ip}`, String(until), { ttlMs: banMs });
    this.onRefused?.("ip_banned");
    return banned(ip, until, now);
  }

  /** Counts the request's weight against the API key that signed it. */
  async admitApiKey(apiKey: string, weight: number): Promise<Admission> {
    const decision = await fixedWindowRateLimit(this.cache, { key: `edge:key:${apiKey}`, limit: this.limits.apiKeyWeightPerMinute, windowMs: MINUTE, weight }, this.now());
    const headers = { "X-MBX-USED-WEIGHT-1M": String(decision.count) };
    if (!decision.allowed) this.onRefused?.("api_key_weight_1m");
    return { headers, usage: [weightUsage(decision)], refused: decision.allowed ? undefined : refuse("request weight per minute per API key", decision) };
  }

  /** Counts `orders` new orders of the account (10 s and 1 day windows): 1, or an order list's orders. */
  async admitOrder(userId: string, orders = 1): Promise<OrderAdmission> {
    const now = this.now();
    const admission = await this.countOrders(userId, orders, now);
    return { ...admission, giveBack: () => this.countOrders(userId, -orders, now) };
  }

  /** The account's order counters as they stand, counting nothing (account.rateLimits.orders). */
  async orderUsage(userId: string): Promise<readonly RateLimitUsage[]> {
    return (await this.countOrders(userId, 0, this.now())).usage;
  }

  /** Adds `weight` (negative: gives back) to the windows `now` falls in. */
  private async countOrders(userId: string, weight: number, now: number): Promise<Admission> {
    // Two counters, each one atomic increment; sent together so the order waits one round trip.
    const [short, day] = await Promise.all([
      fixedWindowRateLimit(this.cache, { key: `edge:orders:${userId}`, limit: this.limits.ordersPer10s, windowMs: 10_000, weight }, now),
      fixedWindowRateLimit(this.cache, { key: `edge:orders:${userId}`, limit: this.limits.ordersPerDay, windowMs: DAY, weight }, now),
    ]);
    const headers = { "X-MBX-ORDER-COUNT-10S": String(short.count), "X-MBX-ORDER-COUNT-1D": String(day.count) };
    const usage: RateLimitUsage[] = [
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: short.limit, count: short.count },
      { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: day.limit, count: day.count },
    ];
    const refused = !short.allowed ? refuseOrder("TEN_SECONDS", short) : !day.allowed ? refuseOrder("DAY", day) : undefined;
    if (refused && weight > 0) this.onRefused?.(!short.allowed ? "orders_10s" : "orders_1d");
    return { headers, usage, refused };
  }
}
