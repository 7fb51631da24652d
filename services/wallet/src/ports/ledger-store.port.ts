import type { BalanceRow, Command, Doc, DocType, LedgerEntry, Outcome, Page, TransferRecord, VersionedDoc, WithdrawalDoc } from "../domain/ledger.js";

export interface PageRequest {
  readonly size: number;
  /** The `next` of the previous page; empty for the first page. */
  readonly token: string;
}

/** Totals for audits and invariant checks. */
export interface LedgerAudit {
  /** Per asset: the sum over every materialized account (fee account included) of available + locked + pending. */
  readonly balances: ReadonlyMap<string, bigint>;
  /** Per asset: deposits credited minus withdrawals completed (the external account's flow, negated). */
  readonly netInflow: ReadonlyMap<string, bigint>;
  /**
   * Per asset: operators' manual adjustments applied, credits minus debits (the adjustment account's flow,
   * negated). Conservation: balances = netInflow + adjustments.
   */
  readonly adjustments: ReadonlyMap<string, bigint>;
  /** Rows where some field is negative: always empty unless the store is broken. */
  readonly negative: readonly BalanceRow[];
  readonly transfers: number;
}

/**
 * The store of record for money. `execute` applies commands in order, each atomically (all of
 * its effects or none) and exactly once per id: a retry with the same id and content answers
 * duplicate with the first result, the same id with other content fails DUPLICATE_REQUEST.
 * Results are durable before the promise resolves. No balance field is ever negative, and the
 * store itself enforces it (CHECK constraints, condition expressions), not only the planner.
 */
export interface LedgerStore {
  readonly engine: string;
  execute(commands: readonly Command[]): Promise<Outcome[]>;
  balances(account: string): Promise<BalanceRow[]>;
  doc(id: string): Promise<VersionedDoc | undefined>;
  transfer(id: string): Promise<TransferRecord | undefined>;
  /** Newest first. */
  listDocs(account: string, type: DocType, page: PageRequest): Promise<Page<Doc>>;
  /** Documents whose due time (hold timeouts) is at or before `now`, earliest first. */
  dueDocs(type: DocType, now: number, limit: number): Promise<Doc[]>;
  /**
   * The approval queue: withdrawals awaiting approval (docAwaitingSince), of every account, oldest
   * first (creation time, then document id); the token is an approval-queue cursor. Served from an
   * index holding only waiting withdrawals, never a scan of the documents.
   */
  awaitingApproval(page: PageRequest): Promise<Page<WithdrawalDoc>>;
  /** Newest first; `asset` empty: every asset. */
  entries(account: string, asset: string, page: PageRequest): Promise<Page<LedgerEntry>>;
  audit(): Promise<LedgerAudit>;
  close(): Promise<void>;
}
