import type { SymbolScales } from "../domain/market-symbol.js";

/** Where the listed symbols and their scales come from (order's registry: GetExchangeInfo). */
export interface SymbolSource {
  list(): Promise<SymbolScales[]>;
}
