import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { decodeJwt, decodeProtectedHeader, createLocalJWKSet, jwtVerify } from "jose";
import type { ManualClock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { testAuth, totpCode } from "./support/auth-harness.js";

let module: AuthModule;
let clock: ManualClock;

beforeEach(async () => {
  ({ module, clock } = await testAuth());
});
afterEach(async () => {
  await module.stop?.();
});

async function rejection(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}

const PASSWORD = "correct horse battery";

async function signedUp(email = "alice@example.com") {
  const userId = await module.auth.accounts.signUp(email, PASSWORD);
  return userId;
}

describe("sign-up and sign-in", () => {
  it("signs up, stores an argon2id hash (never the password) and refuses a second account for the e-mail", async () => {
    const userId = await signedUp("Alice@Example.com");
    const user = await module.store.findUserById(userId);
    expect(user?.email).toBe("alice@example.com");
    expect(user?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=256,p=1,t=1\$/);
    expect(user?.passwordHash).not.toContain(PASSWORD);
    expect((await rejection(module.auth.accounts.signUp("alice@example.com", PASSWORD))).key).toBe("ALREADY_EXISTS");
  });

  it("issues an EdDSA access token with kid, sub, sid and roles that verifies against the JWKS", async () => {
    const userId = await signedUp();
    const tokens = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, clientIp: "10.0.0.1", userAgent: "test" });
    expect(tokens.expiresIn).toBe(900);
    const header = decodeProtectedHeader(tokens.accessToken);
    expect(header.alg).toBe("EdDSA");
    const jwks = JSON.parse(await module.auth.jwks()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual([header.kid]);
    const { payload } = await jwtVerify(tokens.accessToken, createLocalJWKSet(JSON.parse(await module.auth.jwks())), { issuer: "exchange-auth", audience: "exchange", currentDate: new Date(clock.now()) });
    expect(payload).toMatchObject({ sub: userId, sid: tokens.sessionId, roles: ["user"] });
    const principal = await module.auth.authenticator.bearer(tokens.accessToken);
    expect(principal).toMatchObject({ userId, sessionId: tokens.sessionId, roles: ["user"], permissions: ["read", "trade", "withdraw"] });
  });

  it("rejects a wrong password or an unknown e-mail with the same UNAUTHORIZED error", async () => {
    await signedUp();
    const wrong = await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: "wrong password!" }));
    const unknown = await rejection(module.auth.accounts.signIn({ email: "nobody@example.com", password: PASSWORD }));
    expect([wrong.key, wrong.message]).toEqual(["UNAUTHORIZED", "Invalid e-mail or password."]);
    expect([unknown.key, unknown.message]).toEqual([wrong.key, wrong.message]);
  });

  it("expires access tokens after their TTL", async () => {
    await signedUp();
    const tokens = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    clock.advance(900_000);
    const error = await rejection(module.auth.authenticator.bearer(tokens.accessToken));
    expect(error.key).toBe("UNAUTHORIZED");
    expect(error.message).toMatch(/exp/);
  });

  it("records the login history, newest first, with failures and their reason", async () => {
    const userId = await signedUp();
    await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: "nope nope nope", clientIp: "1.1.1.1", userAgent: "ua" }));
    clock.advance(1000);
    await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, clientIp: "2.2.2.2", userAgent: "ua2" });
    const history = await module.auth.accounts.loginHistory(userId);
    expect(history.map((e) => [e.success, e.reason, e.clientIp])).toEqual([
      [true, "ok", "2.2.2.2"],
      [false, "bad_password", "1.1.1.1"],
    ]);
  });
});

