import { ConnectError } from "@connectrpc/connect";
import { ROOT_CONTEXT, SpanKind } from "@opentelemetry/api";
import type { Principal } from "#gen/exchange/auth/v1/auth_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { NodeRequest, NodeResponse } from "#kit/rpc/server.js";
import { tracingEnabled, withSpan } from "#kit/telemetry/tracing.js";
import { authenticateApiKey, authenticateSigned, signedParts } from "../auth/signed-request.js";
import type { RateLimiter } from "../rate-limit/rate-limiter.js";
import { BodyTooLargeError, readBody, restErrorOf, sendJson, type RestRequest } from "./http.js";
import { dispatch, type Credentials, type Outcome } from "./dispatch.js";
import type { Params } from "./params.js";
import type { EdgeServices } from "./services.js";

/** Binance's security types: NONE (public), USER_STREAM (API key, no signature), USER_DATA (READ) and TRADE. */
export type Security = "NONE" | "USER_STREAM" | "USER_DATA" | "TRADE";

export interface RouteContext {
  readonly request: RestRequest;
  readonly params: Params;
  readonly services: EdgeServices;
  /** Set for USER_STREAM, USER_DATA and TRADE routes: the account is always principal.userId. */
  readonly principal: Principal | undefined;
  readonly now: () => number;
  /** A route that takes its own order-rate refusal (orderLimitToRoute): why the new order may not be placed. */
  readonly ordersRefused?: Error;
}

export interface Route {
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  readonly path: string;
  readonly security: Security;
  /** Binance request weight, possibly depending on the parameters. */
  readonly weight: number | ((params: Params) => number);
  /** How many new orders a call counts for the order-rate limits (Binance: an OCO or OTO 2, an OTOCO 3). */
  readonly placesOrder?: number;
  /** An order-rate refusal is handed to the route (ordersRefused) rather than answered: cancelReplace's orderRateLimitExceededMode. */
  readonly orderLimitToRoute?: boolean;
  /**
   * Whether a call that failed still placed its order (it keeps counting toward ORDERS); absent: it
   * did when the failure is a 5xx (unknown outcome), not when it is a 4xx refusal.
   */
  readonly placedDespite?: (error: unknown) => boolean;
  handle(context: RouteContext): Promise<unknown>;
}

export interface RouterDeps {
  readonly services: EdgeServices;
  readonly limiter: RateLimiter;
  readonly now: () => number;
  /** Take the client IP from X-Forwarded-For (only behind a trusted proxy). */
  readonly trustForwardedFor: boolean;
  /** Paths this router answers (unknown ones under them are 404 with Binance's body). */
  readonly prefixes: readonly string[];
  /** Hears each answered request: its route (path template), method, HTTP status and duration (metrics). */
  readonly observe?: (route: string, method: string, status: number, seconds: number) => void;
}

/** The client's IP: the socket's address, or the first X-Forwarded-For entry behind a trusted proxy. */
export function clientIpOf(request: Pick<NodeRequest, "headers" | "socket">, trustForwardedFor: boolean): string {
  const forwarded = request.headers["x-forwarded-for"];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
  const ip = (trustForwardedFor && first) || request.socket.remoteAddress || "unknown";
  return ip.startsWith("::ffff:") ? ip.slice("::ffff:".length) : ip;
}

function mergeParams(rawQuery: string, rawBody: string): URLSearchParams {
  const params = new URLSearchParams(rawQuery);
  for (const [key, value] of new URLSearchParams(rawBody)) params.set(key, value);
  return params;
}

export function retryAfterMsOf(error: unknown): number | undefined {
  if (error instanceof DomainError) return error.metadata.retryAfterMs ? Number(error.metadata.retryAfterMs) : undefined;
  if (error instanceof ConnectError) {
    const value = error.findDetails(ErrorInfoSchema)[0]?.metadata.retryAfterMs;
    return value ? Number(value) : undefined;
  }
  return undefined;
}

