import { createHash, randomBytes, randomInt } from "node:crypto";
import type { Clock } from "#kit/clock/clock.js";
import type { AccessTokenIssuer, AccessTokenVerifier } from "../ports/access-tokens.port.js";
import type { PasswordHasher } from "../ports/password-hasher.port.js";
import type { ReplayCache } from "../ports/replay-cache.port.js";
import type { SecretBox } from "../ports/secret-box.port.js";
import type { Totp } from "../ports/totp.port.js";
import type { UserStore } from "../ports/user-store.port.js";
import type { LockoutPolicy } from "./lockout.js";

/** Everything the use cases need, injected by main.ts (or a test). */
export interface AuthDeps {
  readonly store: UserStore;
  readonly clock: Clock;
  readonly passwords: PasswordHasher;
  readonly box: SecretBox;
  readonly totp: Totp;
  readonly replay: ReplayCache;
  readonly verifier: AccessTokenVerifier;
  /** Absent in Cognito mode: Cognito signs users in, we only verify its tokens. */
  readonly issuer?: AccessTokenIssuer;
  readonly policy: AuthPolicy;
}

export interface AuthPolicy {
  readonly refreshTtlMs: number;
  readonly accountLockout: LockoutPolicy;
  readonly ipLockout: LockoutPolicy;
  /** Shown in authenticator apps. */
  readonly totpIssuer: string;
}

/** SHA-256 hex: for high-entropy values only (refresh tokens, recovery codes), never passwords. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

export function opaqueToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

export function randomAlphanumeric(length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) text += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return text;
}

const RECOVERY_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789";

/** xxxxx-xxxxx from a 30-letter alphabet: about 49 bits. */
export function recoveryCode(): string {
  let text = "";
  for (let i = 0; i < 10; i++) text += RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)];
  return `${text.slice(0, 5)}-${text.slice(5)}`;
}

export function normalizeRecoveryCode(code: string): string {
  return code.replace(/[\s-]/g, "").toUpperCase();
}
