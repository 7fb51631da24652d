import { MAX_UNITS } from "./assets.js";
import { invalidField } from "./wallet.errors.js";

/** An amount a command may carry: positive and within the ledger's range. */
export function requireAmount(amount: bigint, field: string): void {
  if (amount <= 0n) throw invalidField(field, "must be greater than zero");
  if (amount > MAX_UNITS) throw invalidField(field, "too large");
}

/** Accounts starting with "@" are the exchange's own (fees, the external world). */
export function requireUserAccount(account: string, field: string): void {
  if (account === "" || account.startsWith("@")) throw invalidField(field, "not a user account");
}
