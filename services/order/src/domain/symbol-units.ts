import { DomainError } from "#kit/errors/domain-error.js";
import { DecimalFormatError, parseUnits } from "#kit/money/decimal.js";
import type { SymbolSpec } from "./symbol.js";

/**
 * The one place decimals become matching's integers. A price is a whole number of ticks, a
 * quantity a whole number of lots; one tick x one lot ("a notional unit") is a whole number of
 * the quote asset's smallest units, so every trade settles without rounding.
 */
export class SymbolUnits {
  /** Quote smallest units per tick. */
  readonly tickUnits: bigint;
  /** Base smallest units per lot. */
  readonly lotUnits: bigint;
  /** Quote smallest units per (1 tick x 1 lot). */
  readonly notionalUnits: bigint;

  constructor(readonly spec: SymbolSpec) {
    this.tickUnits = parseUnits(spec.tickSize, spec.quoteScale);
    this.lotUnits = parseUnits(spec.stepSize, spec.baseScale);
    const scaled = this.tickUnits * this.lotUnits;
    const base = 10n ** BigInt(spec.baseScale);
    if (this.tickUnits <= 0n || this.lotUnits <= 0n || scaled % base !== 0n) {
      throw new Error(`${spec.symbol}: tick size x step size must be a whole number of ${spec.quoteAsset} units`);
    }
    this.notionalUnits = scaled / base;
  }

  private parse(field: string, text: string, scale: number): bigint {
    try {
      return parseUnits(text, scale);
    } catch (error) {
      if (error instanceof DecimalFormatError) throw new DomainError("BAD_PRECISION", `${field}: ${error.why}`, [{ field, description: error.why }]);
      throw error;
    }
  }

  /** Decimal price -> ticks; refuses prices off the tick grid (PRICE_FILTER). */
  ticks(field: string, price: string): bigint {
    const units = this.parse(field, price, this.spec.quoteScale);
    if (units % this.tickUnits !== 0n) throw filterFailure("PRICE_FILTER", field, `must be a multiple of ${this.spec.tickSize}`);
    return units / this.tickUnits;
  }

  /** Decimal quantity -> lots; refuses quantities off the step grid (LOT_SIZE). */
  lots(field: string, quantity: string): bigint {
    const units = this.parse(field, quantity, this.spec.baseScale);
    if (units % this.lotUnits !== 0n) throw filterFailure("LOT_SIZE", field, `must be a multiple of ${this.spec.stepSize}`);
    return units / this.lotUnits;
  }

  quoteUnits(field: string, amount: string): bigint {
    return this.parse(field, amount, this.spec.quoteScale);
  }

  baseOf(lots: bigint): bigint {
    return lots * this.lotUnits;
  }

  quoteOf(ticks: bigint, lots: bigint): bigint {
    return ticks * lots * this.notionalUnits;
  }
}

export function filterFailure(filter: string, field: string, detail: string = filter): DomainError {
  return new DomainError("FILTER_FAILURE", `Filter failure: ${filter}`, [{ field, description: detail }]);
}
