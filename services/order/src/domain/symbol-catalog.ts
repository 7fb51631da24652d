import { DomainError } from "#kit/errors/domain-error.js";
import type { SymbolSpec } from "./symbol.js";
import { SymbolUnits } from "./symbol-units.js";

/** The symbols order trades, each with its unit conversions; an unknown one is Binance's -1121. */
export class SymbolCatalog {
  private readonly symbols = new Map<string, { spec: SymbolSpec; units: SymbolUnits }>();

  constructor(specs: readonly SymbolSpec[]) {
    for (const spec of specs) this.put(spec);
  }

  /** Adds a symbol, or replaces its spec (a status change, a listing seen in the registry). */
  put(spec: SymbolSpec): void {
    this.symbols.set(spec.symbol, { spec, units: new SymbolUnits(spec) });
  }

  has(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  get(symbol: string): { spec: SymbolSpec; units: SymbolUnits } {
    const found = this.symbols.get(symbol);
    if (!found) throw new DomainError("BAD_SYMBOL", "Invalid symbol.", [{ field: "symbol", description: `unknown symbol ${symbol}` }]);
    return found;
  }
}
