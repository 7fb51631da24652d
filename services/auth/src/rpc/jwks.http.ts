import type { ServerResponse } from "node:http";
import type { NodeRequest, NodeResponse } from "#kit/rpc/server.js";

export const JWKS_PATH = "/.well-known/jwks.json";

/**
 * Serves the JWKS at /.well-known/jwks.json, in the shape of the kit's HandlerOptions.fallback
 * (returns false for any other path), so resource servers can verify our tokens offline.
 */
export function jwksHttpRoute(jwks: () => Promise<string>) {
  return async (request: NodeRequest, response: NodeResponse): Promise<boolean> => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== JWKS_PATH || (request.method !== "GET" && request.method !== "HEAD")) return false;
    const body = await jwks();
    const out = response as ServerResponse;
    out.writeHead(200, { "content-type": "application/jwk-set+json", "cache-control": "public, max-age=300" });
    if (request.method === "HEAD") out.end();
    else out.end(body);
    return true;
  };
}
