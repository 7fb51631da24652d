// Rolling-window statistics in bigint. Rounding is half away from zero everywhere here, at a
// fixed number of decimals, so the same trades always give the same strings.

import { weightedAveragePrice } from "#kit/money/average-price.js";
import { formatUnits } from "#kit/money/decimal.js";

/** a / b rounded half away from zero (b > 0). */
export function divRound(a: bigint, b: bigint): bigint {
  if (b <= 0n) throw new RangeError("divRound needs b > 0");
  const negative = a < 0n;
  const magnitude = negative ? -a : a;
  const quotient = (magnitude * 2n + b) / (2n * b);
  return negative ? -quotient : quotient;
}

/**
 * (last - open) / open x 100 with `decimals` decimals (Binance shows 3), rounded half away from
 * zero: 100 -> 101.0005 is "1.001", 100 -> 98.9995 is "-1.001". "0.000" when open is zero.
 */
export function percentChange(open: bigint, last: bigint, decimals = 3): string {
  if (open === 0n) return formatUnits(0n, decimals);
  return formatUnits(divRound((last - open) * 100n * 10n ** BigInt(decimals), open), decimals);
}

/**
 * Volume-weighted average price in quote units per whole base unit: quoteVolume x 10^baseScale /
 * volume, rounded half up to the quote asset's smallest unit; zero without volume. The same
 * arithmetic as the average price the filters judge at (kit/money/average-price.ts).
 */
export const weightedAverage = weightedAveragePrice;
