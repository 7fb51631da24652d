import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK, type JWTPayload, type JWTVerifyGetKey } from "jose";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { SigningKey } from "../domain/account.js";
import { ROLES, type Role } from "../domain/principal.js";
import type { AccessClaims, AccessTokenIssuer, AccessTokenVerifier } from "../ports/access-tokens.port.js";
import type { SecretBox } from "../ports/secret-box.port.js";
import type { UserStore } from "../ports/user-store.port.js";

// Our own issuer: EdDSA (Ed25519) JWTs. Signing keys live in the UserStore (private half sealed
// by the SecretBox), so every replica signs with the same current key and verifies the others'.
// A key signs for `rotateAfterMs`, then a new one takes over; the old one keeps verifying until
// every token it signed has expired (retiredAt + ttl), and leaves the JWKS after that.

export const ALG = "EdDSA";

export interface JoseTokenConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
  readonly rotateAfterMs: number;
}

interface LoadedKey {
  readonly meta: SigningKey;
  readonly publicJwk: JWK;
  readonly publicKey: CryptoKey;
  privateKey?: CryptoKey;
}

export class JoseAccessTokens implements AccessTokenIssuer, AccessTokenVerifier {
  private keys = new Map<string, LoadedKey>();
  private loadedAt = -Infinity;

  constructor(
    private readonly store: UserStore,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly config: JoseTokenConfig,
  ) {}

  get ttlSeconds(): number {
    return this.config.ttlSeconds;
  }

  async issue(claims: AccessClaims & { sessionId: string }): Promise<string> {
    const key = await this.currentKey();
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    return new SignJWT({ roles: [...claims.roles], sid: claims.sessionId })
      .setProtectedHeader({ alg: ALG, kid: key.meta.kid, typ: "at+jwt" })
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setSubject(claims.userId)
      .setJti(randomUUID())
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + this.config.ttlSeconds)
      .sign(key.privateKey!);
  }

  async verify(token: string): Promise<AccessClaims> {
    const getKey: JWTVerifyGetKey = async (header) => {
      const kid = header.kid ?? "";
      let key = this.verifying().get(kid);
      if (!key) {
        await this.reload(); // another replica may have rotated
        key = this.verifying().get(kid);
      }
      if (!key) throw new DomainError("UNAUTHORIZED", "Unknown or expired signing key.");
      return key.publicKey;
    };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, getKey, {
        issuer: this.config.issuer,
        audience: this.config.audience,
        algorithms: [ALG],
        typ: "at+jwt",
        currentDate: new Date(this.clock.now()),
        requiredClaims: ["sub", "exp", "sid"],
      }));
    } catch (error) {
      if (error instanceof DomainError) throw error;
      throw new DomainError("UNAUTHORIZED", `Invalid access token: ${(error as Error).message}`, [], { cause: "invalid_token" });
    }
    return { userId: payload.sub!, sessionId: String(payload.sid), roles: parseRoles(payload.roles) };
  }

  async jwks(): Promise<string> {
    await this.currentKey();
    const keys = [...this.verifying().values()].map((key) => ({ ...key.publicJwk, kid: key.meta.kid, alg: ALG, use: "sig" }));
    return JSON.stringify({ keys });
  }

  /** Starts signing with a new key now (scheduled rotation does this every rotateAfterMs). */
  async rotate(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: "Ed25519", extractable: true });
    const kid = randomUUID();
    const privateJwk = await exportJWK(privateKey);
    const publicJwk = await exportJWK(publicKey);
    await this.store.rotateSigningKey({
      kid,
      privateJwkSealed: await this.box.seal(JSON.stringify(privateJwk)),
      publicJwk: JSON.stringify(publicJwk),
      createdAt: this.clock.now(),
      retiredAt: null,
    });
    await this.reload();
    return kid;
  }

  /** Keys whose tokens may still be alive. */
  private verifying(): Map<string, LoadedKey> {
    const now = this.clock.now();
    const ttlMs = this.config.ttlSeconds * 1000;
    return new Map([...this.keys].filter(([, key]) => key.meta.retiredAt === null || key.meta.retiredAt + ttlMs > now));
  }

  private async currentKey(): Promise<LoadedKey> {
    const now = this.clock.now();
    if (now - this.loadedAt > 60_000) await this.reload();
    let current = this.signing();
    if (!current || now - current.meta.createdAt >= this.config.rotateAfterMs) {
      await this.rotate();
      current = this.signing();
    }
    if (!current) throw new Error("no signing key after rotation");
    current.privateKey ??= (await importJWK(JSON.parse(await this.box.open(current.meta.privateJwkSealed)) as JWK, ALG)) as CryptoKey;
    return current;
  }

  private signing(): LoadedKey | undefined {
    const active = [...this.keys.values()].filter((key) => key.meta.retiredAt === null);
    return active.sort((a, b) => b.meta.createdAt - a.meta.createdAt)[0];
  }

  private async reload(): Promise<void> {
    const rows = await this.store.listSigningKeys();
    const next = new Map<string, LoadedKey>();
    for (const meta of rows) {
      const known = this.keys.get(meta.kid);
      if (known && known.meta.retiredAt === meta.retiredAt) {
        next.set(meta.kid, known);
        continue;
      }
      const publicJwk = JSON.parse(meta.publicJwk) as JWK;
      next.set(meta.kid, { meta, publicJwk, publicKey: (await importJWK(publicJwk, ALG)) as CryptoKey, privateKey: known?.privateKey });
    }
    this.keys = next;
    this.loadedAt = this.clock.now();
  }
}

export function parseRoles(value: unknown): Role[] {
  if (!Array.isArray(value)) return ["user"];
  const roles = value.filter((role): role is Role => (ROLES as readonly unknown[]).includes(role));
  return roles.length > 0 ? roles : ["user"];
}
