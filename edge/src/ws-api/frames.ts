import type { RateLimitUsage } from "../rate-limit/rate-limiter.js";
import { idNumber } from "../rest/http.js";

// Binance's WebSocket API frames (pure: no I/O). A request is `{id, method, params}` in a text
// frame; the answer `{id, status, result | error, rateLimits}`, with HTTP's status codes and
// Binance's {code, msg}. Parameters become the same strings a REST query string would carry, so
// the REST routes parse them unchanged.

/** A request id as Binance takes it: an integer, a string, or null (echoed back untouched). */
export type RequestId = number | string | null;

export interface ApiRequest {
  readonly id: RequestId;
  /** Without a "v3/" prefix. */
  readonly method: string;
  /** Every parameter as its REST string; booleans "true"/"false", arrays as JSON. */
  readonly params: ReadonlyMap<string, string>;
}

export interface ErrorBody {
  readonly code: number;
  readonly msg: string;
  readonly data?: unknown;
}

export interface ApiResponse {
  readonly id: RequestId;
  readonly status: number;
  readonly result?: unknown;
  readonly error?: ErrorBody;
  readonly rateLimits?: readonly RateLimitUsage[];
}

/** Binance's -1135 for a frame that is not a request; the id when one could be read. */
const invalid = (id: RequestId, msg: string): { readonly invalid: ApiResponse } => ({ invalid: { id, status: 400, error: { code: -1135, msg } } });

const MAX_ID_LENGTH = 36;

/** One text frame as a request, or the answer to a malformed one. */
export function parseRequest(text: string): ApiRequest | { readonly invalid: ApiResponse } {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return invalid(null, "Invalid JSON Request");
  }
  if (typeof message !== "object" || message === null || Array.isArray(message)) return invalid(null, "Invalid JSON Request; expected an object.");
  const body = message as Record<string, unknown>;
  const rawId = body.id;
  const idOk = rawId === null || (typeof rawId === "number" && Number.isSafeInteger(rawId)) || (typeof rawId === "string" && rawId.length <= MAX_ID_LENGTH);
  if (rawId === undefined || !idOk) return invalid(null, `Invalid 'id' in JSON request; expected an integer, a string of at most ${MAX_ID_LENGTH} characters, or null.`);
  const id = rawId as RequestId;
  if (typeof body.method !== "string" || body.method === "") return invalid(id, "Invalid 'method' in JSON request; expected a string.");
  const method = body.method.startsWith("v3/") ? body.method.slice("v3/".length) : body.method;
  const rawParams = body.params ?? {};
  if (typeof rawParams !== "object" || rawParams === null || Array.isArray(rawParams)) return invalid(id, "Invalid 'params' in JSON request; expected an object.");
  const params = new Map<string, string>();
  for (const [name, value] of Object.entries(rawParams)) {
    const text = paramText(value);
    if (text === undefined) return invalid(id, `JSON sent for parameter '${name}' is not valid`);
    params.set(name, text);
  }
  return { id, method, params };
}

/** A parameter's value as REST would carry it; undefined for objects and nulls, which no method takes. */
function paramText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) return JSON.stringify(value);
  return undefined;
}

/** What a signed request signs: every parameter but `signature`, sorted by name, as `name=value` joined by `&`. */
export function signaturePayload(params: ReadonlyMap<string, string>): string {
  return [...params]
    .filter(([name]) => name !== "signature")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** The answer as one JSON text: ids (bigint) as numbers, as REST writes them. */
export function responseText(response: ApiResponse): string {
  return JSON.stringify(response, (_key, value: unknown) => (typeof value === "bigint" ? idNumber(value) : value));
}
