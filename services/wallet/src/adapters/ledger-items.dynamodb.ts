import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { CommandKind, LedgerEntry, TransferRecord } from "../domain/ledger.js";

// How the ledger lies in DynamoDB, shared by the store and the stream reader. `dynamodb:<name>`
// names three tables, split by access pattern:
//   <name>-balances   pk account, sk asset: av, lk, pw Numbers (38 digits exact). Small and hot:
//                     conditional ADD updates.
//   <name>-docs       pk doc id: ver, body, due, gpk/gsk (GSI by_account). Version-conditioned Puts.
//                     qpk/qsk only on withdrawals awaiting approval: the sparse GSI by_approval,
//                     the operators' queue across accounts, oldest first.
//   <name>-transfers  pk transfer id: one item per applied command, the idempotency record and
//                     that command's ledger entries PACKED in one string (a settlement's six
//                     entries are one attribute, not six items). GSIs by_a1..by_a3 on the
//                     accounts it touched (at most three) serve history; its stream feeds the
//                     PostgreSQL projection.
// So a command's transaction puts exactly one item into the table that grows with the ledger.

export interface LedgerTables {
  readonly balances: string;
  readonly docs: string;
  readonly transfers: string;
}

export const ledgerTables = (name: string): LedgerTables => ({ balances: `${name}-balances`, docs: `${name}-docs`, transfers: `${name}-transfers` });

/** GSIs of the transfers table: a command touches at most three accounts (buyer, seller, @fees). */
export const ACCOUNT_SLOTS = ["a1", "a2", "a3"] as const;

/**
 * The approval queue: a sparse GSI of the docs table. Only a withdrawal awaiting approval carries
 * `qpk` (this queue's name) and `qsk` (the queue cursor: creation time, then document id); a Put
 * of any later version of it leaves them out, which takes it out of the index.
 */
export const APPROVAL_INDEX = "by_approval";
export const APPROVAL_QUEUE = "withdrawal";

const TIME_WIDTH = 15;
export const pad = (time: number): string => time.toString().padStart(TIME_WIDTH, "0");
/** The transfers' history order: time, then id (DynamoDB has no global commit sequence). */
export const transferOrder = (time: number, id: string): string => `${pad(time)}#${id}`;

export const S = (value: string): AttributeValue => ({ S: value });
export const N = (value: bigint | number): AttributeValue => ({ N: value.toString() });
export const str = (value: AttributeValue | undefined): string => value?.S ?? "";

/** DynamoDB may answer a Number in exponent form ("1.5E+30"): parse it exactly as an integer. */
export function parseDynamoInteger(text: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!match) throw new Error(`not a DynamoDB number: ${text}`);
  const [, sign, whole, fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText) - fraction.length;
  let digits = BigInt(whole + fraction);
  if (exponent >= 0) digits *= 10n ** BigInt(exponent);
  else {
    const divisor = 10n ** BigInt(-exponent);
    if (digits % divisor !== 0n) throw new Error(`not an integer: ${text}`);
    digits /= divisor;
  }
  return sign === "-" ? -digits : digits;
}

export const num = (value: AttributeValue | undefined): bigint => (value?.N === undefined ? 0n : parseDynamoInteger(value.N));

type PackedRecord = [kind: CommandKind, fingerprint: string, time: number, result: Record<string, string>];
type PackedEntry = [account: string, asset: string, available: string, locked: string, pending: string];

/** The transfers item of one applied command: few attributes, entries packed (decimal strings). */
export function transferItem(record: TransferRecord, entries: readonly LedgerEntry[]): Record<string, AttributeValue> {
  const item: Record<string, AttributeValue> = {
    pk: S(record.id),
    r: S(JSON.stringify([record.kind, record.fingerprint, record.time, record.result] satisfies PackedRecord)),
    e: S(JSON.stringify(entries.map((entry) => [entry.account, entry.asset, entry.available.toString(), entry.locked.toString(), entry.pending.toString()] satisfies PackedEntry))),
    t: S(transferOrder(record.time, record.id)),
  };
  const accounts = [...new Set(entries.map((entry) => entry.account))];
  if (accounts.length > ACCOUNT_SLOTS.length) throw new Error(`command ${record.id} touches ${accounts.length} accounts; history indexes ${ACCOUNT_SLOTS.length}`);
  accounts.forEach((account, slot) => (item[ACCOUNT_SLOTS[slot]!] = S(account)));
  return item;
}

export function decodeTransfer(item: Record<string, AttributeValue>): TransferRecord {
  const [kind, fingerprint, time, result] = JSON.parse(str(item.r)) as PackedRecord;
  return { id: str(item.pk), kind, fingerprint, result, time };
}

/** The entries of a transfers item, in the order the planner made them. */
export function decodeEntries(item: Record<string, AttributeValue>, record: TransferRecord = decodeTransfer(item)): LedgerEntry[] {
  return (JSON.parse(str(item.e) || "[]") as PackedEntry[]).map(([account, asset, available, locked, pending]) => ({
    transferId: record.id,
    kind: record.kind,
    account,
    asset,
    available: BigInt(available),
    locked: BigInt(locked),
    pending: BigInt(pending),
    time: record.time,
  }));
}
