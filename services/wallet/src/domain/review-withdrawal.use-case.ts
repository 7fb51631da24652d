import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { AuditEntry, AuditLog } from "#kit/ports/audit-log.port.js";
import type { Operator } from "#kit/ports/operator-gate.port.js";
import type { PageRequest } from "../ports/ledger-store.port.js";
import type { Page, WithdrawalDoc } from "./ledger.js";
import type { Wallet } from "./wallet.use-case.js";

export interface ReviewWithdrawalDeps {
  readonly wallet: Pick<Wallet, "withdrawal" | "approveWithdrawal" | "rejectWithdrawal" | "listWithdrawalApprovals">;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/** A withdrawal as the audit log shows it: amounts in smallest units. */
function view(withdrawal: WithdrawalDoc): Record<string, unknown> {
  return { ...withdrawal };
}

/**
 * The withdrawal review queue for operators: withdrawals above their asset's approval threshold wait here until
 * one approves (released to the chain) or rejects (funds back to the account). Only a withdrawal awaiting review
 * can be decided: any other is INVALID_STATE with nothing changed. Each decision is then appended to wallet's
 * audit log with the withdrawal before and after (the ledger and the log are two stores: a decision whose
 * record failed to append is in the ledger, and the error says so).
 */
export class ReviewWithdrawal {
  constructor(private readonly deps: ReviewWithdrawalDeps) {}

  pending(page: PageRequest): Promise<Page<WithdrawalDoc>> {
    return this.deps.wallet.listWithdrawalApprovals(page);
  }

  approve(operator: Operator, withdrawalId: string, reason: string): Promise<{ withdrawal: WithdrawalDoc; audit: AuditEntry }> {
    return this.decide(operator, withdrawalId, reason, "withdrawal.approve", () => this.deps.wallet.approveWithdrawal(withdrawalId));
  }

  reject(operator: Operator, withdrawalId: string, reason: string): Promise<{ withdrawal: WithdrawalDoc; audit: AuditEntry }> {
    return this.decide(operator, withdrawalId, reason, "withdrawal.reject", () => this.deps.wallet.rejectWithdrawal(withdrawalId, reason));
  }

  private async decide(operator: Operator, withdrawalId: string, reason: string, action: string, act: () => Promise<WithdrawalDoc>) {
    const before = await this.deps.wallet.withdrawal(withdrawalId);
    if (before.status !== "awaiting_approval") {
      throw new DomainError("INVALID_STATE", `Withdrawal ${withdrawalId} is ${before.status}, not awaiting review.`, [{ field: "withdrawal_id", description: `is ${before.status}` }]);
    }
    const withdrawal = await act();
    const audit = await this.deps.audit.append({ time: this.deps.clock.now(), actor: operator.userId, action, target: `${before.account}:${withdrawalId}`, reason, before: view(before), after: view(withdrawal) });
    return { withdrawal, audit };
  }
}
