import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DomainError } from "#kit/errors/domain-error.js";
import {
  assertFresh,
  isIpAllowed,
  isValidEd25519Signature,
  isValidHmacSignature,
  parseEd25519PublicKey,
  parseTiming,
} from "../../../services/auth/src/domain/request-signing.js";
import { ed25519Client, signHmac } from "./support/auth-harness.js";

const errorOf = (fn: () => unknown): DomainError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
};

describe("Binance request signing", () => {
  it("matches Binance's documented HMAC-SHA256 example", () => {
    const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const payload = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
    expect(signHmac(secret, payload)).toBe("c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    expect(isValidHmacSignature(secret, payload, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")).toBe(true);
    expect(isValidHmacSignature(secret, payload, "C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71")).toBe(true);
    expect(isValidHmacSignature(`${secret}x`, payload, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")).toBe(false);
    expect(isValidHmacSignature(secret, `${payload}0`, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")).toBe(false);
    expect(isValidHmacSignature(secret, payload, "not-hex")).toBe(false);
  });

  it("any change to the signed bytes breaks the HMAC (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), fc.string({ minLength: 1 }), (secret, payload, extra) => {
        const signature = signHmac(secret, payload);
        expect(isValidHmacSignature(secret, payload, signature)).toBe(true);
        expect(isValidHmacSignature(secret, payload + extra, signature)).toBe(false);
      }),
    );
  });

  it("verifies Ed25519 signatures (base64, also percent-encoded) and rejects others", () => {
    const client = ed25519Client();
    const other = ed25519Client();
    const payload = "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=1&timestamp=1668481559918&recvWindow=5000";
    const signature = client.sign(payload);
    expect(isValidEd25519Signature(client.publicKeyPem, payload, signature)).toBe(true);
    expect(isValidEd25519Signature(client.publicKeyPem, payload, encodeURIComponent(signature))).toBe(true);
    expect(isValidEd25519Signature(other.publicKeyPem, payload, signature)).toBe(false);
    expect(isValidEd25519Signature(client.publicKeyPem, `${payload}1`, signature)).toBe(false);
    expect(isValidEd25519Signature(client.publicKeyPem, payload, "AAAA")).toBe(false);
  });

  it("accepts a PEM or raw base64 Ed25519 public key and refuses anything else with -1130", () => {
    const client = ed25519Client();
    const pem = parseEd25519PublicKey(client.publicKeyPem);
    const raw = pem.export({ type: "spki", format: "der" }).subarray(12).toString("base64");
    expect(parseEd25519PublicKey(raw).export({ type: "spki", format: "pem" })).toBe(client.publicKeyPem);
    expect(errorOf(() => parseEd25519PublicKey("hello")).spec.binance).toBe(-1130);
  });

  it("reads timestamp and recvWindow (default 5000, max 60000)", () => {
    expect(parseTiming("a=1&timestamp=1000")).toEqual({ timestamp: 1000, recvWindow: 5000 });
    expect(parseTiming("recvWindow=60000&timestamp=7")).toEqual({ timestamp: 7, recvWindow: 60000 });
    expect(errorOf(() => parseTiming("a=1")).spec.binance).toBe(-1102);
    expect(errorOf(() => parseTiming("timestamp=abc")).spec.binance).toBe(-1102);
    expect(errorOf(() => parseTiming("timestamp=1&recvWindow=60001")).spec.binance).toBe(-1130);
    expect(errorOf(() => parseTiming("timestamp=1&recvWindow=0")).spec.binance).toBe(-1130);
  });

  it("applies Binance's freshness rule at its boundaries: -1021 for stale and future", () => {
    const now = 1_700_000_000_000;
    expect(() => assertFresh({ timestamp: now - 5000, recvWindow: 5000 }, now)).not.toThrow();
    expect(() => assertFresh({ timestamp: now + 999, recvWindow: 5000 }, now)).not.toThrow();
    const stale = errorOf(() => assertFresh({ timestamp: now - 5001, recvWindow: 5000 }, now));
    expect([stale.spec.binance, stale.metadata.cause]).toEqual([-1021, "stale"]);
    const future = errorOf(() => assertFresh({ timestamp: now + 1000, recvWindow: 5000 }, now));
    expect([future.spec.binance, future.metadata.cause]).toEqual([-1021, "future"]);
  });

  it("checks the IP allow-list (empty allows all; IPv4-mapped IPv6 matches IPv4)", () => {
    expect(isIpAllowed([], "1.2.3.4")).toBe(true);
    expect(isIpAllowed(["1.2.3.4"], "1.2.3.4")).toBe(true);
    expect(isIpAllowed(["1.2.3.4"], "::ffff:1.2.3.4")).toBe(true);
    expect(isIpAllowed(["1.2.3.4"], "1.2.3.5")).toBe(false);
    expect(isIpAllowed(["2001:db8::1"], "2001:DB8::1")).toBe(true);
  });
});