describe("refresh tokens", () => {
  it("rotates on use: the new pair works, the session lives on", async () => {
    await signedUp();
    const first = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    const second = await module.auth.accounts.refresh(first.refreshToken);
    expect(second.sessionId).toBe(first.sessionId);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    const third = await module.auth.accounts.refresh(second.refreshToken);
    expect(third.sessionId).toBe(first.sessionId);
    await expect(module.auth.authenticator.bearer(third.accessToken)).resolves.toMatchObject({ sessionId: first.sessionId });
  });

  it("stores only a hash of refresh tokens", async () => {
    await signedUp();
    const tokens = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    expect(await module.store.findRefreshToken(tokens.refreshToken)).toBeUndefined();
  });

  it("reuse of a rotated refresh token revokes the whole family (even the newest token and access token)", async () => {
    await signedUp();
    const first = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    const second = await module.auth.accounts.refresh(first.refreshToken);
    const reuse = await rejection(module.auth.accounts.refresh(first.refreshToken));
    expect([reuse.key, reuse.metadata.cause]).toEqual(["UNAUTHORIZED", "refresh_token_reuse"]);
    expect((await rejection(module.auth.accounts.refresh(second.refreshToken))).metadata.cause).toBe("session_revoked");
    expect((await rejection(module.auth.authenticator.bearer(second.accessToken))).metadata.cause).toBe("session_revoked");
  });

  it("revoking a session kills its refresh and access tokens, and only that session", async () => {
    const userId = await signedUp();
    const a = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    const b = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    expect((await module.auth.accounts.listSessions(userId)).map((s) => s.id).sort()).toEqual([a.sessionId, b.sessionId].sort());
    await module.auth.accounts.revokeSession(userId, a.sessionId);
    expect((await module.auth.accounts.listSessions(userId)).map((s) => s.id)).toEqual([b.sessionId]);
    expect((await rejection(module.auth.accounts.refresh(a.refreshToken))).key).toBe("UNAUTHORIZED");
    expect((await rejection(module.auth.authenticator.bearer(a.accessToken))).key).toBe("UNAUTHORIZED");
    await expect(module.auth.accounts.refresh(b.refreshToken)).resolves.toBeTruthy();
    expect((await rejection(module.auth.accounts.revokeSession(userId, a.sessionId))).key).toBe("NOT_FOUND");
  });

  it("refuses an unknown refresh token", async () => {
    expect((await rejection(module.auth.accounts.refresh("made-up"))).key).toBe("UNAUTHORIZED");
  });
});

describe("lockout and backoff", () => {
  it("locks the account after 5 failures (even the right password), for 1 min, then doubles", async () => {
    await signedUp();
    for (let i = 0; i < 5; i++) expect((await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: "bad password!", clientIp: `10.0.0.${i}` }))).key).toBe("UNAUTHORIZED");
    const locked = await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, clientIp: "10.9.9.9" }));
    expect([locked.key, locked.spec.grpc, locked.metadata.retryAfterMs]).toEqual(["ACCOUNT_LOCKED", 8, "60000"]);
    clock.advance(60_000);
    expect((await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: "bad again!!", clientIp: "10.9.9.9" }))).key).toBe("UNAUTHORIZED");
    expect((await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, clientIp: "10.9.9.9" }))).metadata.retryAfterMs).toBe("120000");
    clock.advance(120_000);
    await expect(module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, clientIp: "10.9.9.9" })).resolves.toBeTruthy();
    // success clears the account counter: one new failure does not lock
    await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: "bad password!", clientIp: "10.9.9.9" }));
    await expect(module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, clientIp: "10.9.9.9" })).resolves.toBeTruthy();
  });

  it("locks an IP that sprays many accounts, without locking those accounts from elsewhere", async () => {
    await signedUp("victim@example.com");
    for (let i = 0; i < 20; i++) await rejection(module.auth.accounts.signIn({ email: `user${i}@example.com`, password: "guess guess", clientIp: "6.6.6.6" }));
    expect((await rejection(module.auth.accounts.signIn({ email: "victim@example.com", password: PASSWORD, clientIp: "6.6.6.6" }))).key).toBe("ACCOUNT_LOCKED");
    await expect(module.auth.accounts.signIn({ email: "victim@example.com", password: PASSWORD, clientIp: "7.7.7.7" })).resolves.toBeTruthy();
  });
});

