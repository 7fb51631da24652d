import type { RateLimiter } from "../rate-limit/rate-limiter.js";
import { principalOf, type Route } from "./router.js";

// GET /api/v3/rateLimit/order (the WebSocket API's account.rateLimits.orders): the account's
// order counters as they stand, counting nothing.

export function rateLimitRoutes(limiter: RateLimiter): Route[] {
  return [
    {
      method: "GET",
      path: "/api/v3/rateLimit/order",
      security: "USER_DATA",
      weight: 40,
      handle: async (context) => limiter.orderUsage(principalOf(context).userId),
    },
  ];
}
