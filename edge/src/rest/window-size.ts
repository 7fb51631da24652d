import { DomainError } from "#kit/errors/domain-error.js";

// Binance's rolling-window sizes: 1m..59m, 1h..23h, 1d..7d (REST `windowSize`, streams'
// `@ticker_<size>`). Pure.

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX = { m: 59, h: 23, d: 7 } as const;

/** `"1h"` -> 3600000; undefined for anything Binance would not take. */
export function windowSizeMs(text: string): number | undefined {
  const match = /^([1-9][0-9]?)([mhd])$/.exec(text);
  if (!match) return undefined;
  const count = Number(match[1]);
  const unit = match[2] as keyof typeof UNIT_MS;
  return count <= MAX[unit] ? count * UNIT_MS[unit] : undefined;
}

/** The `windowSize` parameter in ms (default 1d), or -1130. */
export function parseWindowSize(text: string | undefined): number {
  if (text === undefined) return UNIT_MS.d;
  const ms = windowSizeMs(text);
  if (ms === undefined) throw new DomainError("INVALID_PARAMETER", "Invalid windowSize: 1m..59m, 1h..23h or 1d..7d.", [{ field: "windowSize", description: "1m..59m|1h..23h|1d..7d" }]);
  return ms;
}