describe("TOTP MFA", () => {
  async function enrolled() {
    const userId = await signedUp();
    const { otpauthUri, secret } = await module.auth.mfa.enroll(userId);
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Exchange:alice%40example\.com\?/);
    expect(otpauthUri).toContain(`secret=${secret}`);
    expect(await module.auth.mfa.verify(userId, await totpCode(secret, clock.now()))).toBe("not-enrolled");
    const wrong = await rejection(module.auth.mfa.confirm(userId, "000000"));
    expect(wrong.key).toBe("INVALID_PARAMETER");
    const recoveryCodes = await module.auth.mfa.confirm(userId, await totpCode(secret, clock.now()));
    expect(recoveryCodes).toHaveLength(10);
    return { userId, secret, recoveryCodes };
  }

  it("stores the TOTP secret sealed, never in clear", async () => {
    const { userId, secret } = await enrolled();
    const user = await module.store.findUserById(userId);
    expect(user?.totpSecretSealed).toMatch(/^v1\./);
    expect(user?.totpSecretSealed).not.toContain(secret);
  });

  it("requires the code at sign-in once enabled: missing -> MFA_REQUIRED, wrong -> UNAUTHORIZED, right -> tokens", async () => {
    const { secret } = await enrolled();
    clock.advance(30_000);
    const missing = await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD }));
    expect([missing.key, missing.spec.grpc]).toEqual(["MFA_REQUIRED", 7]);
    const wrong = await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, totpCode: "123456" }));
    expect([wrong.key, wrong.metadata.cause]).toEqual(["UNAUTHORIZED", "mfa_invalid"]);
    await expect(module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, totpCode: await totpCode(secret, clock.now()) })).resolves.toBeTruthy();
  });

  it("accepts each TOTP code once (replay) and one step of drift", async () => {
    const { userId, secret } = await enrolled();
    clock.advance(60_000);
    const code = await totpCode(secret, clock.now());
    expect(await module.auth.mfa.verify(userId, code)).toBe(true);
    expect(await module.auth.mfa.verify(userId, code)).toBe(false);
    clock.advance(30_000);
    expect(await module.auth.mfa.verify(userId, await totpCode(secret, clock.now() - 30_000))).toBe(false); // same step as used
    expect(await module.auth.mfa.verify(userId, await totpCode(secret, clock.now() + 30_000))).toBe(true); // next step, clock skew
    clock.advance(120_000);
    expect(await module.auth.mfa.verify(userId, await totpCode(secret, clock.now() - 120_000))).toBe(false); // too old
  });

  it("recovery codes work once each, are stored hashed, and using one locks withdrawals", async () => {
    const { userId, recoveryCodes } = await enrolled();
    clock.advance(48 * 3600_000);
    expect(await module.auth.accounts.withdrawalLockedUntil(userId)).toBe(0);
    expect(await module.store.countUnusedRecoveryCodes(userId)).toBe(10);
    const tokens = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, totpCode: recoveryCodes[0].toLowerCase() });
    expect(tokens.accessToken).toBeTruthy();
    expect(await module.store.countUnusedRecoveryCodes(userId)).toBe(9);
    expect(await module.auth.accounts.withdrawalLockedUntil(userId)).toBe(clock.now() + 24 * 3600_000);
    expect(await module.auth.mfa.verify(userId, recoveryCodes[0])).toBe(false);
    expect(await module.auth.mfa.verify(userId, recoveryCodes[1])).toBe(true);
  });

  it("locks MFA verification after repeated wrong codes", async () => {
    const { userId, secret } = await enrolled();
    for (let i = 0; i < 5; i++) expect(await module.auth.mfa.verify(userId, "999999")).toBe(false);
    clock.advance(30_000);
    expect((await rejection(module.auth.mfa.verify(userId, await totpCode(secret, clock.now())))).key).toBe("ACCOUNT_LOCKED");
  });

  it("enabling MFA is a security change: withdrawals locked for 24 h (in the principal too)", async () => {
    const { userId, secret } = await enrolled();
    const enabledAt = clock.now();
    expect(await module.auth.accounts.withdrawalLockedUntil(userId)).toBe(enabledAt + 24 * 3600_000);
    clock.advance(30_000);
    const tokens = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD, totpCode: await totpCode(secret, clock.now()) });
    expect(await module.auth.authenticator.bearer(tokens.accessToken)).toMatchObject({ mfaEnabled: true, withdrawalLockedUntil: enabledAt + 24 * 3600_000 });
    clock.set(enabledAt + 24 * 3600_000);
    expect(await module.auth.accounts.withdrawalLockedUntil(userId)).toBe(0);
  });
});

