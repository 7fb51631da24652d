import { Permission, type Principal } from "#gen/exchange/auth/v1/auth_pb.js";
import { placedNothing, type OrderAdmission, type RateLimitUsage, type RateLimiter } from "../rate-limit/rate-limiter.js";
import { restErrorOf, type RestRequest } from "./http.js";
import { Params } from "./params.js";
import type { Route } from "./router.js";
import type { EdgeServices } from "./services.js";

// One call of a Binance route, whichever door it came through (REST /api/v3 or the WebSocket API):
// the IP's weight, then the caller's credentials as the route's security asks, the API key's
// weight, the order counters, then the route itself. Each door only says how its caller proves
// who it is (Credentials) and how the answer is written. A placement that placed nothing (refused
// by the order counters, a filter, the balance...) is taken out of the order counters again, as
// Binance counts only successful ones; the answer's headers and counters say so.

/** How a call proves who it is; each is asked only when the route's security needs it. */
export interface Credentials {
  /** USER_STREAM: the API key alone (key and IP allow-list checked by auth). */
  apiKey(): Promise<Principal>;
  /** USER_DATA and TRADE: a signed request (or an authenticated session) with the permission. */
  signed(permission: Permission): Promise<Principal>;
}

export interface DispatchDeps {
  readonly services: EdgeServices;
  readonly limiter: RateLimiter;
  readonly now: () => number;
}

/** What happened: the answer or the error, the headers REST sends and the counters the WebSocket API reports. */
export type Outcome = ({ readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly error: unknown }) & {
  readonly headers: Record<string, string>;
  readonly usage: readonly RateLimitUsage[];
};

/** The route's weight for these parameters. */
export function weightOf(route: Route, params: Params): number {
  return typeof route.weight === "number" ? route.weight : route.weight(params);
}

export async function dispatch(route: Route, request: RestRequest, credentials: Credentials, deps: DispatchDeps): Promise<Outcome> {
  const headers: Record<string, string> = {};
  const usage: RateLimitUsage[] = [];
  let orders: OrderAdmission | undefined;
  let orderUsage: readonly RateLimitUsage[] = [];
  try {
    const params = new Params(request.params);
    const weight = weightOf(route, params);
    const ip = await deps.limiter.admitIp(request.clientIp, weight);
    Object.assign(headers, ip.headers);
    usage.push(...ip.usage);
    if (ip.refused) throw ip.refused;

    let principal: Principal | undefined;
    let ordersRefused: Error | undefined;
    if (route.security === "USER_STREAM") {
      principal = await credentials.apiKey();
      const key = await deps.limiter.admitApiKey(principal.apiKey, weight);
      if (key.refused) throw key.refused;
    } else if (route.security !== "NONE") {
      principal = await credentials.signed(route.security === "TRADE" ? Permission.TRADE : Permission.READ);
      const key = await deps.limiter.admitApiKey(principal.apiKey, weight);
      if (key.refused) throw key.refused;
      if (route.placesOrder) {
        orders = await deps.limiter.admitOrder(principal.userId, route.placesOrder);
        Object.assign(headers, orders.headers);
        orderUsage = orders.usage;
        if (orders.refused && !route.orderLimitToRoute) throw orders.refused;
        ordersRefused = orders.refused;
      }
    }
    const body = await route.handle({ request, params, services: deps.services, principal, now: deps.now, ordersRefused });
    return { ok: true, body, headers, usage: [...orderUsage, ...usage] };
  } catch (error) {
    if (orders && !(route.placedDespite?.(error) ?? !placedNothing(restErrorOf(error).status))) {
      // A counter that cannot be corrected keeps the count: the refusal is still the answer.
      const after = await orders.giveBack().catch(() => undefined);
      if (after) {
        Object.assign(headers, after.headers);
        orderUsage = after.usage;
      }
    }
    return { ok: false, error, headers, usage: [...orderUsage, ...usage] };
  }
}