/** REST's credentials: X-MBX-APIKEY, and the signature over the query string and body as sent. */
function headerCredentials(services: EdgeServices, request: RestRequest): Credentials {
  return {
    apiKey: () => authenticateApiKey(services.auth, request.headers["x-mbx-apikey"], request.clientIp),
    signed: (permission) => authenticateSigned(services.auth, signedParts(request.headers["x-mbx-apikey"], request.rawQuery, request.rawBody), request.clientIp, permission),
  };
}

/** Writes the outcome: 200 with the answer, or the error's status, Binance body and headers. */
function send(request: NodeRequest, response: NodeResponse, outcome: Outcome): void {
  const headers = { ...outcome.headers };
  if (outcome.ok) {
    sendJson(response, 200, outcome.body, headers);
    return;
  }
  const { error } = outcome;
  const { status, body } = restErrorOf(error);
  const retryAfterMs = status === 429 || status === 418 ? retryAfterMsOf(error) : undefined;
  if (retryAfterMs !== undefined) headers["Retry-After"] = String(Math.ceil(retryAfterMs / 1000));
  // The rest of an oversize body was left unread: the connection cannot carry another request.
  if (error instanceof BodyTooLargeError && error.close && request.httpVersionMajor === 1) headers.Connection = "close";
  if (!response.headersSent) sendJson(response, status, body, headers);
  else response.end();
}

/** A node:http handler for `routes`: false when the path is under none of the prefixes (falls through). */
export function restRouter(routes: readonly Route[], deps: RouterDeps): (request: NodeRequest, response: NodeResponse) => Promise<boolean> {
  const byKey = new Map(routes.map((route) => [`${route.method} ${route.path}`, route]));
  const serve = async (request: NodeRequest, response: NodeResponse, url: string, queryAt: number, path: string): Promise<boolean> => {
    const started = deps.observe ? process.hrtime.bigint() : 0n;
    let route: Route | undefined;
    try {
      route = byKey.get(`${request.method ?? "GET"} ${path}`);
      if (!route) {
        sendJson(response, 404, { code: -1000, msg: `Unknown endpoint: ${request.method} ${path}` });
        return true;
      }
      let outcome: Outcome;
      try {
        const rawQuery = queryAt < 0 ? "" : url.slice(queryAt + 1);
        const rawBody = request.method === "GET" ? "" : await readBody(request);
        const clientIp = clientIpOf(request, deps.trustForwardedFor);
        const params = mergeParams(rawQuery, rawBody);
        const rest: RestRequest = { method: route.method, path, rawQuery, rawBody, params, headers: request.headers, clientIp };
        outcome = await dispatch(route, rest, headerCredentials(deps.services, rest), deps);
      } catch (error) {
        outcome = { ok: false, error, headers: {}, usage: [] };
      }
      send(request, response, outcome);
    } finally {
      deps.observe?.(route?.path ?? "unknown", request.method ?? "GET", response.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    }
    return true;
  };
  return (request, response) => {
    const url = request.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt < 0 ? url : url.slice(0, queryAt);
    if (!deps.prefixes.some((prefix) => path.startsWith(prefix))) return Promise.resolve(false);
    if (!tracingEnabled()) return serve(request, response, url, queryAt, path);
    // A trace starts here for each REST call (a client's traceparent is not trusted).
    const method = request.method ?? "GET";
    const route = byKey.has(`${method} ${path}`) ? path : "unknown";
    return withSpan(`${method} ${route}`, { "http.request.method": method, "http.route": route }, () => serve(request, response, url, queryAt, path), { kind: SpanKind.SERVER, parent: ROOT_CONTEXT });
  };
}

/** The authenticated principal of a USER_DATA / TRADE route. */
export function principalOf(context: RouteContext): Principal {
  if (!context.principal) throw new DomainError("UNAUTHORIZED");
  return context.principal;
}