describe("account safety", () => {
  it("changing the password locks withdrawals, signs out other sessions and needs the current password", async () => {
    const userId = await signedUp();
    const keep = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    const other = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    expect((await rejection(module.auth.accounts.changePassword(userId, "wrong wrong", "new password 123", undefined, keep.sessionId))).key).toBe("UNAUTHORIZED");
    await module.auth.accounts.changePassword(userId, PASSWORD, "new password 123", undefined, keep.sessionId);
    expect(await module.auth.accounts.withdrawalLockedUntil(userId)).toBe(clock.now() + 24 * 3600_000);
    expect((await module.auth.accounts.listSessions(userId)).map((s) => s.id)).toEqual([keep.sessionId]);
    expect((await rejection(module.auth.accounts.refresh(other.refreshToken))).key).toBe("UNAUTHORIZED");
    expect((await rejection(module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD }))).key).toBe("UNAUTHORIZED");
    await expect(module.auth.accounts.signIn({ email: "alice@example.com", password: "new password 123" })).resolves.toBeTruthy();
  });

  it("keeps an anti-phishing code", async () => {
    const userId = await signedUp();
    await module.auth.accounts.setAntiPhishingCode(userId, "Blue42");
    expect((await module.auth.accounts.security(userId)).antiPhishingCode).toBe("Blue42");
  });
});

describe("signing-key rotation", () => {
  it("signs with the new kid after rotation; old tokens verify until they expire, then the old key leaves the JWKS", async () => {
    await signedUp();
    const before = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    clock.advance(60_000);
    const newKid = await module.rotateSigningKey();
    const after = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    expect(decodeProtectedHeader(after.accessToken).kid).toBe(newKid);
    expect(newKid).not.toBe(oldKid);
    expect((JSON.parse(await module.auth.jwks()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    await expect(module.auth.authenticator.bearer(before.accessToken)).resolves.toBeTruthy();
    clock.advance(839_000); // 1 s before the old token expires
    await expect(module.auth.authenticator.bearer(before.accessToken)).resolves.toBeTruthy();
    clock.advance(1_000);
    expect((await rejection(module.auth.authenticator.bearer(before.accessToken))).key).toBe("UNAUTHORIZED");
    const kids = async () => (JSON.parse(await module.auth.jwks()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
    expect((await kids()).sort()).toEqual([oldKid, newKid].sort()); // retired at +60 s: published until +60 s + TTL
    clock.advance(60_000);
    expect(await kids()).toEqual([newKid]);
  });

  it("rotates on schedule (every 24 h by default)", async () => {
    await signedUp();
    const first = decodeProtectedHeader((await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD })).accessToken).kid;
    clock.advance(24 * 3600_000);
    const tokens = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    expect(decodeProtectedHeader(tokens.accessToken).kid).not.toBe(first);
    expect(decodeJwt(tokens.accessToken).iat).toBe(Math.floor(clock.now() / 1000));
  });

  it("refuses a token signed by a key we do not know, or with alg none", async () => {
    await signedUp();
    const tokens = await module.auth.accounts.signIn({ email: "alice@example.com", password: PASSWORD });
    const [header, payload] = tokens.accessToken.split(".");
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url")}.${payload}.`;
    expect((await rejection(module.auth.authenticator.bearer(unsigned))).key).toBe("UNAUTHORIZED");
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...decodeJwt(tokens.accessToken), roles: ["admin"] })).toString("base64url")}.${tokens.accessToken.split(".")[2]}`;
    expect((await rejection(module.auth.authenticator.bearer(forged))).key).toBe("UNAUTHORIZED");
  });
});
