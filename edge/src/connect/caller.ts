import { Code, ConnectError, createContextKey, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import type { Principal } from "#gen/exchange/auth/v1/auth_pb.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { placedNothing, type OrderAdmission, type RateLimiter } from "../rate-limit/rate-limiter.js";
import { restErrorOf } from "../rest/http.js";
import type { EdgeServices } from "../rest/services.js";
import { PUBLIC_METHODS, permissionFor } from "./public-methods.js";

// Who calls the public Connect API, and whether they may: the client IP (set by the adapter from
// the socket, or X-Forwarded-For behind a trusted proxy), the bearer token verified through auth's
// Authenticate, and the edge's rate limits, as for REST.

/** The authenticated caller, set by callerInterceptor for every RPC that is not public. */
export const callerKey = createContextKey<Principal | undefined>(undefined, { description: "exchange.edge.caller" });
/** The client IP, set by the adapter before any interceptor runs. */
export const clientIpKey = createContextKey<string>("unknown", { description: "exchange.edge.client-ip" });

export function callerOf(context: HandlerContext): Principal {
  const principal = context.values.get(callerKey);
  if (!principal?.userId) throw new DomainError("UNAUTHORIZED", "Authentication required: send authorization: Bearer <access token>.");
  return principal;
}

export function clientIpOf(context: HandlerContext): string {
  return context.values.get(clientIpKey);
}

/** The token of an `authorization: Bearer <token>` header, if any. */
export function bearerTokenOf(headers: Headers): string | undefined {
  const value = headers.get("authorization");
  const match = value ? /^Bearer\s+(\S+)\s*$/i.exec(value) : null;
  return match?.[1];
}

/**
 * Outermost: what leaves the public API is a Connect code with the domain error's details
 * (ErrorInfo reason = Binance code, BadRequest), never a stack or an internal message; a server
 * stream's errors too, which its handler throws while the messages are read (another account named).
 */
export function publicErrorInterceptor(onError?: (error: unknown, context: string) => void): Interceptor {
  return (next) => async (request) => {
    const internal = (e: unknown) => onError?.(e, `connect ${request.url}`);
    try {
      const response = await next(request);
      if (!response.stream) return response;
      return { ...response, message: publicErrorsOf(response.message, internal) };
    } catch (error) {
      throw toPublicError(error, internal);
    }
  };
}

async function* publicErrorsOf<T>(messages: AsyncIterable<T>, onInternal: (error: unknown) => void): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw toPublicError(error, onInternal);
  }
}

/** What the public API may say of an error: a domain error's code and details, a service's answer without its headers, else Internal. */
export function toPublicError(error: unknown, onInternal?: (error: unknown) => void): ConnectError {
  if (error instanceof DomainError) return withRetryAfter(toConnectError(error), error);
  if (error instanceof ConnectError) {
    // A service's answer: its code, message and details, not the headers of that internal call.
    return new ConnectError(error.rawMessage, error.code, undefined, error.details as ConstructorParameters<typeof ConnectError>[3]);
  }
  onInternal?.(error);
  return new ConnectError("Internal error.", Code.Internal);
}

/** A rate-limit refusal also says when to come back, as REST does: Retry-After in whole seconds, rounded up. */
function withRetryAfter(connect: ConnectError, error: DomainError): ConnectError {
  const retryAfterMs = Number(error.metadata.retryAfterMs);
  if ((error.key === "TOO_MANY_REQUESTS" || error.key === "TOO_MANY_ORDERS" || error.key === "IP_BANNED") && Number.isFinite(retryAfterMs)) {
    connect.metadata.set("retry-after", String(Math.ceil(retryAfterMs / 1000)));
  }
  return connect;
}

/** A call that placed nothing leaves the order counters as they were (Binance counts successful placements); a counter that cannot be corrected keeps the count. */
async function giveBack(orders: OrderAdmission, headers: Record<string, string>): Promise<void> {
  const after = await orders.giveBack().catch(() => undefined);
  if (after) Object.assign(headers, after.headers);
}

export interface CallerDeps {
  readonly services: EdgeServices;
  readonly limiter: RateLimiter;
  /** The clock the withdrawal lock is read against (default Date.now). */
  readonly now?: () => number;
}

/**
 * Withdrawals (and allow-list changes) wait 24 h after a password, MFA or API-key change: auth
 * says until when in the principal (`withdrawal_locked_until`, 0 when not locked).
 */
export function assertWithdrawalsUnlocked(principal: Principal, now: number): void {
  const until = Number(principal.withdrawalLockedUntil);
  if (until <= now) return;
  throw new DomainError(
    "WITHDRAWALS_LOCKED",
    `Withdrawals are locked until ${new Date(until).toISOString()} after a security change (password, two-factor authentication or API key).`,
    [],
    { lockedUntil: String(until) },
  );
}

/**
 * Admits each call: the IP's request weight; for RPCs that are not public, a bearer token that
 * auth's Authenticate accepts with the permission the RPC needs, then the user's request weight
 * and, for new orders, the order-rate limits (given back when the call placed nothing). Puts the
 * principal in the context (callerKey).
 */
export function callerInterceptor(deps: CallerDeps): Interceptor {
  return (next) => async (request) => {
    const policy = PUBLIC_METHODS.get(`${request.service.typeName}/${request.method.name}`);
    if (!policy) throw new ConnectError(`${request.method.name} is not served by the public API`, Code.Unimplemented);
    const headers: Record<string, string> = {};
    let orders: OrderAdmission | undefined;
    const ip = await deps.limiter.admitIp(request.contextValues.get(clientIpKey), policy.weight);
    Object.assign(headers, ip.headers);
    if (ip.refused) throw ip.refused;
    if (policy.access !== "public") {
      const token = bearerTokenOf(request.header);
      if (!token) throw new DomainError("UNAUTHORIZED", "Authentication required: send authorization: Bearer <access token>.");
      const { principal } = await deps.services.auth.authenticate({ credential: { case: "bearerToken", value: token }, requiredPermission: permissionFor(policy.access) }, { signal: request.signal });
      if (!principal?.userId) throw new DomainError("UNAUTHORIZED");
      const user = await deps.limiter.admitApiKey(`user:${principal.userId}`, policy.weight);
      Object.assign(headers, user.headers);
      if (user.refused) throw user.refused;
      if (policy.withdrawalLock) assertWithdrawalsUnlocked(principal, deps.now?.() ?? Date.now());
      if (policy.placesOrder) {
        const count = policy.placesOrder === true || request.stream ? 1 : policy.placesOrder(request.message);
        orders = await deps.limiter.admitOrder(principal.userId, count);
        Object.assign(headers, orders.headers);
        if (orders.refused) {
          await giveBack(orders, headers);
          throw orders.refused;
        }
      }
      request.contextValues.set(callerKey, principal);
    }
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(request);
    } catch (error) {
      if (orders && placedNothing(restErrorOf(error).status)) await giveBack(orders, headers);
      throw error;
    }
    if (orders && !response.stream && policy.placed && !policy.placed(response.message)) await giveBack(orders, headers);
    for (const [name, value] of Object.entries(headers)) response.header.set(name, value);
    return response;
  };
}
