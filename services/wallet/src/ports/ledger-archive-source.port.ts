import type { CommandKind } from "../domain/ledger.js";

/** One ledger entry with its place in the ledger (history row `seq`, position `index` in it). */
export interface ArchivedEntry {
  readonly seq: number;
  readonly index: number;
  readonly account: string;
  readonly transferId: string;
  readonly kind: CommandKind;
  readonly asset: string;
  readonly available: bigint;
  readonly locked: bigint;
  readonly pending: bigint;
  readonly time: number;
}

/** The ledger's entries read for archives and statements, in ledger order (seq, index). */
export interface LedgerArchiveSource {
  /** Every account's entries whose time is in [from, to). */
  entriesBetween(from: number, to: number): Promise<ArchivedEntry[]>;
  /** One account's entries whose time is in [from, to). */
  accountEntries(account: string, from: number, to: number): Promise<ArchivedEntry[]>;
}
