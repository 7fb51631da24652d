// Kline intervals (Binance's names) and the bucket a time falls in. Pure; times are UTC
// milliseconds since the epoch.

export const INTERVALS = ["1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M"] as const;

export type Interval = (typeof INTERVALS)[number];

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
/** 1970-01-05, the first Monday after the epoch (a Thursday): weeks start Monday 00:00 UTC. */
const FIRST_MONDAY = 4 * DAY;

/** Fixed-length intervals, aligned to the epoch (3d included, as Binance). */
const FIXED: Partial<Record<Interval, number>> = {
  "1s": SECOND,
  "1m": MINUTE,
  "3m": 3 * MINUTE,
  "5m": 5 * MINUTE,
  "15m": 15 * MINUTE,
  "30m": 30 * MINUTE,
  "1h": HOUR,
  "2h": 2 * HOUR,
  "4h": 4 * HOUR,
  "6h": 6 * HOUR,
  "8h": 8 * HOUR,
  "12h": 12 * HOUR,
  "1d": DAY,
  "3d": 3 * DAY,
};

export function isInterval(value: string): value is Interval {
  return (INTERVALS as readonly string[]).includes(value);
}

/** The open time of the bucket `time` falls in. 1w: Monday 00:00 UTC; 1M: the 1st of the calendar month, 00:00 UTC. */
export function bucketOpen(interval: Interval, time: number): number {
  if (interval === "1M") {
    const date = new Date(time);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
  if (interval === "1w") return Math.floor((time - FIRST_MONDAY) / WEEK) * WEEK + FIRST_MONDAY;
  const length = FIXED[interval]!;
  return Math.floor(time / length) * length;
}

/** The close time of the bucket opening at `open`: the next bucket's open minus 1 ms (Binance's closeTime). */
export function bucketClose(interval: Interval, open: number): number {
  if (interval === "1M") {
    const date = new Date(open);
    return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1) - 1;
  }
  if (interval === "1w") return open + WEEK - 1;
  return open + FIXED[interval]! - 1;
}

export const MINUTE_MS = MINUTE;
