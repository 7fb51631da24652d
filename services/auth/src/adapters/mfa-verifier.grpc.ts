import { createClient, type Transport } from "@connectrpc/connect";
import { AuthService, MfaResult } from "#gen/exchange/auth/v1/auth_pb.js";
import type { AccountSecurity, MfaVerifier } from "../ports/mfa-verifier.port.js";

/**
 * MfaVerifier and AccountSecurity for a service that reaches auth over a transport (in-process
 * in embedded mode, gRPC in distributed mode: `directory.transport("auth")`).
 */
export function authSecurityClient(transport: Transport): MfaVerifier & AccountSecurity {
  const client = createClient(AuthService, transport);
  return {
    async verify(userId, code) {
      const { result } = await client.verifyMfa({ userId, code });
      return result === MfaResult.NOT_ENROLLED ? "not-enrolled" : result === MfaResult.VALID;
    },
    async withdrawalLockedUntil(userId) {
      return Number((await client.getAccountSecurity({ userId })).withdrawalLockedUntil);
    },
  };
}
