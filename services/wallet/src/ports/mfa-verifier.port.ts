/** What auth knows about an account's security, as wallet needs it before a withdrawal. */
export interface AccountSecurity {
  readonly mfaEnabled: boolean;
  /** Milliseconds since the epoch until which withdrawals are locked after a security change (0: not locked). */
  readonly withdrawalLockedUntil: number;
  /** When an operator froze the account (0: not frozen): its withdrawals are neither approved nor sent. */
  readonly frozenAt: number;
}

/**
 * Second factor, withdrawal lock and freeze for sensitive actions (withdrawals, allow-list changes).
 * Owned by auth; wallet only asks.
 * "not_enabled": the account has no MFA, the action proceeds without a code.
 */
export interface MfaVerifier {
  verify(account: string, code: string): Promise<"not_enabled" | "valid" | "invalid">;
  security(account: string): Promise<AccountSecurity>;
}
