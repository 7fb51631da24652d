import type { FeedPosition, LedgerEvent } from "../ports/ledger-events.port.js";
import { isExternal, type Balance, type BalanceRow } from "./ledger.js";

// Pure decisions of the history projection and its reconciler: how positions merge, what
// balances a batch of events changes, and which differences between the projection and the
// store of record are real.

export const SHARD_DONE = "done";

/** Per shard, the furthest of two positions: a stored position never moves back. */
export function mergePositions(a: FeedPosition, b: FeedPosition): FeedPosition {
  const merged: Record<string, string> = { ...a };
  for (const [shard, sequence] of Object.entries(b)) {
    const current = merged[shard];
    if (current === undefined || current === SHARD_DONE) {
      if (current === undefined) merged[shard] = sequence;
      continue;
    }
    if (sequence === SHARD_DONE || BigInt(sequence) > BigInt(current)) merged[shard] = sequence;
  }
  return merged;
}

export interface BalanceChange extends Balance {
  readonly account: string;
  readonly asset: string;
}

/** The balance changes of events, summed per account and asset; the external account is never materialized. */
export function balanceChanges(events: readonly LedgerEvent[]): BalanceChange[] {
  const sums = new Map<string, { account: string; asset: string; available: bigint; locked: bigint; pending: bigint }>();
  for (const event of events) {
    for (const entry of event.entries) {
      if (isExternal(entry.account)) continue;
      const key = `${entry.account}\u001f${entry.asset}`;
      let sum = sums.get(key);
      if (!sum) sums.set(key, (sum = { account: entry.account, asset: entry.asset, available: 0n, locked: 0n, pending: 0n }));
      sum.available += entry.available;
      sum.locked += entry.locked;
      sum.pending += entry.pending;
    }
  }
  return [...sums.values()];
}

export function touchedAccounts(events: readonly LedgerEvent[]): Set<string> {
  const accounts = new Set<string>();
  for (const event of events) for (const entry of event.entries) accounts.add(entry.account);
  return accounts;
}

export interface BalanceMismatch {
  readonly account: string;
  readonly asset: string;
  readonly projected: Balance;
  readonly recorded: Balance;
}

const ZERO: Balance = { available: 0n, locked: 0n, pending: 0n };
const same = (a: Balance, b: Balance) => a.available === b.available && a.locked === b.locked && a.pending === b.pending;

/**
 * Differences between projected and recorded balances (a missing row counts as zero), except for
 * accounts in `skip`: those with transfers the projection has not applied yet.
 */
export function compareBalances(projected: readonly BalanceRow[], recorded: readonly BalanceRow[], skip: ReadonlySet<string>): BalanceMismatch[] {
  const rows = new Map<string, { account: string; asset: string; projected: Balance; recorded: Balance }>();
  const slot = (row: BalanceRow) => {
    const key = `${row.account}\u001f${row.asset}`;
    let found = rows.get(key);
    if (!found) rows.set(key, (found = { account: row.account, asset: row.asset, projected: ZERO, recorded: ZERO }));
    return found;
  };
  const balance = (row: BalanceRow): Balance => ({ available: row.available, locked: row.locked, pending: row.pending });
  for (const row of projected) if (!isExternal(row.account)) slot(row).projected = balance(row);
  for (const row of recorded) slot(row).recorded = balance(row);
  return [...rows.values()]
    .filter((row) => !skip.has(row.account) && !same(row.projected, row.recorded))
    .sort((a, b) => (a.account === b.account ? (a.asset < b.asset ? -1 : 1) : a.account < b.account ? -1 : 1));
}

/**
 * The mismatches seen in two consecutive rounds with the same values. A stream shows a commit a
 * moment after it is readable in the table, so one round alone can catch a transfer in flight.
 */
export function confirmMismatches(previous: readonly BalanceMismatch[], current: readonly BalanceMismatch[]): BalanceMismatch[] {
  const seen = new Set(previous.map(mismatchKey));
  return current.filter((mismatch) => seen.has(mismatchKey(mismatch)));
}

function mismatchKey(mismatch: BalanceMismatch): string {
  const text = (balance: Balance) => `${balance.available}/${balance.locked}/${balance.pending}`;
  return `${mismatch.account}\u001f${mismatch.asset}\u001f${text(mismatch.projected)}\u001f${text(mismatch.recorded)}`;
}
