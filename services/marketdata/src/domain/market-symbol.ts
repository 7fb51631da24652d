import { formatUnits, parseUnits } from "#kit/money/decimal.js";

/**
 * A symbol as marketdata needs it: the assets' scales and the tick and lot sizes that turn
 * matching's integer ticks and lots into units (the same arithmetic as order's SymbolUnits).
 */
export interface SymbolScales {
  readonly symbol: string;
  readonly baseScale: number;
  readonly quoteScale: number;
  /** Decimal strings, e.g. "0.01" and "0.00001". */
  readonly tickSize: string;
  readonly stepSize: string;
  /** Binance's avgPriceMins of the symbol's filters (GetAvgPrice's window; 0: the last price); absent: 5. */
  readonly avgPriceMins?: number;
}

export class MarketSymbol {
  /** Quote smallest units per tick (a price is ticks x tickUnits). */
  readonly tickUnits: bigint;
  /** Base smallest units per lot. */
  readonly lotUnits: bigint;
  private readonly baseOne: bigint;

  constructor(readonly scales: SymbolScales) {
    this.tickUnits = parseUnits(scales.tickSize, scales.quoteScale);
    this.lotUnits = parseUnits(scales.stepSize, scales.baseScale);
    this.baseOne = 10n ** BigInt(scales.baseScale);
    if (this.tickUnits <= 0n || this.lotUnits <= 0n || (this.tickUnits * this.lotUnits) % this.baseOne !== 0n) {
      throw new Error(`${scales.symbol}: tick size x step size must be a whole number of quote units`);
    }
  }

  get symbol(): string {
    return this.scales.symbol;
  }

  price(ticks: bigint): bigint {
    return ticks * this.tickUnits;
  }

  qty(lots: bigint): bigint {
    return lots * this.lotUnits;
  }

  /** price x qty in quote units: exact, since one tick x one lot is a whole number of them. */
  quote(ticks: bigint, lots: bigint): bigint {
    return (ticks * this.tickUnits * lots * this.lotUnits) / this.baseOne;
  }

  /** A price in units x a quantity in units, in quote units (rounded down). */
  quoteOf(priceUnits: bigint, qtyUnits: bigint): bigint {
    return (priceUnits * qtyUnits) / this.baseOne;
  }

  formatPrice(units: bigint): string {
    return formatUnits(units, this.scales.quoteScale);
  }

  formatQty(units: bigint): string {
    return formatUnits(units, this.scales.baseScale);
  }

  formatQuote(units: bigint): string {
    return formatUnits(units, this.scales.quoteScale);
  }
}
