import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeDoc, encodeDoc, jsonString, makeCommand, parseUnits, type HoldDoc, type SettleTrade } from "../../../services/wallet/src/domain/ledger.js";

// The hot path spells out a settlement's fingerprint text and a hold's stored text by hand.
// Both must stay byte-for-byte what the generic encoders produce: fingerprints are stored with
// every transfer (a retry after an upgrade must still match), and holds are read back by decodeDoc.

const canonical = (value: unknown) => JSON.stringify(value, (_key, inner: unknown) => (typeof inner === "bigint" ? inner.toString() : inner));
const sha = (text: string) => createHash("sha256").update(text).digest("base64url").slice(0, 32);

describe("ledger encodings on the hot path", () => {
  it("fingerprints a settlement as the SHA-256 of its canonical JSON, whatever the caller's key order", () => {
    const trade: SettleTrade = {
      tradeId: 'BTCUSDT:7"quoted\\',
      symbol: "BTCUSDT",
      baseAsset: "BTC",
      quoteAsset: "USDT",
      buyer: "u\u00e9-1",
      seller: "u2",
      buyerHoldId: "h1",
      sellerHoldId: "",
      base: 123_456_789n,
      quote: 10n ** 30n,
      buyerIsMaker: false,
    };
    const reordered = Object.fromEntries(Object.entries(trade).reverse()) as unknown as SettleTrade;
    const expected = sha(canonical({ kind: "settle", trade }));
    expect(makeCommand("t", 1, { kind: "settle", trade, buyerFeeBps: 10, sellerFeeBps: 10 }).fingerprint).toBe(expected);
    expect(makeCommand("t", 1, { kind: "settle", trade: reordered, buyerFeeBps: 5, sellerFeeBps: 0 }).fingerprint).toBe(expected);
    expect(makeCommand("t", 1, { kind: "settle", trade: { ...trade, base: trade.base + 1n }, buyerFeeBps: 10, sellerFeeBps: 10 }).fingerprint).not.toBe(expected);
  });

  it("spells any string as JSON.stringify does (quotes, backslashes, control characters, lone and paired surrogates)", () => {
    for (const text of ["", "plain", '"', "\\", "\u0000", "\u001f", " ", "\u007f", "\u2028", "\ud800", "\udfff", "\ud83d\ude00", "a\udc00b", "\u00e9"]) {
      expect(jsonString(text)).toBe(JSON.stringify(text));
    }
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => jsonString(text) === JSON.stringify(text)),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), fc.string({ unit: "grapheme" }), (tradeId, buyer, holdId) => {
        const trade: SettleTrade = {
          tradeId,
          symbol: "BTCUSDT",
          baseAsset: "BTC",
          quoteAsset: "USDT",
          buyer,
          seller: tradeId,
          buyerHoldId: holdId,
          sellerHoldId: buyer,
          base: 1n,
          quote: 2n,
          buyerIsMaker: true,
        };
        return makeCommand("t", 1, { kind: "settle", trade, buyerFeeBps: 10, sellerFeeBps: 10 }).fingerprint === sha(canonical({ kind: "settle", trade }));
      }),
      { numRuns: 500 },
    );
  });

  it("reads amounts from text as BigInt does, or fails as it does", () => {
    const outcome = (read: (text: string) => bigint, text: string) => {
      try {
        return read(text);
      } catch (error) {
        return (error as Error).constructor.name;
      }
    };
    const samples = ["", "0", "7", "0012", "999999999999999", "9999999999999999", "123456789012345678901234567890", "-5", "+5", " 5", "5 ", "1e3", "0x1f", "1.5", "abc", "9".repeat(15)];
    for (const text of samples) expect(outcome(parseUnits, text)).toEqual(outcome(BigInt, text));
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String), fc.stringMatching(/^[0-9+\- .ex]{0,18}$/)), (text) => {
        expect(outcome(parseUnits, text)).toEqual(outcome(BigInt, text));
      }),
      { numRuns: 2000 },
    );
  });

  it("writes a hold as the generic document text and reads it back exactly", () => {
    const hold: HoldDoc = {
      type: "hold",
      id: 'hold:o-"1"',
      account: "acct\\x",
      asset: "ETH",
      amount: 10n ** 36n - 1n,
      remaining: 7n,
      settled: 10n ** 36n - 8n,
      state: "pending",
      expiresAt: 1_700_000_060_000,
      createdAt: 1_700_000_000_000,
    };
    const generic: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(hold)) generic[key] = typeof value === "bigint" ? `\u0000n:${value}` : value;
    expect(encodeDoc(hold)).toBe(JSON.stringify(generic));
    expect(decodeDoc(encodeDoc(hold))).toEqual(hold);
  });
});
