import { randomUUID } from "node:crypto";
import { DomainError } from "#kit/errors/domain-error.js";
import type { AccountSecurity } from "../ports/mfa-verifier.port.js";
import { newUser, withdrawalLockedUntil, type LoginEvent, type Session, type User } from "./account.js";
import { opaqueToken, sha256Hex, type AuthDeps } from "./auth-deps.js";
import { lockedUntil, recordFailure } from "./lockout.js";
import type { Mfa } from "./mfa.use-case.js";
import type { Role } from "./principal.js";

export interface Tokens {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly sessionId: string;
}

export interface SignInInput {
  readonly email: string;
  readonly password: string;
  readonly totpCode?: string;
  readonly clientIp?: string;
  readonly userAgent?: string;
}

const BAD_CREDENTIALS = "Invalid e-mail or password.";

/** Sign-up, sign-in with lockout and MFA, refresh-token rotation, sessions, account safety. */
export class Accounts implements AccountSecurity {
  /** Verified against when the e-mail is unknown, so both paths cost one argon2 verification. */
  private dummyHash?: Promise<string>;

  constructor(
    private readonly deps: AuthDeps,
    private readonly mfa: Mfa,
  ) {}

  async signUp(email: string, password: string): Promise<string> {
    this.assertLocal();
    const normalized = normalizeEmail(email);
    const user = newUser({ id: randomUUID(), email: normalized, passwordHash: await this.deps.passwords.hash(password), roles: ["user"], createdAt: this.deps.clock.now() });
    if (!(await this.deps.store.createUser(user))) throw new DomainError("ALREADY_EXISTS", "An account with this e-mail already exists.");
    return user.id;
  }

  async signIn(input: SignInInput): Promise<Tokens> {
    this.assertLocal();
    const { store, clock, policy } = this.deps;
    const email = normalizeEmail(input.email);
    const clientIp = input.clientIp ?? "";
    const userAgent = input.userAgent ?? "";
    const accountKey = `account:${email}`;
    const ipKey = `ip:${clientIp || "unknown"}`;
    const now = clock.now();
    const [accountRecord, ipRecord] = await Promise.all([store.getFailures(accountKey), store.getFailures(ipKey)]);
    const until = Math.max(lockedUntil(accountRecord, now), lockedUntil(ipRecord, now));
    const user = await store.findUserByEmail(email);
    const event = (success: boolean, reason: string) => (user ? store.addLoginEvent({ userId: user.id, time: now, clientIp, userAgent, success, reason }) : Promise.resolve());
    if (until > 0) {
      await event(false, "locked");
      throw new DomainError("ACCOUNT_LOCKED", undefined, [], { retryAfterMs: String(until - now) });
    }
    const fail = async (reason: string, error: DomainError): Promise<never> => {
      await store.putFailures(accountKey, recordFailure(policy.accountLockout, accountRecord, now));
      await store.putFailures(ipKey, recordFailure(policy.ipLockout, ipRecord, now));
      await event(false, reason);
      throw error;
    };
    const passwordOk = user ? await this.deps.passwords.verify(user.passwordHash, input.password) : (await this.deps.passwords.verify(await this.dummy(), input.password), false);
    if (!user || !passwordOk) return fail("bad_password", new DomainError("UNAUTHORIZED", BAD_CREDENTIALS, [], { cause: "bad_credentials" }));
    if (user.totpSecretSealed) {
      if (!input.totpCode) {
        await event(false, "mfa_required");
        throw new DomainError("MFA_REQUIRED");
      }
      if ((await this.mfa.verify(user.id, input.totpCode)) !== true) {
        return fail("bad_mfa", new DomainError("UNAUTHORIZED", "Invalid two-factor code.", [], { cause: "mfa_invalid" }));
      }
    }
    if (accountRecord.failures > 0) await store.clearFailures(accountKey);
    const tokens = await this.openSession(user, clientIp, userAgent, now);
    await event(true, "ok");
    return tokens;
  }

