import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { AuthService, MfaResult, Permission as PbPermission, Role as PbRole } from "#gen/exchange/auth/v1/auth_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { Auth } from "../domain/auth.js";
import { assertCanAct, assertRole, type Permission, type Principal } from "../domain/principal.js";
import { authenticated, principalOf } from "./auth.context.js";
import { apiKeyTypeFromPb, permissionFromPb, roleFromPb, toPbApiKey, toPbLoginEvent, toPbPrincipal, toPbSession, toPbTokens } from "./auth.mapper.js";

/**
 * auth.v1 over the use cases. Open RPCs: SignUp, SignIn, RefreshSession, GetJwks; internal ones
 * called by other services behind the edge (never routed by it): Authenticate, VerifyMfa,
 * GetAccountSecurity, and SetAccountFrozen, which the runtime's caller guard admits from order alone
 * (auth.callers.ts). Every other RPC needs a bearer token, and the caller must be allowed to act
 * on the account named in the request (assertCanAct: owner, support read-only, admin).
 */
export function authRoutes(auth: Auth) {
  const impl: ServiceImpl<typeof AuthService> = {
    async signUp(request) {
      return { userId: await auth.accounts.signUp(request.email, request.password) };
    },
    async signIn(request) {
      const tokens = await auth.accounts.signIn({ email: request.email, password: request.password, totpCode: request.totpCode || undefined, clientIp: request.clientIp, userAgent: request.userAgent });
      return { tokens: toPbTokens(tokens) };
    },
    async refreshSession(request) {
      return { tokens: toPbTokens(await auth.accounts.refresh(request.refreshToken)) };
    },
    async getJwks() {
      return { jwksJson: await auth.jwks() };
    },
    async authenticate(request) {
      const required = request.requiredPermission === PbPermission.UNSPECIFIED ? undefined : permissionFromPb(request.requiredPermission);
      const role = request.requiredRole === PbRole.UNSPECIFIED ? undefined : roleFromPb(request.requiredRole);
      const credential = request.credential;
      let principal: Principal;
      if (credential.case === "bearerToken") principal = await auth.authenticator.bearer(credential.value, required);
      else if (credential.case === "signed") {
        const { apiKey, payload, signature, clientIp } = credential.value;
        principal = await auth.authenticator.signed({ apiKey, payload, signature, clientIp }, required);
      } else if (credential.case === "apiKey") principal = await auth.authenticator.apiKey(credential.value.apiKey, credential.value.clientIp, required);
      else throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "A bearer token, a signed request or an API key is required.");
      if (role) assertRole(principal, role);
      return { principal: toPbPrincipal(principal) };
    },
    async setAccountFrozen(request) {
      return { wasFrozen: await auth.accounts.setFrozen(request.userId, request.frozen) };
    },
    async verifyMfa(request) {
      const result = await auth.mfa.verify(request.userId, request.code);
      return { result: result === "not-enrolled" ? MfaResult.NOT_ENROLLED : result ? MfaResult.VALID : MfaResult.INVALID };
    },
    async getAccountSecurity(request) {
      const security = await auth.accounts.security(request.userId);
      return { ...security, withdrawalLockedUntil: BigInt(security.withdrawalLockedUntil), frozenAt: BigInt(security.frozenAt) };
    },

    async listSessions(request, context) {
      assertCanAct(principalOf(context), request.userId, false);
      return { sessions: (await auth.accounts.listSessions(request.userId)).map(toPbSession) };
    },
    async revokeSession(request, context) {
      assertCanAct(principalOf(context), request.userId, true);
      await auth.accounts.revokeSession(request.userId, request.sessionId);
      return {};
    },
    async changePassword(request, context) {
      const principal = principalOf(context);
      assertCanAct(principal, request.userId, true);
      if (principal.userId !== request.userId) throw new DomainError("FORBIDDEN", "Only the account owner can change its password.");
      await auth.accounts.changePassword(request.userId, request.currentPassword, request.newPassword, request.totpCode || undefined, principal.sessionId);
      return {};
    },
    async enrollTotp(request, context) {
      assertOwner(principalOf(context), request.userId);
      return await auth.mfa.enroll(request.userId);
    },
    async confirmTotp(request, context) {
      assertOwner(principalOf(context), request.userId);
      return { recoveryCodes: await auth.mfa.confirm(request.userId, request.code) };
    },
    async createApiKey(request, context) {
      assertOwner(principalOf(context), request.userId);
      const permissions = request.permissions.map(permissionFromPb).filter((p): p is Permission => p !== undefined);
      const created = await auth.apiKeys.create({
        userId: request.userId,
        label: request.label,
        type: apiKeyTypeFromPb(request.type),
        permissions,
        ipAllowList: request.ipAllowList,
        publicKey: request.publicKey || undefined,
        totpCode: request.totpCode || undefined,
      });
      return { key: toPbApiKey(created.key), secret: created.secret };
    },
    async listApiKeys(request, context) {
      assertCanAct(principalOf(context), request.userId, false);
      return { keys: (await auth.apiKeys.list(request.userId)).map(toPbApiKey) };
    },
    async revokeApiKey(request, context) {
      assertCanAct(principalOf(context), request.userId, true);
      await auth.apiKeys.revoke(request.userId, request.apiKey);
      return {};
    },
    async listLoginHistory(request, context) {
      assertCanAct(principalOf(context), request.userId, false);
      return { events: (await auth.accounts.loginHistory(request.userId)).map(toPbLoginEvent) };
    },
    async setAntiPhishingCode(request, context) {
      assertOwner(principalOf(context), request.userId);
      await auth.accounts.setAntiPhishingCode(request.userId, request.code);
      return {};
    },
  };

  const open = ["signUp", "signIn", "refreshSession", "getJwks", "authenticate", "verifyMfa", "getAccountSecurity", "setAccountFrozen"] as const;
  const guarded = authenticated(impl, open, auth.authenticator);
  return (router: ConnectRouter) => {
    router.service(AuthService, guarded);
  };
}

/** Credentials (MFA seeds, API keys, anti-phishing code) are the owner's alone: even an admin may not mint them. */
function assertOwner(principal: ReturnType<typeof principalOf>, userId: string): void {
  assertCanAct(principal, userId, true);
  if (principal.userId !== userId) throw new DomainError("FORBIDDEN", "Only the account owner can do this.");
}
