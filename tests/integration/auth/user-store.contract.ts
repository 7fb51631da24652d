import { describe, expect, it } from "vitest";
import type { User } from "../../../services/auth/src/domain/account.js";
import type { UserStore } from "../../../services/auth/src/ports/user-store.port.js";

// The UserStore contract: every adapter (SQLite embedded, PostgreSQL) must pass it unchanged.

const user = (id: string, email: string): User => ({
  id,
  email,
  passwordHash: "$argon2id$fake",
  roles: ["user"],
  createdAt: 1_700_000_000_000,
  totpSecretSealed: null,
  totpPendingSealed: null,
  totpLastStep: 0,
  antiPhishingCode: null,
  securityChangedAt: 0,
  frozenAt: 0,
});

let counter = 0;
const unique = (tag: string) => `${tag}-${Date.now().toString(36)}-${counter++}`;

export function userStoreContract(name: string, store: () => UserStore): void {
  describe(`UserStore contract: ${name}`, () => {
    it("freezes and unfreezes a user, answering the previous value; an unknown user is undefined", async () => {
      const id = unique("u");
      await store().createUser(user(id, `${id}@example.com`));
      expect(await store().setFrozenAt(id, 1_700_000_000_123)).toBe(0);
      expect((await store().findUserById(id))?.frozenAt).toBe(1_700_000_000_123);
      expect(await store().setFrozenAt(id, 0)).toBe(1_700_000_000_123);
      expect((await store().findUserById(id))?.frozenAt).toBe(0);
      expect(await store().setFrozenAt("nope", 1)).toBeUndefined();
    });

    it("creates users once per e-mail and reads them back by id and e-mail, times exact", async () => {
      const id = unique("u");
      const email = `${id}@example.com`;
      expect(await store().createUser(user(id, email))).toBe(true);
      expect(await store().createUser(user(unique("u"), email))).toBe(false);
      expect(await store().findUserById(id)).toEqual(user(id, email));
      expect(await store().findUserByEmail(email)).toEqual(user(id, email));
      expect(await store().findUserById("nope")).toBeUndefined();
      await store().setRoles(id, ["user", "admin"]);
      await store().setPasswordHash(id, "$argon2id$new", 1_700_000_000_123);
      await store().setAntiPhishingCode(id, "Code1");
      expect(await store().findUserById(id)).toMatchObject({ roles: ["user", "admin"], passwordHash: "$argon2id$new", securityChangedAt: 1_700_000_000_123, antiPhishingCode: "Code1" });
    });

    it("enables TOTP from the pending secret, advances steps only forward, uses recovery codes once", async () => {
      const id = unique("u");
      await store().createUser(user(id, `${id}@example.com`));
      await store().setTotpPending(id, "sealed-secret");
      await store().enableTotp(id, ["h1", "h2"], 5);
      expect(await store().findUserById(id)).toMatchObject({ totpSecretSealed: "sealed-secret", totpPendingSealed: null, securityChangedAt: 5 });
      expect(await store().advanceTotpStep(id, 100)).toBe(true);
      expect(await store().advanceTotpStep(id, 100)).toBe(false);
      expect(await store().advanceTotpStep(id, 99)).toBe(false);
      expect(await store().advanceTotpStep(id, 101)).toBe(true);
      expect(await store().countUnusedRecoveryCodes(id)).toBe(2);
      const [first, second] = await Promise.all([store().useRecoveryCode(id, "h1", 7), store().useRecoveryCode(id, "h1", 7)]);
      expect([first, second].filter(Boolean)).toHaveLength(1);
      expect(await store().useRecoveryCode(id, "nope", 7)).toBe(false);
      expect(await store().countUnusedRecoveryCodes(id)).toBe(1);
    });

    it("rotates refresh tokens exactly once, even when two requests race", async () => {
      const userId = unique("u");
      const sessionId = unique("s");
      await store().createSession(
        { id: sessionId, userId, createdAt: 1, lastUsedAt: 1, expiresAt: 10_000_000_000_000, clientIp: "1.1.1.1", userAgent: "ua", revokedAt: null },
        { tokenHash: `${sessionId}-t0`, sessionId, createdAt: 1, usedAt: null },
      );
      const results = await Promise.all([
        store().rotateRefreshToken(`${sessionId}-t0`, { tokenHash: `${sessionId}-a`, sessionId, createdAt: 2, usedAt: null }, 2),
        store().rotateRefreshToken(`${sessionId}-t0`, { tokenHash: `${sessionId}-b`, sessionId, createdAt: 2, usedAt: null }, 2),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store().findRefreshToken(`${sessionId}-t0`)).toMatchObject({ usedAt: 2 });
      expect((await store().findSession(sessionId))?.lastUsedAt).toBe(2);
      expect(await store().listActiveSessions(userId, 3)).toHaveLength(1);
      expect(await store().revokeSession(sessionId, 4)).toBe(true);
      expect(await store().revokeSession(sessionId, 5)).toBe(false);
      expect(await store().listActiveSessions(userId, 6)).toEqual([]);
      expect((await store().findSession(sessionId))?.revokedAt).toBe(4);
    });

    it("revokes all sessions but one", async () => {
      const userId = unique("u");
      for (const s of ["a", "b", "c"]) {
        await store().createSession({ id: `${userId}-${s}`, userId, createdAt: 1, lastUsedAt: 1, expiresAt: 100, clientIp: "", userAgent: "", revokedAt: null }, { tokenHash: `${userId}-${s}-t`, sessionId: `${userId}-${s}`, createdAt: 1, usedAt: null });
      }
      await store().revokeAllSessions(userId, 2, `${userId}-b`);
      expect((await store().listActiveSessions(userId, 3)).map((s) => s.id)).toEqual([`${userId}-b`]);
      expect(await store().listActiveSessions(userId, 100)).toEqual([]); // expired
    });

    it("stores API keys per owner; only the owner's revoke works", async () => {
      const owner = unique("u");
      const apiKey = unique("k").replace(/-/g, "");
      await store().createApiKey({ apiKey, userId: owner, label: "bot", type: "ed25519", permissions: ["read", "trade"], ipAllowList: ["10.0.0.1", "::1"], secretSealed: null, publicKey: "PEM", createdAt: 9, revokedAt: null });
      expect(await store().findApiKey(apiKey)).toEqual({ apiKey, userId: owner, label: "bot", type: "ed25519", permissions: ["read", "trade"], ipAllowList: ["10.0.0.1", "::1"], secretSealed: null, publicKey: "PEM", createdAt: 9, revokedAt: null });
      expect((await store().listApiKeys(owner)).map((k) => k.apiKey)).toEqual([apiKey]);
      expect(await store().revokeApiKey("someone-else", apiKey, 10)).toBe(false);
      expect(await store().revokeApiKey(owner, apiKey, 10)).toBe(true);
      expect(await store().revokeApiKey(owner, apiKey, 11)).toBe(false);
      expect(await store().listApiKeys(owner)).toEqual([]);
      expect((await store().findApiKey(apiKey))?.revokedAt).toBe(10);
    });

    it("keeps login history newest first and lockout counters", async () => {
      const userId = unique("u");
      for (let t = 1; t <= 3; t++) await store().addLoginEvent({ userId, time: t, clientIp: `ip${t}`, userAgent: "ua", success: t === 3, reason: t === 3 ? "ok" : "bad_password" });
      expect((await store().listLoginEvents(userId, 2)).map((e) => [e.time, e.success])).toEqual([
        [3, true],
        [2, false],
      ]);
      const key = unique("account");
      expect(await store().getFailures(key)).toEqual({ failures: 0, lockedUntil: 0, lastFailureAt: 0 });
      await store().putFailures(key, { failures: 1, lockedUntil: 0, lastFailureAt: 5 });
      await store().putFailures(key, { failures: 5, lockedUntil: 60_005, lastFailureAt: 6 });
      expect(await store().getFailures(key)).toEqual({ failures: 5, lockedUntil: 60_005, lastFailureAt: 6 });
      await store().clearFailures(key);
      expect((await store().getFailures(key)).failures).toBe(0);
    });

    it("rotates signing keys: the newest is unretired, the others retired at its creation", async () => {
      const before = (await store().listSigningKeys()).length;
      const a = unique("kid");
      const b = unique("kid");
      await store().rotateSigningKey({ kid: a, privateJwkSealed: "pa", publicJwk: "{}", createdAt: 100, retiredAt: null });
      await store().rotateSigningKey({ kid: b, privateJwkSealed: "pb", publicJwk: "{}", createdAt: 200, retiredAt: null });
      const keys = await store().listSigningKeys();
      expect(keys).toHaveLength(before + 2);
      expect(keys.find((k) => k.kid === a)?.retiredAt).toBe(200);
      expect(keys.find((k) => k.kid === b)?.retiredAt).toBeNull();
    });
  });
}
