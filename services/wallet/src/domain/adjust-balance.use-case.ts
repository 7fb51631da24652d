import type { Clock } from "#kit/clock/clock.js";
import type { AuditEntry, AuditLog } from "#kit/ports/audit-log.port.js";
import type { Operator } from "#kit/ports/operator-gate.port.js";
import type { LedgerStore, PageRequest } from "../ports/ledger-store.port.js";
import { MAX_UNITS, type AssetRegistry } from "./assets.js";
import { ADJUSTMENT_ACCOUNT, docIds, type AdjustmentDoc, type Page } from "./ledger.js";
import { adjustmentNotPending, invalidField, notFound, ownAdjustment } from "./wallet.errors.js";
import type { Wallet } from "./wallet.use-case.js";

export interface AdjustBalanceDeps {
  readonly wallet: Pick<Wallet, "run">;
  readonly store: Pick<LedgerStore, "doc" | "listDocs">;
  readonly assets: AssetRegistry;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export interface AdjustmentRequest {
  /** The idempotency key, and the adjustment's id. */
  readonly adjustmentId: string;
  readonly account: string;
  readonly asset: string;
  /** Signed smallest units: > 0 credits the account's available balance, < 0 debits it. */
  readonly amount: bigint;
  readonly reason: string;
}

/** A decision, and its record (absent when the call was a retry of one already made and recorded). */
export interface AdjustmentDecision {
  readonly adjustment: AdjustmentDoc;
  readonly duplicate: boolean;
  readonly audit?: AuditEntry;
}

/**
 * Manual balance adjustments with four-eyes approval. One operator requests an adjustment (PENDING: no balance
 * changes); a different operator approves it, which applies it to the ledger once, as a double entry between the
 * account's available balance and the adjustment account (outside the books, its flow the audit's adjustments
 * term), or either operator rejects it. A debit never takes available below zero (INSUFFICIENT_BALANCE, nothing
 * changed); the requester approving their own is FORBIDDEN. The ledger decides each step atomically (the document's
 * state is checked inside the command); each step is then appended to wallet's audit log with the adjustment before
 * and after (two stores: a step whose record failed to append is in the ledger, and the error says so).
 */
export class AdjustBalance {
  constructor(private readonly deps: AdjustBalanceDeps) {}

  async request(operator: Operator, request: AdjustmentRequest): Promise<AdjustmentDecision> {
    const { adjustmentId, account, asset, amount } = request;
    const reason = request.reason.trim();
    if (adjustmentId === "") throw invalidField("idempotency_key", "required");
    if (account === "" || account.startsWith("@")) throw invalidField("account_id", "not a user account");
    if (!this.deps.assets.get(asset)) throw invalidField("asset", `unknown asset ${asset}`);
    if (amount === 0n) throw invalidField("amount", "must not be zero");
    if (amount > MAX_UNITS || -amount > MAX_UNITS) throw invalidField("amount", "too large");
    if (reason === "") throw invalidField("reason", "required");
    const executed = await this.deps.wallet.run(`adjustment-request:${adjustmentId}`, {
      kind: "adjustment_request",
      adjustmentId,
      account,
      asset,
      amount,
      reason,
      requestedBy: operator.userId,
    });
    const adjustment = await this.adjustment(adjustmentId);
    if (executed.duplicate) return { adjustment, duplicate: true };
    const audit = await this.record(operator, "adjustment.request", adjustment, reason, undefined);
    return { adjustment, duplicate: false, audit };
  }

  async approve(operator: Operator, adjustmentId: string, reason: string): Promise<AdjustmentDecision> {
    const before = await this.pending(adjustmentId);
    // Checked again inside the command (atomically); here so the common refusal reads nothing more.
    if (before.requestedBy === operator.userId) throw ownAdjustment(adjustmentId);
    const executed = await this.deps.wallet.run(`adjustment-approve:${adjustmentId}`, {
      kind: "adjustment",
      adjustmentId,
      account: before.target,
      asset: before.asset,
      amount: before.amount,
      approvedBy: operator.userId,
      reason,
    });
    const adjustment = await this.adjustment(adjustmentId);
    if (executed.duplicate) return { adjustment, duplicate: true };
    return { adjustment, duplicate: false, audit: await this.record(operator, "adjustment.approve", adjustment, reason, before) };
  }

  async reject(operator: Operator, adjustmentId: string, reason: string): Promise<AdjustmentDecision> {
    const before = await this.pending(adjustmentId);
    const executed = await this.deps.wallet.run(`adjustment-reject:${adjustmentId}`, { kind: "adjustment_reject", adjustmentId, rejectedBy: operator.userId, reason });
    const adjustment = await this.adjustment(adjustmentId);
    if (executed.duplicate) return { adjustment, duplicate: true };
    return { adjustment, duplicate: false, audit: await this.record(operator, "adjustment.reject", adjustment, reason, before) };
  }

  async adjustment(adjustmentId: string): Promise<AdjustmentDoc> {
    const found = await this.deps.store.doc(docIds.adjustment(adjustmentId));
    if (!found || found.doc.type !== "adjustment") throw notFound("adjustment", adjustmentId);
    return found.doc;
  }

  /**
   * Every adjustment, newest first, or only those pending. The pending ones are picked out of each page of all
   * adjustments (rare, manual: no index of their own), so such a page may hold fewer than asked, even none, with
   * more to come: continue while `next` is not empty.
   */
  async list(filter: { pendingOnly: boolean }, page: PageRequest): Promise<Page<AdjustmentDoc>> {
    const found = await this.deps.store.listDocs(ADJUSTMENT_ACCOUNT, "adjustment", page);
    const all = found.items.filter((doc): doc is AdjustmentDoc => doc.type === "adjustment");
    return { items: filter.pendingOnly ? all.filter((doc) => doc.status === "pending") : all, next: found.next };
  }

  private async pending(adjustmentId: string): Promise<AdjustmentDoc> {
    const adjustment = await this.adjustment(adjustmentId);
    if (adjustment.status !== "pending") throw adjustmentNotPending(adjustmentId, adjustment.status);
    return adjustment;
  }

  private record(operator: Operator, action: string, after: AdjustmentDoc, reason: string, before: AdjustmentDoc | undefined): Promise<AuditEntry> {
    return this.deps.audit.append({
      time: this.deps.clock.now(),
      actor: operator.userId,
      action,
      target: `${after.target}:${after.id.slice("adjustment:".length)}`,
      reason,
      before: before && { ...before },
      after: { ...after },
    });
  }
}
