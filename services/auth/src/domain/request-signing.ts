import { createHmac, createPublicKey, timingSafeEqual, verify as verifySignature, type KeyObject } from "node:crypto";
import { DomainError } from "#kit/errors/domain-error.js";

// Binance-style signed requests: the client signs the exact query string / body it sends
// (timestamp and recvWindow included, signature excluded) with HMAC-SHA256 (hex) or
// Ed25519 (base64). Pure computation, no I/O.

// Timing (timestamp, recvWindow) is shared with the edge, which checks it itself for requests of an
// authenticated WebSocket API session (no signature to send here).
export { DEFAULT_RECV_WINDOW_MS, MAX_RECV_WINDOW_MS, MAX_FUTURE_MS, parseTiming, assertFresh, type SignedTiming } from "#kit/auth/request-timing.js";

export function hmacSha256Hex(secret: string, payload: string): string {
  return createHmac("sha256", secret).update(payload, "utf8").digest("hex");
}

/** Constant-time check of a hex HMAC-SHA256 signature. */
export function isValidHmacSignature(secret: string, payload: string, signature: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) return false;
  const expected = Buffer.from(hmacSha256Hex(secret, payload), "hex");
  return timingSafeEqual(expected, Buffer.from(signature, "hex"));
}

const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Accepts a PEM SPKI public key or the base64 of the raw 32-byte key; throws -1130 when it is neither. */
export function parseEd25519PublicKey(text: string): KeyObject {
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith("-----BEGIN")
      ? createPublicKey(trimmed)
      : createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, rawKey(trimmed)]), format: "der", type: "spki" });
    if (key.asymmetricKeyType !== "ed25519") throw new Error("not an Ed25519 key");
    return key;
  } catch {
    throw new DomainError("INVALID_PARAMETER", "public_key must be an Ed25519 public key (PEM or base64 of the 32 raw bytes).", [{ field: "public_key", description: "Ed25519 public key" }]);
  }
}

function rawKey(base64: string): Buffer {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length !== 32) throw new Error("raw Ed25519 keys are 32 bytes");
  return bytes;
}

/** Checks a base64 Ed25519 signature (percent-encoded or not) over the payload. */
export function isValidEd25519Signature(publicKeyPem: string, payload: string, signature: string): boolean {
  const bytes = ed25519SignatureBytes(signature);
  if (bytes === undefined) return false;
  return verifySignature(null, Buffer.from(payload, "utf8"), createPublicKey(publicKeyPem), bytes);
}

/** The 64 bytes of a base64 (optionally percent-encoded) Ed25519 signature, or undefined. */
function ed25519SignatureBytes(signature: string): Buffer | undefined {
  const decoded = signature.includes("%") ? safeDecode(signature) : signature;
  if (decoded === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(decoded)) return undefined;
  const bytes = Buffer.from(decoded, "base64");
  return bytes.length === 64 ? bytes : undefined;
}

/**
 * What a signature the checks above accepted stands for, as lowercase hex of its bytes: the replay
 * key. The same signature has many spellings that verify (hex in either case; base64 percent-encoded,
 * with or without padding, with other values in the unused low bits of its last character), and a
 * replay check on the text would take each one for a new request.
 */
export function canonicalSignature(type: "hmac-sha256" | "ed25519", signature: string): string {
  if (type === "hmac-sha256") return signature.toLowerCase();
  const bytes = ed25519SignatureBytes(signature);
  if (bytes === undefined) throw new Error("canonicalSignature: not a valid Ed25519 signature encoding");
  return bytes.toString("hex");
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** True when `clientIp` is in the allow-list (an empty list allows every address). */
export function isIpAllowed(allowList: readonly string[], clientIp: string): boolean {
  if (allowList.length === 0) return true;
  const normalized = normalizeIp(clientIp);
  return allowList.some((allowed) => normalizeIp(allowed) === normalized);
}

function normalizeIp(ip: string): string {
  const trimmed = ip.trim().toLowerCase();
  return trimmed.startsWith("::ffff:") && trimmed.includes(".") ? trimmed.slice("::ffff:".length) : trimmed;
}
