import { DomainError } from "#kit/errors/domain-error.js";
import type { MfaVerifier } from "../ports/mfa-verifier.port.js";
import type { User } from "./account.js";
import { normalizeRecoveryCode, recoveryCode, sha256Hex, type AuthDeps } from "./auth-deps.js";
import { lockedUntil, recordFailure } from "./lockout.js";

export const RECOVERY_CODE_COUNT = 10;

/** TOTP enrollment and verification, recovery codes. Also the MfaVerifier wallet uses. */
export class Mfa implements MfaVerifier {
  constructor(private readonly deps: AuthDeps) {}

  async enroll(userId: string): Promise<{ otpauthUri: string; secret: string }> {
    const user = await this.user(userId);
    if (user.totpSecretSealed) throw new DomainError("ALREADY_EXISTS", "Two-factor authentication is already enabled.");
    const secret = this.deps.totp.generateSecret();
    await this.deps.store.setTotpPending(userId, await this.deps.box.seal(secret));
    return { otpauthUri: this.deps.totp.uri(secret, this.deps.policy.totpIssuer, user.email), secret };
  }

  /** Turns TOTP on once the user proves their app has the secret; returns recovery codes, shown once. */
  async confirm(userId: string, code: string): Promise<string[]> {
    const user = await this.user(userId);
    if (!user.totpPendingSealed) throw new DomainError("NOT_FOUND", "No two-factor enrollment is pending; call EnrollTotp first.");
    const secret = await this.deps.box.open(user.totpPendingSealed);
    const now = this.deps.clock.now();
    const step = await this.deps.totp.verify(secret, code, now, 0);
    if (step === undefined) throw new DomainError("INVALID_PARAMETER", "Invalid two-factor code.", [{ field: "code", description: "does not match the enrolled secret" }]);
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, recoveryCode);
    await this.deps.store.enableTotp(userId, codes.map((c) => sha256Hex(normalizeRecoveryCode(c))), now);
    await this.deps.store.advanceTotpStep(userId, step);
    return codes;
  }

  /**
   * A TOTP code (each step usable once) or an unused recovery code (single use; using one
   * counts as a security change). Failures count toward a per-account MFA lockout.
   */
  async verify(userId: string, code: string): Promise<boolean | "not-enrolled"> {
    const user = await this.deps.store.findUserById(userId);
    if (!user?.totpSecretSealed) return "not-enrolled";
    const key = `mfa:${userId}`;
    const now = this.deps.clock.now();
    const record = await this.deps.store.getFailures(key);
    const until = lockedUntil(record, now);
    if (until > 0) throw new DomainError("ACCOUNT_LOCKED", undefined, [], { retryAfterMs: String(until - now) });
    if (await this.check(user, code, now)) {
      if (record.failures > 0) await this.deps.store.clearFailures(key);
      return true;
    }
    await this.deps.store.putFailures(key, recordFailure(this.deps.policy.accountLockout, record, now));
    return false;
  }

  /** For actions that need MFA when it is enabled: throws MFA_REQUIRED when the code is missing or wrong. */
  async require(userId: string, code: string | undefined): Promise<void> {
    const user = await this.deps.store.findUserById(userId);
    if (!user?.totpSecretSealed) return;
    if (!code) throw new DomainError("MFA_REQUIRED");
    if ((await this.verify(userId, code)) !== true) throw new DomainError("MFA_REQUIRED", "Invalid two-factor code.", [], { cause: "mfa_invalid" });
  }

  private async check(user: User, code: string, now: number): Promise<boolean> {
    const trimmed = code.trim();
    if (/^\d{6}$/.test(trimmed)) {
      const secret = await this.deps.box.open(user.totpSecretSealed!);
      const step = await this.deps.totp.verify(secret, trimmed, now, user.totpLastStep);
      return step !== undefined && (await this.deps.store.advanceTotpStep(user.id, step));
    }
    const used = await this.deps.store.useRecoveryCode(user.id, sha256Hex(normalizeRecoveryCode(trimmed)), now);
    if (used) await this.deps.store.markSecurityChange(user.id, now);
    return used;
  }

  private async user(userId: string): Promise<User> {
    const user = await this.deps.store.findUserById(userId);
    if (!user) throw new DomainError("NOT_FOUND", "Unknown account.");
    return user;
  }
}
