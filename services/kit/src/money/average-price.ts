// Binance's average price, in one place: what `/api/v3/avgPrice` and `<symbol>@avgPrice` report
// (marketdata) and what NOTIONAL (a MARKET order's notional) and PERCENT_PRICE_BY_SIDE judge at
// (order). Both compute it from matching's trades with these functions, so they give the same
// figure for the same trades at the same time.
//
// - The volume-weighted price of the trades of the last `mins` minutes: quote volume / base volume.
// - No trade in that window: the last trade's price (Binance: "the first trade outside the window").
// - No trade at all: none.
// - mins 0: the last trade's price.
//
// The window is whole minutes (UTC): every minute that overlaps the last `mins` minutes, i.e. from
// the start of the minute `mins` minutes before now's minute, up to now. Whole minutes let order
// keep one bucket of sums per minute (bounded memory) and marketdata read its 1m klines.

export const MINUTE_MS = 60_000;
/** Binance's avgPriceMins on its large spot symbols. */
export const DEFAULT_AVG_PRICE_MINS = 5;
/** The longest window a symbol may set (order keeps and reloads this many minutes of trades at most). */
export const MAX_AVG_PRICE_MINS = 60;

/** The first minute bucket (its start, ms) the average at `now` counts. */
export function averageWindowStart(now: number, mins: number): number {
  return (Math.floor(now / MINUTE_MS) - mins) * MINUTE_MS;
}

/** The minute bucket (its start, ms) a trade at `time` falls in. */
export function minuteOf(time: number): number {
  return Math.floor(time / MINUTE_MS) * MINUTE_MS;
}

/**
 * Quote units per whole base unit: quoteVolume x 10^baseScale / volume, rounded half up to the
 * quote asset's smallest unit (both non-negative). Zero without volume.
 */
export function weightedAveragePrice(quoteVolume: bigint, volume: bigint, baseScale: number): bigint {
  if (volume <= 0n) return 0n;
  const scaled = quoteVolume * 10n ** BigInt(baseScale);
  return (scaled * 2n + volume) / (2n * volume);
}
