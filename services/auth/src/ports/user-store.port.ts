import type { ApiKey, LoginEvent, RefreshToken, Session, SigningKey, User } from "../domain/account.js";
import type { FailureRecord } from "../domain/lockout.js";
import type { Role } from "../domain/principal.js";

/**
 * Everything auth keeps: users and credentials, sessions with their refresh-token families,
 * API keys, recovery codes, login history, lockout counters and JWT signing keys.
 * Conditional updates (markRefreshTokenUsed, useRecoveryCode, advanceTotpStep) are atomic, so
 * two replicas racing on one token or code cannot both win.
 */
export interface UserStore {
  /** Inserts the user; returns false when the e-mail is taken. */
  createUser(user: User): Promise<boolean>;
  findUserByEmail(email: string): Promise<User | undefined>;
  findUserById(id: string): Promise<User | undefined>;
  setPasswordHash(userId: string, passwordHash: string, securityChangedAt: number): Promise<void>;
  setRoles(userId: string, roles: readonly Role[]): Promise<void>;
  /** Sets when the account was frozen (0: unfreezes); answers the previous value, undefined for an unknown user. */
  setFrozenAt(userId: string, at: number): Promise<number | undefined>;
  setAntiPhishingCode(userId: string, code: string): Promise<void>;
  setTotpPending(userId: string, sealed: string): Promise<void>;
  /** Moves the pending secret to the active one and stores the recovery-code hashes. */
  enableTotp(userId: string, recoveryCodeHashes: readonly string[], securityChangedAt: number): Promise<void>;
  /** Records `step` as the last TOTP step used if it is later than the stored one; false otherwise. */
  advanceTotpStep(userId: string, step: number): Promise<boolean>;
  /** Marks an unused recovery code used; false when unknown or already used. */
  useRecoveryCode(userId: string, codeHash: string, now: number): Promise<boolean>;
  countUnusedRecoveryCodes(userId: string): Promise<number>;
  markSecurityChange(userId: string, at: number): Promise<void>;

  createSession(session: Session, firstToken: RefreshToken): Promise<void>;
  findSession(sessionId: string): Promise<Session | undefined>;
  listActiveSessions(userId: string, now: number): Promise<Session[]>;
  /** Revokes the session (its whole refresh-token family); false if it was not active. */
  revokeSession(sessionId: string, now: number): Promise<boolean>;
  revokeAllSessions(userId: string, now: number, exceptSessionId?: string): Promise<void>;
  findRefreshToken(tokenHash: string): Promise<RefreshToken | undefined>;
  /** Rotation: marks `used` used (only if unused) and stores `next`; false if `used` was already used. */
  rotateRefreshToken(usedHash: string, next: RefreshToken, now: number): Promise<boolean>;

  createApiKey(key: ApiKey): Promise<void>;
  findApiKey(apiKey: string): Promise<ApiKey | undefined>;
  listApiKeys(userId: string): Promise<ApiKey[]>;
  /** False when the key does not exist, belongs to someone else or is already revoked. */
  revokeApiKey(userId: string, apiKey: string, now: number): Promise<boolean>;

  addLoginEvent(event: LoginEvent): Promise<void>;
  /** Newest first. */
  listLoginEvents(userId: string, limit: number): Promise<LoginEvent[]>;

  getFailures(key: string): Promise<FailureRecord>;
  putFailures(key: string, record: FailureRecord): Promise<void>;
  clearFailures(key: string): Promise<void>;

  listSigningKeys(): Promise<SigningKey[]>;
  /** Inserts `next` and retires every other unretired key at `next.createdAt`. */
  rotateSigningKey(next: SigningKey): Promise<void>;
}
