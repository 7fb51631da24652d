import type { AuditEntry, AuditRecord } from "#kit/ports/audit-log.port.js";
import type { SymbolSpec } from "../domain/symbol.js";

/** The symbol registry order owns and publishes to matching and marketdata. */
export interface SymbolStore {
  list(): Promise<SymbolSpec[]>;
  get(symbol: string): Promise<SymbolSpec | undefined>;
  /** Lists a new symbol and records `audit`, in one transaction; ALREADY_EXISTS when it is listed. */
  add(spec: SymbolSpec, audit: AuditRecord): Promise<AuditEntry>;
  /** Replaces a listed symbol's spec and records `audit`, in one transaction; BAD_SYMBOL when it is not listed. */
  save(spec: SymbolSpec, audit: AuditRecord): Promise<AuditEntry>;
  /** Inserts the symbols that do not exist yet; existing rows are left as they are. */
  seed(symbols: readonly SymbolSpec[]): Promise<void>;
}
