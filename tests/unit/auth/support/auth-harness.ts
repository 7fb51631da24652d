import { generateKeyPairSync, sign } from "node:crypto";
import { generate } from "otplib";
import { ManualClock } from "#kit/clock/clock.js";
import { hmacSha256Hex } from "../../../../services/auth/src/domain/request-signing.js";
import { createAuthModule, type AuthConfig, type AuthModule } from "../../../../services/auth/src/main.js";

/** 2025-01-01T00:00:00Z: a fixed start so TOTP steps and lock times are reproducible. */
export const T0 = Date.UTC(2025, 0, 1);

/** Cheap argon2id for tests (production default is 19 MiB, t=2). */
export const TEST_ARGON2 = { memoryCost: 256, timeCost: 1, parallelism: 1 } as const;

export const TEST_MASTER_KEY = Buffer.alloc(32, 7).toString("base64");

export function testAuthConfig(overrides: Partial<AuthConfig> = {}): AuthConfig {
  return {
    databaseUrl: "sqlite::memory:",
    mode: "local",
    secrets: { kind: "embedded", masterKey: TEST_MASTER_KEY, keyFile: "/nonexistent/never-read.key" },
    argon2: TEST_ARGON2,
    issuer: "exchange-auth",
    audience: "exchange",
    accessTtlSeconds: 900,
    refreshTtlMs: 30 * 24 * 3600 * 1000,
    rotateSigningKeyAfterMs: 24 * 3600 * 1000,
    totpIssuer: "Exchange",
    ...overrides,
  };
}

export async function testAuth(overrides: Partial<AuthConfig> = {}): Promise<{ module: AuthModule; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const module = await createAuthModule(testAuthConfig({ clock, ...overrides }));
  return { module, clock };
}

/** The code an authenticator app shows at `nowMs`. */
export function totpCode(secret: string, nowMs: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(nowMs / 1000) });
}

export function signHmac(secret: string, payload: string): string {
  return hmacSha256Hex(secret, payload);
}

/** A client-side Ed25519 key pair: we only ever see the public half. */
export function ed25519Client() {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    sign: (payload: string) => sign(null, Buffer.from(payload), privateKey).toString("base64"),
  };
}
