/**
 * Second factor for sensitive actions (withdrawals). Owned by auth; wallet only asks.
 * "not_enabled": the account has no MFA, the action proceeds without a code.
 */
export interface MfaVerifier {
  verify(account: string, code: string): Promise<"not_enabled" | "valid" | "invalid">;
}
