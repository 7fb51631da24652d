import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { AuthService, MfaResult } from "#gen/exchange/auth/v1/auth_pb.js";
import type { AccountSecurity, MfaVerifier } from "../ports/mfa-verifier.port.js";

/** auth's VerifyMfa takes codes of 1 to 64 characters (a TOTP code or a recovery code). */
const MAX_CODE_LENGTH = 64;

/**
 * The second factor as auth decides it, over auth's VerifyMfa (a TOTP code, or an unused recovery
 * code, which it then spends) and GetAccountSecurity: in-process in embedded mode, gRPC at
 * AUTH_ADDR in distributed mode. An empty code is not sent to VerifyMfa (which requires one):
 * it passes an account without MFA and fails one with MFA. The withdrawal lock and the freeze
 * come from GetAccountSecurity too.
 */
export class AuthMfaVerifier implements MfaVerifier {
  private readonly client: Client<typeof AuthService>;

  constructor(transport: Transport) {
    this.client = createClient(AuthService, transport);
  }

  async verify(account: string, code: string): Promise<"not_enabled" | "valid" | "invalid"> {
    if (code === "" || code.length > MAX_CODE_LENGTH) {
      const { mfaEnabled } = await this.client.getAccountSecurity({ userId: account });
      return mfaEnabled ? "invalid" : "not_enabled";
    }
    const { result } = await this.client.verifyMfa({ userId: account, code });
    return result === MfaResult.NOT_ENROLLED ? "not_enabled" : result === MfaResult.VALID ? "valid" : "invalid";
  }

  async security(account: string): Promise<AccountSecurity> {
    const { mfaEnabled, withdrawalLockedUntil, frozenAt } = await this.client.getAccountSecurity({ userId: account });
    return { mfaEnabled, withdrawalLockedUntil: Number(withdrawalLockedUntil), frozenAt: Number(frozenAt) };
  }
}
