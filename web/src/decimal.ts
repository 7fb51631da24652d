// Decimal strings as the API sends them ("30000.00000000"), compared exactly: the page never turns money into a
// JS number, not even to sort.

/** A decimal string as an integer count of 10^-scale, for comparing only. */
function scaled(value: string, scale: number): bigint {
  const negative = value.startsWith("-");
  const [whole = "0", fraction = ""] = (negative ? value.slice(1) : value).split(".");
  const digits = BigInt((whole || "0") + fraction.padEnd(scale, "0").slice(0, scale));
  return negative ? -digits : digits;
}

function scaleOf(value: string): number {
  const dot = value.indexOf(".");
  return dot < 0 ? 0 : value.length - dot - 1;
}

/** -1, 0 or 1 as a is below, equal to or above b. */
export function compareDecimal(a: string, b: string): number {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  const x = scaled(a, scale);
  const y = scaled(b, scale);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function isZero(value: string): boolean {
  return /^-?0*\.?0*$/.test(value);
}
