import { FEE_ACCOUNT, docIds, isExternal, type Command } from "./ledger.js";

/**
 * Whose balances a command may change, for invalidating cached balances after it committed.
 * `accounts` are named by the command itself; `docAccounts` are documents whose `account` is
 * touched too, for commands that name only a hold or a withdrawal (void, withdrawal steps).
 * A superset is harmless (one more cache miss); a missing account would be served stale.
 */
export interface BalanceAccounts {
  readonly accounts: readonly string[];
  readonly docAccounts: readonly string[];
}

const none: BalanceAccounts = { accounts: [], docAccounts: [] };

export function balanceAccounts(command: Command): BalanceAccounts {
  const body = command.body;
  const named = (accounts: string[], docAccounts: string[] = []): BalanceAccounts => ({ accounts: accounts.filter((account) => !isExternal(account)), docAccounts });
  switch (body.kind) {
    case "deposit":
    case "hold":
    case "withdraw_request":
    case "adjustment":
      return named([body.account]);
    case "settle":
      return named([body.trade.buyer, body.trade.seller, FEE_ACCOUNT]);
    case "transfer":
      return named([body.from, body.to]);
    case "void":
    case "reduce":
      return named([], [docIds.hold(body.holdId)]);
    case "withdraw_complete":
      return named([FEE_ACCOUNT], [docIds.withdrawal(body.withdrawalId)]);
    case "withdraw_reject":
      return named([], [docIds.withdrawal(body.withdrawalId)]);
    // Documents only: the status of a withdrawal, an address, an allow-list.
    case "withdraw_approve":
    case "register_address":
    case "set_allowlist":
    case "adjustment_request":
    case "adjustment_reject":
      return none;
  }
}
