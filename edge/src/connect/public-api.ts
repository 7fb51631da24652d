import { cors as connectCors, createContextValues } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { NodeRequest, NodeResponse } from "#kit/rpc/server.js";
import type { RateLimiter } from "../rate-limit/rate-limiter.js";
import { clientIpOf as socketIpOf } from "../rest/router.js";
import type { EdgeServices } from "../rest/services.js";
import { callerInterceptor, clientIpKey, publicErrorInterceptor } from "./caller.js";
import { publicConnectRoutes } from "./public.routes.js";

// The public Connect API for browsers and SDKs: Connect (JSON and binary) and gRPC-Web, plus gRPC
// on the h2c port, under PUBLIC_CONNECT_PREFIX on the edge's ports. The services' own APIs are
// served at the root paths in embedded mode and must never be reachable from outside, so the
// public one has its own prefix, its own allow-list and its own interceptors.

export const PUBLIC_CONNECT_PREFIX = "/connect";

/** Headers the edge adds to answers (rate-limit counters), readable by browser scripts. */
const EDGE_HEADERS = ["X-MBX-USED-WEIGHT-1M", "X-MBX-ORDER-COUNT-10S", "X-MBX-ORDER-COUNT-1D", "Retry-After"];
const PREFLIGHT_MAX_AGE_SECONDS = 7200;

export interface PublicConnectDeps {
  readonly services: EdgeServices;
  readonly limiter: RateLimiter;
  /** Take the client IP from X-Forwarded-For (only behind a trusted proxy). */
  readonly trustForwardedFor: boolean;
  /** Origins allowed to call from a browser (exact, e.g. https://app.example.com); none by default. */
  readonly corsOrigins: readonly string[];
  readonly onError?: (error: unknown, context: string) => void;
}

/**
 * CORS headers for a request from `origin`: none unless the origin is allowed. A preflight gets
 * the methods and headers Connect and gRPC-Web send (plus authorization); an actual request the
 * headers a client must read (Connect's, gRPC-Web's trailers, the edge's rate-limit counters).
 * No credentials: the token travels in the authorization header, not in cookies.
 */
export function corsHeaders(origin: string | undefined, allowed: readonly string[], preflight: boolean): Record<string, string> {
  if (!origin || !allowed.includes(origin)) return {};
  const headers: Record<string, string> = { "Access-Control-Allow-Origin": origin, Vary: "Origin" };
  if (preflight) {
    headers["Access-Control-Allow-Methods"] = connectCors.allowedMethods.join(", ");
    headers["Access-Control-Allow-Headers"] = [...connectCors.allowedHeaders, "Authorization"].join(", ");
    headers["Access-Control-Max-Age"] = String(PREFLIGHT_MAX_AGE_SECONDS);
  } else {
    headers["Access-Control-Expose-Headers"] = [...connectCors.exposedHeaders, ...EDGE_HEADERS].join(", ");
  }
  return headers;
}

function headerOf(request: NodeRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A node:http handler for the public Connect API: false when the path is not under the prefix (falls through). */
export function publicConnectApi(deps: PublicConnectDeps): (request: NodeRequest, response: NodeResponse) => boolean {
  const handler = connectNodeAdapter({
    routes: publicConnectRoutes(deps.services, deps.limiter),
    requestPathPrefix: PUBLIC_CONNECT_PREFIX,
    interceptors: [publicErrorInterceptor(deps.onError), callerInterceptor({ services: deps.services, limiter: deps.limiter })],
    contextValues: (request) => createContextValues().set(clientIpKey, socketIpOf(request, deps.trustForwardedFor)),
    // Under the prefix but no allow-listed RPC: Connect and gRPC-Web clients read 404 as Unimplemented.
    fallback: (_request, response) => {
      response.writeHead(404, { "content-type": "application/json" });
      response.end(JSON.stringify({ code: "unimplemented", message: "Not served by the public API." }));
    },
  });
  return (request, response) => {
    const url = request.url ?? "/";
    if (!url.startsWith(`${PUBLIC_CONNECT_PREFIX}/`)) return false;
    const origin = headerOf(request, "origin");
    if (request.method === "OPTIONS") {
      const preflight = headerOf(request, "access-control-request-method") !== undefined;
      response.writeHead(204, corsHeaders(origin, deps.corsOrigins, preflight));
      response.end();
      return true;
    }
    for (const [name, value] of Object.entries(corsHeaders(origin, deps.corsOrigins, false))) response.setHeader(name, value);
    handler(request as never, response as never);
    return true;
  };
}
