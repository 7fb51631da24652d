import { DomainError } from "#kit/errors/domain-error.js";

// Wallet's expected failures, each a row of the kit's error table.

/**
 * Binance's -2010 in Binance's words. What reaches a client names no account and no amounts in
 * smallest units (the message and ErrorInfo travel to the public APIs as they are): only the
 * asset and which part of the balance was short (available, locked, pending, or a hold).
 */
export function insufficientBalance(asset: string, field: "available" | "locked" | "pending" | "hold"): DomainError {
  return new DomainError("INSUFFICIENT_BALANCE", undefined, [], { asset, field });
}

export function duplicateRequest(id: string): DomainError {
  return new DomainError("DUPLICATE_REQUEST", `Duplicate request with different content: id ${id} was already used for another request`, [], { id });
}

export function invalidField(field: string, description: string, key: "INVALID_PARAMETER" | "BAD_PRECISION" | "MANDATORY_PARAM_EMPTY_OR_MALFORMED" = "INVALID_PARAMETER"): DomainError {
  return new DomainError(key, `${field}: ${description}`, [{ field, description }]);
}

export function notFound(what: string, id: string): DomainError {
  return new DomainError("NOT_FOUND", `${what} ${id} not found`, [], { id });
}

export function rejected(message: string): DomainError {
  return new DomainError("NEW_ORDER_REJECTED", message);
}

export function failedPrecondition(message: string, field?: string): DomainError {
  return new DomainError("INVALID_PARAMETER", message, field ? [{ field, description: message }] : []);
}

export function mfaRequired(message = "Two-factor authentication code required."): DomainError {
  return new DomainError("MFA_REQUIRED", message);
}

/**
 * Withdrawals (and allow-list changes) wait after a password, MFA or API-key change: the same
 * error the edge answers (-4000), with until when.
 */
export function withdrawalsLocked(until: number): DomainError {
  return new DomainError(
    "WITHDRAWALS_LOCKED",
    `Withdrawals are locked until ${new Date(until).toISOString()} after a security change (password, two-factor authentication or API key).`,
    [],
    { lockedUntil: String(until) },
  );
}

/**
 * An operator froze the account: its withdrawals are held (pending, or awaiting approval) until it is unfrozen.
 * The kit's -2010 row ("This action is disabled on this account."), with what is held said for the operator.
 */
export function accountFrozen(withdrawalId: string, frozenAt: number): DomainError {
  return new DomainError(
    "ACCOUNT_FROZEN",
    `The account of withdrawal ${withdrawalId} is frozen: its withdrawals can be neither approved nor sent until it is unfrozen (or reject it).`,
    [{ field: "withdrawal_id", description: "the account is frozen" }],
    { withdrawalId, frozenAt: String(frozenAt) },
  );
}

/** A hold that is no longer pending (posted, voided or expired) cannot be used or voided again. */
export function holdNotPending(holdId: string, state: string): DomainError {
  return new DomainError("INVALID_STATE", `hold ${holdId} is ${state}, not pending`, [{ field: "hold_id", description: `hold is ${state}` }], { holdId, state });
}

export function withdrawalNotInState(withdrawalId: string, status: string, wanted: string): DomainError {
  return new DomainError("INVALID_STATE", `withdrawal ${withdrawalId} is ${status}, not ${wanted}`, [{ field: "withdrawal_id", description: `withdrawal is ${status}` }], { withdrawalId, status });
}

export function adjustmentNotPending(adjustmentId: string, status: string): DomainError {
  return new DomainError("INVALID_STATE", `adjustment ${adjustmentId} is ${status}, not pending`, [{ field: "adjustment_id", description: `adjustment is ${status}` }], { adjustmentId, status });
}

/** Four eyes: whoever asked for an adjustment cannot be the one who applies it. */
export function ownAdjustment(adjustmentId: string): DomainError {
  return new DomainError("FORBIDDEN", `adjustment ${adjustmentId} was requested by this operator; another operator must approve it`, [{ field: "adjustment_id", description: "requested by the same operator" }], { adjustmentId });
}
