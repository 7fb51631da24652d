import { verifySync } from "otplib";
import type { Clock } from "#kit/clock/clock.js";
import type { AccountSecurity, MfaVerifier } from "../ports/mfa-verifier.port.js";

/**
 * Embedded stand-in until auth serves MFA: accounts with a TOTP secret registered here need a
 * valid code (RFC 6238, 30 s steps, checked at the injected clock); every other account has no
 * MFA and passes. No account's withdrawals are locked unless a test locks them (lockWithdrawals),
 * and none is frozen unless a test freezes it (setFrozen).
 */
export class EmbeddedMfaVerifier implements MfaVerifier {
  private readonly secrets = new Map<string, string>();
  private readonly locks = new Map<string, number>();
  private readonly frozen = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  enable(account: string, base32Secret: string): void {
    this.secrets.set(account, base32Secret);
  }

  /** Locks the account's withdrawals until `until` (ms since the epoch), as auth does after a security change. */
  lockWithdrawals(account: string, until: number): void {
    this.locks.set(account, until);
  }

  /** Freezes the account as an operator does in auth (`at` ms since the epoch), or unfreezes it (0). */
  setFrozen(account: string, at: number): void {
    this.frozen.set(account, at);
  }

  async security(account: string): Promise<AccountSecurity> {
    return { mfaEnabled: this.secrets.has(account), withdrawalLockedUntil: this.locks.get(account) ?? 0, frozenAt: this.frozen.get(account) ?? 0 };
  }

  async verify(account: string, code: string): Promise<"not_enabled" | "valid" | "invalid"> {
    const secret = this.secrets.get(account);
    if (secret === undefined) return "not_enabled";
    if (!/^[0-9]{6}$/.test(code)) return "invalid";
    try {
      return verifySync({ secret, token: code, epoch: Math.floor(this.clock.now() / 1000) }).valid ? "valid" : "invalid";
    } catch {
      return "invalid";
    }
  }
}