  /** Exchanges a refresh token for a new pair. A token used twice revokes its whole session. */
  async refresh(refreshToken: string): Promise<Tokens> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const hash = sha256Hex(refreshToken);
    const token = await store.findRefreshToken(hash);
    if (!token) throw new DomainError("UNAUTHORIZED", "Invalid refresh token.", [], { cause: "invalid_refresh_token" });
    const session = await store.findSession(token.sessionId);
    if (!session || !isActive(session, now)) throw new DomainError("UNAUTHORIZED", "Session revoked or expired.", [], { cause: "session_revoked" });
    const next = opaqueToken();
    const rotated = token.usedAt === null && (await store.rotateRefreshToken(hash, { tokenHash: sha256Hex(next), sessionId: session.id, createdAt: now, usedAt: null }, now));
    if (!rotated) {
      await store.revokeSession(session.id, now);
      throw new DomainError("UNAUTHORIZED", "Refresh token reuse detected; the session has been revoked.", [], { cause: "refresh_token_reuse" });
    }
    const user = await store.findUserById(session.userId);
    if (!user) throw new DomainError("UNAUTHORIZED", "Unknown account.");
    return { accessToken: await this.issuer().issue({ userId: user.id, roles: user.roles, sessionId: session.id }), refreshToken: next, expiresIn: this.issuer().ttlSeconds, sessionId: session.id };
  }

  async listSessions(userId: string): Promise<Session[]> {
    return this.deps.store.listActiveSessions(userId, this.deps.clock.now());
  }

  /** Revokes one of the user's sessions; someone else's session id is reported as not found. */
  async revokeSession(userId: string, sessionId: string): Promise<void> {
    const session = await this.deps.store.findSession(sessionId);
    if (!session || session.userId !== userId || session.revokedAt !== null) throw new DomainError("NOT_FOUND", "No such active session.");
    await this.deps.store.revokeSession(sessionId, this.deps.clock.now());
  }

  /** Changes the password (MFA when enabled), signs out every other session, locks withdrawals. */
  async changePassword(userId: string, currentPassword: string, newPassword: string, totpCode: string | undefined, keepSessionId?: string): Promise<void> {
    this.assertLocal();
    const user = await this.deps.store.findUserById(userId);
    if (!user) throw new DomainError("NOT_FOUND", "Unknown account.");
    if (!(await this.deps.passwords.verify(user.passwordHash, currentPassword))) throw new DomainError("UNAUTHORIZED", "Current password is wrong.", [], { cause: "bad_credentials" });
    await this.mfa.require(userId, totpCode);
    const now = this.deps.clock.now();
    await this.deps.store.setPasswordHash(userId, await this.deps.passwords.hash(newPassword), now);
    await this.deps.store.revokeAllSessions(userId, now, keepSessionId);
  }

  async loginHistory(userId: string, limit = 100): Promise<LoginEvent[]> {
    return this.deps.store.listLoginEvents(userId, limit);
  }

  async setAntiPhishingCode(userId: string, code: string): Promise<void> {
    await this.requireUser(userId);
    await this.deps.store.setAntiPhishingCode(userId, code);
  }

  /** What services ask before a sensitive action: MFA, the withdrawal lock, the freeze (frozenAt 0: not frozen). */
  async security(userId: string): Promise<{ mfaEnabled: boolean; withdrawalLockedUntil: number; antiPhishingCode: string; frozenAt: number }> {
    const user = await this.deps.store.findUserById(userId);
    if (!user) return { mfaEnabled: false, withdrawalLockedUntil: 0, antiPhishingCode: "", frozenAt: 0 };
    return {
      mfaEnabled: user.totpSecretSealed !== null,
      withdrawalLockedUntil: withdrawalLockedUntil(user, this.deps.clock.now()),
      antiPhishingCode: user.antiPhishingCode ?? "",
      frozenAt: user.frozenAt ?? 0,
    };
  }

  async withdrawalLockedUntil(userId: string): Promise<number> {
    return (await this.security(userId)).withdrawalLockedUntil;
  }

  /** Operators (order's back office): freezes or unfreezes the account; answers whether it was frozen. */
  async setFrozen(userId: string, frozen: boolean): Promise<boolean> {
    const previous = await this.deps.store.setFrozenAt(userId, frozen ? Math.max(1, this.deps.clock.now()) : 0);
    if (previous === undefined) throw new DomainError("NOT_FOUND", `Unknown account ${userId}.`, [{ field: "user_id", description: "unknown account" }]);
    return previous > 0;
  }

  /** Admin operation (and bootstrap): replaces the account's roles. */
  async setRoles(userId: string, roles: readonly Role[]): Promise<void> {
    await this.requireUser(userId);
    await this.deps.store.setRoles(userId, roles.length > 0 ? roles : ["user"]);
  }

  private async openSession(user: User, clientIp: string, userAgent: string, now: number): Promise<Tokens> {
    const session: Session = { id: randomUUID(), userId: user.id, createdAt: now, lastUsedAt: now, expiresAt: now + this.deps.policy.refreshTtlMs, clientIp, userAgent, revokedAt: null };
    const refreshToken = opaqueToken();
    await this.deps.store.createSession(session, { tokenHash: sha256Hex(refreshToken), sessionId: session.id, createdAt: now, usedAt: null });
    const accessToken = await this.issuer().issue({ userId: user.id, roles: user.roles, sessionId: session.id });
    return { accessToken, refreshToken, expiresIn: this.issuer().ttlSeconds, sessionId: session.id };
  }

  private async requireUser(userId: string): Promise<User> {
    const user = await this.deps.store.findUserById(userId);
    if (!user) throw new DomainError("NOT_FOUND", "Unknown account.");
    return user;
  }

  private issuer() {
    if (!this.deps.issuer) throw new DomainError("UNIMPLEMENTED", "Sign-in is handled by Amazon Cognito in this deployment.");
    return this.deps.issuer;
  }

  private assertLocal(): void {
    this.issuer();
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= this.deps.passwords.hash("not a real password, only for timing");
    return this.dummyHash;
  }
}

export function isActive(session: Session, now: number): boolean {
  return session.revokedAt === null && session.expiresAt > now;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
