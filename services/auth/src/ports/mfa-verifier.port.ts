/**
 * What wallet needs to check a withdrawal's second factor. A TOTP code or an unused recovery
 * code; "not-enrolled" lets the caller decide whether MFA is mandatory for the action.
 */
export interface MfaVerifier {
  verify(userId: string, code: string): Promise<boolean | "not-enrolled">;
}

/** What wallet needs to enforce the 24 h withdrawal lock after a security change. */
export interface AccountSecurity {
  /** Milliseconds since the epoch until which withdrawals are locked, 0 when they are not. */
  withdrawalLockedUntil(userId: string): Promise<number>;
}
