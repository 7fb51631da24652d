import { verifySync } from "otplib";
import type { Clock } from "#kit/clock/clock.js";
import type { MfaVerifier } from "../ports/mfa-verifier.port.js";

/**
 * Embedded stand-in until auth serves MFA: accounts with a TOTP secret registered here need a
 * valid code (RFC 6238, 30 s steps, checked at the injected clock); every other account has no
 * MFA and passes.
 */
export class EmbeddedMfaVerifier implements MfaVerifier {
  private readonly secrets = new Map<string, string>();

  constructor(private readonly clock: Clock) {}

  enable(account: string, base32Secret: string): void {
    this.secrets.set(account, base32Secret);
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
