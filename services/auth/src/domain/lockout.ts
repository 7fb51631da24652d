// Lockout with exponential backoff, a pure function of the failure record and the time.
// Applied per account and per client IP, so a password sprayer and a targeted guesser both slow down.

export interface LockoutPolicy {
  /** The failure that locks first (the 5th, with 5). */
  readonly threshold: number;
  /** First lock length; each further failure doubles it. */
  readonly baseLockMs: number;
  readonly maxLockMs: number;
  /** Quiet time after which failures are forgotten. */
  readonly resetAfterMs: number;
}

export const ACCOUNT_LOCKOUT: LockoutPolicy = { threshold: 5, baseLockMs: 60_000, maxLockMs: 3_600_000, resetAfterMs: 900_000 };
export const IP_LOCKOUT: LockoutPolicy = { threshold: 20, baseLockMs: 60_000, maxLockMs: 3_600_000, resetAfterMs: 900_000 };

export interface FailureRecord {
  readonly failures: number;
  readonly lockedUntil: number;
  readonly lastFailureAt: number;
}

export const NO_FAILURES: FailureRecord = { failures: 0, lockedUntil: 0, lastFailureAt: 0 };

/** The time until which the key is locked, or 0. */
export function lockedUntil(record: FailureRecord, now: number): number {
  return record.lockedUntil > now ? record.lockedUntil : 0;
}

/** The record after one more failure at `now`. */
export function recordFailure(policy: LockoutPolicy, record: FailureRecord, now: number): FailureRecord {
  const stale = now - record.lastFailureAt >= policy.resetAfterMs;
  const failures = (stale ? 0 : record.failures) + 1;
  if (failures < policy.threshold) return { failures, lockedUntil: 0, lastFailureAt: now };
  const lockMs = Math.min(policy.maxLockMs, policy.baseLockMs * 2 ** (failures - policy.threshold));
  return { failures, lockedUntil: now + lockMs, lastFailureAt: now };
}
