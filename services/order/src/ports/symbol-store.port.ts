import type { SymbolSpec } from "../domain/symbol.js";

/** The symbol registry order owns and publishes to matching and marketdata. */
export interface SymbolStore {
  list(): Promise<SymbolSpec[]>;
  /** Inserts the symbols that do not exist yet; existing rows are left as they are. */
  seed(symbols: readonly SymbolSpec[]): Promise<void>;
}
