import { DomainError } from "#kit/errors/domain-error.js";

// Parameter parsing with Binance's answers: a missing or empty mandatory parameter is -1102,
// a value with characters outside its alphabet -1100, a value of the wrong form -1102 or -1130.

const DECIMAL = /^[0-9]{1,30}(\.[0-9]{1,18})?$/;
const SYMBOL = /^[A-Z0-9]{2,20}$/;
const CLIENT_ORDER_ID = /^[a-zA-Z0-9_.:/-]{1,36}$/;
const SAFE_CHARS = /^[A-Za-z0-9_.:/\-[\]",]*$/;

export const SIDES = ["BUY", "SELL"] as const;
export const TIFS = ["GTC", "IOC", "FOK"] as const;

/** The codes an enum parameter's bad value answers. */
type EnumErrorKey = "INVALID_PARAMETER" | "INVALID_SIDE" | "INVALID_ORDER_TYPE" | "INVALID_TIF";

function mandatory(name: string): DomainError {
  return new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.`, [{ field: name, description: "required" }]);
}

function malformed(name: string, what: string): DomainError {
  return new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", `Parameter '${name}' was malformed: ${what}.`, [{ field: name, description: what }]);
}

export class Params {
  constructor(private readonly params: URLSearchParams) {}

  /** The raw value; "" counts as absent. Illegal characters are -1100. */
  optional(name: string): string | undefined {
    const value = this.params.get(name);
    if (value === null || value === "") return undefined;
    if (!SAFE_CHARS.test(value)) throw new DomainError("ILLEGAL_CHARS", `Illegal characters found in parameter '${name}'; legal range is '${SAFE_CHARS.source}'.`, [{ field: name, description: "illegal characters" }]);
    return value;
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) throw mandatory(name);
    return value;
  }

  symbol(name = "symbol"): string {
    const value = this.required(name);
    if (!SYMBOL.test(value)) throw new DomainError("BAD_SYMBOL", "Invalid symbol.", [{ field: name, description: "2-20 of A-Z0-9" }]);
    return value;
  }

  optionalSymbol(name = "symbol"): string | undefined {
    return this.params.get(name) ? this.symbol(name) : undefined;
  }

  /** A plain non-negative decimal string ("0.5", "30000"), passed on unchanged. */
  decimal(name: string): string | undefined {
    const value = this.optional(name);
    if (value !== undefined && !DECIMAL.test(value)) throw malformed(name, "not a plain non-negative decimal");
    return value;
  }

  /** A non-negative integer that fits a uint64 (order ids, trade ids). */
  id(name: string): bigint | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    if (!/^[0-9]{1,20}$/.test(value) || BigInt(value) > 0xffffffffffffffffn) throw malformed(name, "not an integer id");
    return BigInt(value);
  }

  /** A non-negative safe integer (limit, startTime, endTime). */
  integer(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    if (!/^[0-9]{1,16}$/.test(value)) throw malformed(name, "not an integer");
    const number = Number(value);
    if (number < min || number > max) throw new DomainError("INVALID_PARAMETER", `Invalid value for '${name}': must be between ${min} and ${max}.`, [{ field: name, description: `${min}..${max}` }]);
    return number;
  }

  /**
   * One of `allowed` (Binance's upper-case enum names), or undefined when absent. Anything else
   * is -1130, or the enum's own code where Binance has one: -1117 for a side, -1116 for an
   * order type, -1115 for a timeInForce (with Binance's bare message; the allowed values go in
   * the details).
   */
  oneOf<T extends string>(name: string, allowed: readonly T[], invalid: EnumErrorKey = "INVALID_PARAMETER"): T | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      const message = invalid === "INVALID_PARAMETER" ? `Invalid ${name}: one of ${allowed.join(", ")}.` : undefined;
      throw new DomainError(invalid, message, [{ field: name, description: allowed.join("|") }]);
    }
    return value as T;
  }

  side(name = "side"): "BUY" | "SELL" | undefined {
    return this.oneOf(name, SIDES, "INVALID_SIDE");
  }

  orderType<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    return this.oneOf(name, allowed, "INVALID_ORDER_TYPE");
  }

  timeInForce(name = "timeInForce"): "GTC" | "IOC" | "FOK" | undefined {
    return this.oneOf(name, TIFS, "INVALID_TIF");
  }

  clientOrderId(name: string): string | undefined {
    const value = this.optional(name);
    if (value !== undefined && !CLIENT_ORDER_ID.test(value)) throw malformed(name, "1-36 of a-zA-Z0-9_.:/-");
    return value;
  }

  has(name: string): boolean {
    return this.params.has(name);
  }
}
