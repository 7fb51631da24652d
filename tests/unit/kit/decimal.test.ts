import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DecimalFormatError, divCeil, formatUnits, parseSignedUnits, parseUnits } from "#kit/money/decimal.js";

describe("decimal strings <-> smallest units", () => {
  it("parses exactly at the asset's scale", () => {
    expect(parseUnits("0.1", 8)).toBe(10_000_000n);
    expect(parseUnits("27123.45", 8)).toBe(2_712_345_000_000n);
    expect(parseUnits("1.000000000000000001", 18)).toBe(1_000_000_000_000_000_001n);
    expect(parseUnits("5", 0)).toBe(5n);
    expect(parseUnits("1.50000000000", 2)).toBe(150n);
  });

  it("holds values beyond int64 (ETH has 18 decimals)", () => {
    expect(parseUnits("100", 18)).toBe(100_000_000_000_000_000_000n);
    expect(formatUnits(100_000_000_000_000_000_000n, 18)).toBe("100.000000000000000000");
  });

  it("refuses what it cannot represent instead of rounding", () => {
    expect(() => parseUnits("0.123456789", 8)).toThrow(DecimalFormatError);
    for (const bad of ["", "-1", "1e5", "01", ".5", "5.", "NaN", " 1", "0x10"]) {
      expect(() => parseUnits(bad, 8), bad).toThrow(DecimalFormatError);
    }
  });

  it("formats with exactly scale decimals, sign included", () => {
    expect(formatUnits(1n, 8)).toBe("0.00000001");
    expect(formatUnits(-150n, 2)).toBe("-1.50");
    expect(formatUnits(0n, 0)).toBe("0");
    expect(parseSignedUnits("-0.5", 1)).toBe(-5n);
  });

  it("round-trips any units at any scale", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.integer({ min: 0, max: 18 }), (units, scale) => {
        expect(parseUnits(formatUnits(units, scale), scale)).toBe(units);
      }),
    );
  });

  it("divCeil rounds up, never down", () => {
    expect(divCeil(10n, 3n)).toBe(4n);
    expect(divCeil(9n, 3n)).toBe(3n);
    expect(divCeil(0n, 7n)).toBe(0n);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 12n }), (n, d) => {
        const q = divCeil(n, d);
        expect(q * d >= n).toBe(true);
        expect((q - 1n) * d < n).toBe(true);
      }),
    );
  });
});
