import { DomainError } from "#kit/errors/domain-error.js";
import type { ApiKey, User } from "./account.js";
import { newUser, withdrawalLockedUntil } from "./account.js";
import { isActive } from "./accounts.use-case.js";
import type { AuthDeps } from "./auth-deps.js";
import { assertPermission, PERMISSIONS, type Permission, type Principal, type Role } from "./principal.js";
import { assertFresh, canonicalSignature, isIpAllowed, isValidEd25519Signature, isValidHmacSignature, parseTiming } from "./request-signing.js";

export interface SignedRequestInput {
  readonly apiKey: string;
  /** The exact query string / body that was signed, `signature` excluded. */
  readonly payload: string;
  readonly signature: string;
  readonly clientIp: string;
}

/** Turns a bearer token or a signed API request into the caller's Principal. */
export class Authenticator {
  constructor(private readonly deps: AuthDeps) {}

  async bearer(token: string, required?: Permission): Promise<Principal> {
    const claims = await this.deps.verifier.verify(token);
    const now = this.deps.clock.now();
    if (claims.sessionId !== undefined) {
      const session = await this.deps.store.findSession(claims.sessionId);
      if (!session || session.userId !== claims.userId || !isActive(session, now)) {
        throw new DomainError("UNAUTHORIZED", "Session revoked or expired.", [], { cause: "session_revoked" });
      }
    }
    const user = (await this.deps.store.findUserById(claims.userId)) ?? (claims.sessionId === undefined ? await this.provision(claims.userId, claims.roles) : undefined);
    if (!user) throw new DomainError("UNAUTHORIZED", "Unknown account.");
    // Roles from the store win for our own users (a demoted admin loses rights at once);
    // Cognito's groups are the source for its users.
    const roles = claims.sessionId !== undefined ? user.roles : claims.roles;
    const principal = this.principal(user, roles, PERMISSIONS, now, { sessionId: claims.sessionId });
    if (required) assertPermission(principal, required);
    assertNotFrozen(user, required);
    return principal;
  }

  /**
   * Binance-style signed request. Checks, in order: the key (-2015), the IP allow-list (-2015),
   * timestamp vs recvWindow (-1021), the signature (-1022), replay (-1022), the permission (-2015).
   */
  async signed(request: SignedRequestInput, required?: Permission): Promise<Principal> {
    const now = this.deps.clock.now();
    if (!/^[A-Za-z0-9]{1,128}$/.test(request.apiKey)) throw new DomainError("BAD_API_KEY_FORMAT");
    const key = await this.deps.store.findApiKey(request.apiKey);
    if (!key || key.revokedAt !== null) throw new DomainError("REJECTED_MBX_KEY", undefined, [], { cause: "unknown_key" });
    if (!isIpAllowed(key.ipAllowList, request.clientIp)) throw new DomainError("REJECTED_MBX_KEY", `Invalid API-key, IP, or permissions for action, request ip: ${request.clientIp}`, [], { cause: "ip_not_allowed" });
    const timing = parseTiming(request.payload);
    assertFresh(timing, now);
    if (!(await this.signatureValid(key, request))) throw new DomainError("INVALID_SIGNATURE", undefined, [], { cause: "bad_signature" });
    // Keyed on the signature's bytes, not its text: a re-spelled signature is the same request.
    const replayKey = `${key.apiKey}:${canonicalSignature(key.type, request.signature)}`;
    if (!(await this.deps.replay.firstSeen(replayKey, timing.timestamp + timing.recvWindow + 1))) {
      throw new DomainError("INVALID_SIGNATURE", "Signature for this request was already used.", [], { cause: "replayed" });
    }
    const user = await this.deps.store.findUserById(key.userId);
    const principal = this.principal(user, user?.roles ?? ["user"], key.permissions, now, { apiKey: key.apiKey, userId: key.userId });
    if (required) assertPermission(principal, required);
    assertNotFrozen(user, required);
    return principal;
  }

  /**
   * Binance's USER_STREAM security: the API key alone, no signature (listen keys). Checks the
   * key (-2015) and the IP allow-list (-2015), then the permission when one is required.
   */
  async apiKey(apiKey: string, clientIp: string, required?: Permission): Promise<Principal> {
    const now = this.deps.clock.now();
    if (!/^[A-Za-z0-9]{1,128}$/.test(apiKey)) throw new DomainError("BAD_API_KEY_FORMAT");
    const key = await this.deps.store.findApiKey(apiKey);
    if (!key || key.revokedAt !== null) throw new DomainError("REJECTED_MBX_KEY", undefined, [], { cause: "unknown_key" });
    if (!isIpAllowed(key.ipAllowList, clientIp)) throw new DomainError("REJECTED_MBX_KEY", `Invalid API-key, IP, or permissions for action, request ip: ${clientIp}`, [], { cause: "ip_not_allowed" });
    const user = await this.deps.store.findUserById(key.userId);
    const principal = this.principal(user, user?.roles ?? ["user"], key.permissions, now, { apiKey: key.apiKey, userId: key.userId });
    if (required) assertPermission(principal, required);
    assertNotFrozen(user, required);
    return principal;
  }

  private async signatureValid(key: ApiKey, request: SignedRequestInput): Promise<boolean> {
    if (key.type === "hmac-sha256") return isValidHmacSignature(await this.deps.box.open(key.secretSealed!), request.payload, request.signature);
    return isValidEd25519Signature(key.publicKey!, request.payload, request.signature);
  }

  private principal(user: User | undefined, roles: readonly Role[], permissions: readonly Permission[], now: number, extra: { sessionId?: string; apiKey?: string; userId?: string }): Principal {
    return {
      userId: user?.id ?? extra.userId ?? "",
      roles,
      permissions,
      apiKey: extra.apiKey,
      sessionId: extra.sessionId,
      withdrawalLockedUntil: user ? withdrawalLockedUntil(user, now) : 0,
      mfaEnabled: user?.totpSecretSealed != null,
    };
  }

  /** First sight of a Cognito user: a local row (no password) so MFA, keys and locks can hang off it. */
  private async provision(userId: string, roles: readonly Role[]): Promise<User> {
    const user = newUser({ id: userId, email: `cognito:${userId}`, passwordHash: "", roles, createdAt: this.deps.clock.now() });
    await this.deps.store.createUser(user);
    return (await this.deps.store.findUserById(userId)) ?? user;
  }
}

/** A frozen account reads, but may not trade or withdraw (Binance's "This action is disabled on this account."). */
function assertNotFrozen(user: User | undefined, required: Permission | undefined): void {
  if ((required === "trade" || required === "withdraw") && (user?.frozenAt ?? 0) > 0) {
    throw new DomainError("ACCOUNT_FROZEN", undefined, [], { frozenAt: String(user!.frozenAt) });
  }
}
