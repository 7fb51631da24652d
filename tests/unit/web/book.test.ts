import { describe, expect, it } from "vitest";
import { LocalBook } from "../../../web/src/book.js";
import { compareDecimal, isZero } from "../../../web/src/decimal.js";

describe("compareDecimal", () => {
  it("orders decimal strings exactly, whatever their scales", () => {
    expect(compareDecimal("30000.00000000", "30000")).toBe(0);
    expect(compareDecimal("9.9", "10")).toBe(-1);
    expect(compareDecimal("0.30000000000000001", "0.3")).toBe(1); // a float would call these equal
    expect(compareDecimal("-1.5", "-1.25")).toBe(-1);
    expect(["100.5", "99.99", "100.05", "7"].sort(compareDecimal)).toEqual(["7", "99.99", "100.05", "100.5"]);
  });

  it("knows zero in any spelling", () => {
    expect(["0", "0.00000000", "0.", ".0"].every(isZero)).toBe(true);
    expect(isZero("0.00000001")).toBe(false);
  });
});

describe("LocalBook", () => {
  const level = (price: string, quantity: string) => ({ price, quantity });

  it("holds diffs until the snapshot, drops those it already has, and sorts best first", () => {
    const book = new LocalBook();
    book.apply({ firstUpdateId: 4n, finalUpdateId: 5n, bids: [level("99.00", "9.00")], asks: [] }); // already in the snapshot
    book.apply({ firstUpdateId: 6n, finalUpdateId: 6n, bids: [level("100.50", "1.00")], asks: [level("101.00", "0.00")] });
    expect(book.levels()).toEqual({ bids: [], asks: [] });
    book.snapshot(5n, [level("99.00", "2.00"), level("100.00", "1.00")], [level("101.00", "3.00"), level("100.90", "1.00")]);
    expect(book.levels()).toEqual({
      bids: [level("100.50", "1.00"), level("100.00", "1.00"), level("99.00", "2.00")],
      asks: [level("100.90", "1.00")],
    });
  });

  it("replaces a level's quantity and keeps only the best levels asked for", () => {
    const book = new LocalBook();
    book.snapshot(1n, [], [level("10", "1"), level("9", "1"), level("11", "1")]);
    book.apply({ firstUpdateId: 2n, finalUpdateId: 2n, bids: [], asks: [level("9", "4")] });
    expect(book.levels(2).asks).toEqual([level("9", "4"), level("10", "1")]);
  });
});
