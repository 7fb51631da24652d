import type { Client } from "@connectrpc/connect";
import type { AuthService, Permission, Principal } from "#gen/exchange/auth/v1/auth_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";

// Binance's SIGNED endpoints: the API key in the X-MBX-APIKEY header; `timestamp`, optional
// `recvWindow` and `signature` in the query string or the x-www-form-urlencoded body. The
// signed payload ("totalParams") is the query string concatenated with the body, both exactly as
// sent, minus the `signature` parameter. auth checks key, IP, timestamp, signature, replay and
// permission (auth.v1 Authenticate); the edge only extracts and forwards.

export interface SignedParts {
  readonly apiKey: string;
  readonly payload: string;
  readonly signature: string;
}

/** Removes `signature=...` from a raw query string or body; returns the rest and the raw signature. */
export function withoutSignature(raw: string): { rest: string; signature: string | undefined } {
  if (raw === "") return { rest: "", signature: undefined };
  let signature: string | undefined;
  const kept: string[] = [];
  for (const part of raw.split("&")) {
    if (part.startsWith("signature=")) signature = part.slice("signature=".length);
    else kept.push(part);
  }
  return { rest: kept.join("&"), signature };
}

export function signedParts(apiKeyHeader: string | string[] | undefined, rawQuery: string, rawBody: string): SignedParts {
  const apiKey = Array.isArray(apiKeyHeader) ? apiKeyHeader[0] : apiKeyHeader;
  if (!apiKey) throw new DomainError("BAD_API_KEY_FORMAT");
  const query = withoutSignature(rawQuery);
  const body = withoutSignature(rawBody);
  const signature = body.signature ?? query.signature;
  if (!signature) {
    throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.", [{ field: "signature", description: "required" }]);
  }
  // auth accepts a percent-encoded Ed25519 signature as sent; HMAC hex is the same either way.
  return { apiKey, payload: query.rest + body.rest, signature };
}

/** Authenticates a signed request with auth; the principal's user id is the only account the call may touch. */
export async function authenticateSigned(auth: Client<typeof AuthService>, parts: SignedParts, clientIp: string, requiredPermission: Permission): Promise<Principal> {
  const { principal } = await auth.authenticate({ credential: { case: "signed", value: { apiKey: parts.apiKey, payload: parts.payload, signature: parts.signature, clientIp } }, requiredPermission });
  if (!principal?.userId) throw new DomainError("UNAUTHORIZED");
  return principal;
}

/**
 * Binance's USER_STREAM security: the X-MBX-APIKEY header alone, checked by auth (key and IP
 * allow-list); with `requiredPermission`, the key must also have it (a WebSocket API session's key).
 */
export async function authenticateApiKey(auth: Client<typeof AuthService>, apiKeyHeader: string | string[] | undefined, clientIp: string, requiredPermission?: Permission): Promise<Principal> {
  const apiKey = Array.isArray(apiKeyHeader) ? apiKeyHeader[0] : apiKeyHeader;
  if (!apiKey) throw new DomainError("BAD_API_KEY_FORMAT");
  const { principal } = await auth.authenticate({ credential: { case: "apiKey", value: { apiKey, clientIp } }, requiredPermission });
  if (!principal?.userId) throw new DomainError("UNAUTHORIZED");
  return principal;
}
