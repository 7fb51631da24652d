// Exact decimal strings <-> bigint in an asset's smallest unit. No floating point anywhere:
// "0.1" at scale 8 is 10000000n, and a value with more decimals than the scale is refused
// rather than rounded, so no caller silently loses money.

const DECIMAL = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/;

export class DecimalFormatError extends Error {
  constructor(readonly input: string, readonly why: string) {
    super(`invalid decimal "${input}": ${why}`);
    this.name = "DecimalFormatError";
  }
}

/** Parses a non-negative decimal string into units of 10^-scale. Trailing zeros beyond the scale are allowed. */
export function parseUnits(text: string, scale: number): bigint {
  const match = DECIMAL.exec(text);
  if (!match) throw new DecimalFormatError(text, "not a plain non-negative decimal");
  const whole = match[1];
  const fraction = (match[2] ?? "").replace(/0+$/, "");
  if (fraction.length > scale) {
    throw new DecimalFormatError(text, `more than ${scale} decimal places`);
  }
  return BigInt(whole + fraction.padEnd(scale, "0"));
}

/** Parses a signed decimal string ("-1.5") into units of 10^-scale. */
export function parseSignedUnits(text: string, scale: number): bigint {
  return text.startsWith("-") ? -parseUnits(text.slice(1), scale) : parseUnits(text, scale);
}

/** Formats units of 10^-scale as a decimal string with exactly `scale` decimals (Binance style). */
export function formatUnits(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = digits.slice(digits.length - scale);
  const text = scale === 0 ? whole : `${whole}.${fraction}`;
  return negative ? `-${text}` : text;
}

/** Integer division rounding up (towards +infinity) for non-negative operands: fees round in the exchange's favour. */
export function divCeil(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n || numerator < 0n) throw new RangeError("divCeil needs numerator >= 0 and denominator > 0");
  return (numerator + denominator - 1n) / denominator;
}
