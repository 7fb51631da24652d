import type { Permission, Role } from "./principal.js";

// What auth stores. Times are milliseconds since the epoch from the injected Clock.

export interface User {
  readonly id: string;
  readonly email: string;
  readonly passwordHash: string;
  readonly roles: readonly Role[];
  readonly createdAt: number;
  /** Sealed (envelope-encrypted) base32 TOTP secret, once confirmed. */
  readonly totpSecretSealed: string | null;
  /** Sealed secret of an enrollment not confirmed yet. */
  readonly totpPendingSealed: string | null;
  /** The last TOTP time step accepted (replay protection). */
  readonly totpLastStep: number;
  readonly antiPhishingCode: string | null;
  /** Last password / MFA / API-key change: withdrawals stay locked for 24 h after it. */
  readonly securityChangedAt: number;
  /** When an operator froze the account (0: not frozen): TRADE and WITHDRAW are refused while it is. */
  readonly frozenAt?: number;
}

/** A user as first stored: no MFA, no anti-phishing code, no security change yet. */
export function newUser(fields: Pick<User, "id" | "email" | "passwordHash" | "roles" | "createdAt">): User {
  return { ...fields, totpSecretSealed: null, totpPendingSealed: null, totpLastStep: 0, antiPhishingCode: null, securityChangedAt: 0 };
}

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly expiresAt: number;
  readonly clientIp: string;
  readonly userAgent: string;
  readonly revokedAt: number | null;
}

/** One refresh token of a session's family; only its hash is stored. */
export interface RefreshToken {
  readonly tokenHash: string;
  readonly sessionId: string;
  readonly createdAt: number;
  /** Set when it was exchanged for a new one: presenting it again is reuse. */
  readonly usedAt: number | null;
}

export type ApiKeyType = "hmac-sha256" | "ed25519";

export interface ApiKey {
  readonly apiKey: string;
  readonly userId: string;
  readonly label: string;
  readonly type: ApiKeyType;
  readonly permissions: readonly Permission[];
  readonly ipAllowList: readonly string[];
  /** HMAC secret, envelope-encrypted. */
  readonly secretSealed: string | null;
  /** Ed25519 public key, PEM. */
  readonly publicKey: string | null;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface LoginEvent {
  readonly userId: string;
  readonly time: number;
  readonly clientIp: string;
  readonly userAgent: string;
  readonly success: boolean;
  readonly reason: string;
}

/** A JWT signing key; the private half is sealed. */
export interface SigningKey {
  readonly kid: string;
  readonly privateJwkSealed: string;
  readonly publicJwk: string;
  readonly createdAt: number;
  /** When a newer key took over signing; it still verifies until retiredAt + the access-token TTL. */
  readonly retiredAt: number | null;
}

export const WITHDRAWAL_LOCK_MS = 24 * 60 * 60 * 1000;

export function withdrawalLockedUntil(user: Pick<User, "securityChangedAt">, now: number): number {
  const until = user.securityChangedAt > 0 ? user.securityChangedAt + WITHDRAWAL_LOCK_MS : 0;
  return until > now ? until : 0;
}
