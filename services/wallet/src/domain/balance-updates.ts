import type { LedgerEntry, Units } from "./ledger.js";
import { invalidField } from "./wallet.errors.js";

// An account's non-trade balance updates (Binance's balanceUpdate), read from the ledger's history:
// a change to `available` made by a deposit credited, a withdrawal requested, a rejected withdrawal
// returned, a transfer, or an operator's balance adjustment once approved. Holds, voids, reductions and settlements are trading (their positions
// reach users through order updates), and a withdrawal's completion moves only `pending`.

export type BalanceUpdateReason = "deposit" | "withdrawal" | "withdrawal_returned" | "transfer" | "adjustment";

/**
 * A place in an account's history: history row `seq` (a global commit sequence), entry `index` in
 * it. Everything up to and including it has been delivered.
 */
export interface BalanceCursor {
  readonly seq: number;
  readonly index: number;
}

export interface BalanceUpdate {
  /** Its own place: a subscriber resumes after it. Stable: every replica reads the same history. */
  readonly cursor: BalanceCursor;
  readonly account: string;
  readonly asset: string;
  /** Signed change to available, in the asset's smallest units. */
  readonly delta: Units;
  readonly reason: BalanceUpdateReason;
  /** The ledger command (transfer id). */
  readonly reference: string;
  /** When the ledger committed it (ms). */
  readonly time: number;
}

/** The update an entry makes, or undefined when it is trading or leaves available alone. */
export function balanceUpdateOf(entry: LedgerEntry, cursor: BalanceCursor): BalanceUpdate | undefined {
  if (entry.available === 0n || entry.account.startsWith("@")) return undefined;
  const reason = reasonOf(entry);
  if (!reason) return undefined;
  return { cursor, account: entry.account, asset: entry.asset, delta: entry.available, reason, reference: entry.transferId, time: entry.time };
}

function reasonOf(entry: LedgerEntry): BalanceUpdateReason | undefined {
  switch (entry.kind) {
    case "deposit":
      return "deposit";
    case "withdraw_request":
      return "withdrawal";
    case "withdraw_reject":
      return "withdrawal_returned";
    case "transfer":
      return "transfer";
    case "adjustment":
      return "adjustment";
    default:
      return undefined;
  }
}

export function encodeBalanceCursor(cursor: BalanceCursor): string {
  return `${cursor.seq}.${cursor.index}`;
}

/** undefined for an empty text (from now); a text that is not a cursor is INVALID_PARAMETER. */
export function decodeBalanceCursor(text: string): BalanceCursor | undefined {
  if (text === "") return undefined;
  const match = /^(\d{1,15})\.(\d{1,9})$/.exec(text);
  if (!match) throw invalidField("cursor", "not a cursor from this stream");
  return { seq: Number(match[1]), index: Number(match[2]) };
}

/** true if `a` is after `b`. */
export function isAfter(a: BalanceCursor, b: BalanceCursor): boolean {
  return a.seq !== b.seq ? a.seq > b.seq : a.index > b.index;
}
