import { describe, expect, it } from "vitest";
import { INTERVALS, bucketClose, bucketOpen, isInterval } from "../../../services/marketdata/src/domain/intervals.js";

const at = (iso: string) => Date.parse(iso);

describe("kline buckets", () => {
  it("aligns fixed intervals to the epoch and closes 1 ms before the next bucket", () => {
    expect(bucketOpen("1s", at("2024-03-10T12:34:56.789Z"))).toBe(at("2024-03-10T12:34:56.000Z"));
    expect(bucketOpen("1m", at("2024-03-10T12:34:56.789Z"))).toBe(at("2024-03-10T12:34:00Z"));
    expect(bucketOpen("15m", at("2024-03-10T12:34:56Z"))).toBe(at("2024-03-10T12:30:00Z"));
    expect(bucketOpen("4h", at("2024-03-10T12:34:56Z"))).toBe(at("2024-03-10T12:00:00Z"));
    expect(bucketOpen("1d", at("2024-03-10T23:59:59.999Z"))).toBe(at("2024-03-10T00:00:00Z"));
    expect(bucketOpen("1d", at("2024-03-11T00:00:00Z"))).toBe(at("2024-03-11T00:00:00Z"));
    expect(bucketClose("1m", at("2024-03-10T12:34:00Z"))).toBe(at("2024-03-10T12:34:59.999Z"));
    expect(bucketClose("1h", at("2024-03-10T12:00:00Z"))).toBe(at("2024-03-10T12:59:59.999Z"));
    // 3d buckets count from the epoch: 1970-01-01, 01-04, ...
    expect(bucketOpen("3d", at("1970-01-06T10:00:00Z"))).toBe(at("1970-01-04T00:00:00Z"));
  });

  it("starts weeks on Monday 00:00 UTC", () => {
    // 2024-03-10 is a Sunday, 2024-03-11 a Monday.
    expect(bucketOpen("1w", at("2024-03-10T23:59:59.999Z"))).toBe(at("2024-03-04T00:00:00Z"));
    expect(bucketOpen("1w", at("2024-03-11T00:00:00Z"))).toBe(at("2024-03-11T00:00:00Z"));
    expect(bucketOpen("1w", at("2024-03-13T08:00:00Z"))).toBe(at("2024-03-11T00:00:00Z"));
    expect(bucketClose("1w", at("2024-03-11T00:00:00Z"))).toBe(at("2024-03-17T23:59:59.999Z"));
    // across a year boundary, and before the epoch's first Monday (1970-01-01 was a Thursday)
    expect(bucketOpen("1w", at("2025-01-01T00:00:00Z"))).toBe(at("2024-12-30T00:00:00Z"));
    expect(bucketOpen("1w", at("1970-01-01T00:00:00Z"))).toBe(at("1969-12-29T00:00:00Z"));
  });

  it("uses calendar months in UTC for 1M, leap years included", () => {
    expect(bucketOpen("1M", at("2024-02-29T23:59:59.999Z"))).toBe(at("2024-02-01T00:00:00Z"));
    expect(bucketOpen("1M", at("2024-03-01T00:00:00Z"))).toBe(at("2024-03-01T00:00:00Z"));
    expect(bucketClose("1M", at("2024-02-01T00:00:00Z"))).toBe(at("2024-02-29T23:59:59.999Z"));
    expect(bucketClose("1M", at("2023-02-01T00:00:00Z"))).toBe(at("2023-02-28T23:59:59.999Z"));
    expect(bucketClose("1M", at("2024-12-01T00:00:00Z"))).toBe(at("2024-12-31T23:59:59.999Z"));
    expect(bucketOpen("1M", at("2025-01-01T00:00:00Z"))).toBe(at("2025-01-01T00:00:00Z"));
  });

  it("every bucket contains its own open and close time and nothing outside", () => {
    const times = [0, 1, 59_999, 60_000, at("2024-02-29T12:00:00Z"), at("2024-12-31T23:59:59.999Z"), at("2030-07-15T06:07:08.009Z")];
    for (const interval of INTERVALS) {
      for (const time of times) {
        const open = bucketOpen(interval, time);
        const close = bucketClose(interval, open);
        expect(open).toBeLessThanOrEqual(time);
        expect(close).toBeGreaterThanOrEqual(time);
        expect(bucketOpen(interval, close)).toBe(open);
        expect(bucketOpen(interval, close + 1)).toBe(close + 1);
      }
    }
  });

  it("knows the proto's interval names only", () => {
    expect(INTERVALS).toEqual(["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"]);
    expect(isInterval("1M")).toBe(true);
    expect(isInterval("1mo")).toBe(false);
    expect(isInterval("2m")).toBe(false);
  });
});
