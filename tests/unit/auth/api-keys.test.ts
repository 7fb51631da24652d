import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ManualClock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { CreateApiKeyInput } from "../../../services/auth/src/domain/api-keys.use-case.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { ed25519Client, signHmac, testAuth, totpCode } from "./support/auth-harness.js";

let module: AuthModule;
let clock: ManualClock;
let userId: string;

beforeEach(async () => {
  ({ module, clock } = await testAuth());
  userId = await module.auth.accounts.signUp("trader@example.com", "correct horse battery");
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

const create = (input: Partial<CreateApiKeyInput> = {}) =>
  module.auth.apiKeys.create({ userId, label: "bot", type: "hmac-sha256", permissions: ["trade"], ipAllowList: [], ...input });

const query = (now: number, extra = "") => `symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=100${extra}&recvWindow=5000&timestamp=${now}`;

describe("API keys", () => {
  it("shows the HMAC secret once and stores it envelope-encrypted", async () => {
    const { key, secret } = await create();
    expect(secret).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(key.apiKey).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(key.permissions).toEqual(["read", "trade"]);
    const stored = await module.store.findApiKey(key.apiKey);
    expect(stored?.secretSealed).toMatch(/^v1\.[0-9a-f]{16}\.[\w-]+\.[\w-]+$/);
    expect(stored?.secretSealed).not.toContain(secret);
    expect(await module.auth.apiKeys.list(userId)).toEqual([expect.objectContaining({ apiKey: key.apiKey })]);
  });

  it("creating a key is a security change: withdrawals locked for 24 h", async () => {
    await create();
    expect(await module.auth.accounts.withdrawalLockedUntil(userId)).toBe(clock.now() + 24 * 3600_000);
  });

  it("needs the TOTP code when MFA is enabled", async () => {
    const { secret } = await module.auth.mfa.enroll(userId);
    await module.auth.mfa.confirm(userId, await totpCode(secret, clock.now()));
    clock.advance(30_000);
    expect((await rejection(create())).key).toBe("MFA_REQUIRED");
    expect((await rejection(create({ totpCode: "000000" }))).key).toBe("MFA_REQUIRED");
    await expect(create({ totpCode: await totpCode(secret, clock.now()) })).resolves.toBeTruthy();
  });

  it("requires an IP allow-list for the withdraw permission, and a public key for Ed25519", async () => {
    expect((await rejection(create({ permissions: ["withdraw"] }))).key).toBe("INVALID_PARAMETER");
    expect((await rejection(create({ type: "ed25519" }))).key).toBe("MANDATORY_PARAM_EMPTY_OR_MALFORMED");
    expect((await rejection(create({ type: "ed25519", publicKey: "bm90IGEga2V5" }))).key).toBe("INVALID_PARAMETER");
  });

  it("revokes a key; someone else's key is NOT_FOUND", async () => {
    const { key } = await create();
    const mallory = await module.auth.accounts.signUp("mallory@example.com", "correct horse battery");
    expect((await rejection(module.auth.apiKeys.revoke(mallory, key.apiKey))).key).toBe("NOT_FOUND");
    await module.auth.apiKeys.revoke(userId, key.apiKey);
    expect(await module.auth.apiKeys.list(userId)).toEqual([]);
  });
});

describe("signed requests", () => {
  it("accepts a valid HMAC-SHA256 signature and returns the key's principal", async () => {
    const { key, secret } = await create();
    const payload = query(clock.now());
    const principal = await module.auth.authenticator.signed({ apiKey: key.apiKey, payload, signature: signHmac(secret, payload), clientIp: "1.2.3.4" }, "trade");
    expect(principal).toMatchObject({ userId, apiKey: key.apiKey, permissions: ["read", "trade"], withdrawalLockedUntil: clock.now() + 24 * 3600_000 });
  });

  it("accepts a valid Ed25519 signature; we never held the private key", async () => {
    const client = ed25519Client();
    const { key, secret } = await create({ type: "ed25519", publicKey: client.publicKeyPem });
    expect(secret).toBe("");
    const payload = query(clock.now());
    await expect(module.auth.authenticator.signed({ apiKey: key.apiKey, payload, signature: client.sign(payload), clientIp: "1.2.3.4" }, "trade")).resolves.toMatchObject({ userId });
    const impostor = ed25519Client();
    const bad = await rejection(module.auth.authenticator.signed({ apiKey: key.apiKey, payload: query(clock.now(), "&x=1"), signature: impostor.sign(query(clock.now(), "&x=1")), clientIp: "1.2.3.4" }));
    expect(bad.spec.binance).toBe(-1022);
  });

  it("rejects a signature made with the wrong secret: -1022", async () => {
    const { key } = await create();
    const payload = query(clock.now());
    const error = await rejection(module.auth.authenticator.signed({ apiKey: key.apiKey, payload, signature: signHmac("wrong secret", payload), clientIp: "1.2.3.4" }));
    expect([error.spec.binance, error.spec.grpc, error.metadata.cause]).toEqual([-1022, 16, "bad_signature"]);
  });

  it("rejects a stale timestamp (-1021) and one from the future (-1021)", async () => {
    const { key, secret } = await create();
    const stale = query(clock.now() - 5001);
    const future = query(clock.now() + 1000);
    const staleError = await rejection(module.auth.authenticator.signed({ apiKey: key.apiKey, payload: stale, signature: signHmac(secret, stale), clientIp: "1.2.3.4" }));
    const futureError = await rejection(module.auth.authenticator.signed({ apiKey: key.apiKey, payload: future, signature: signHmac(secret, future), clientIp: "1.2.3.4" }));
    expect([staleError.spec.binance, staleError.metadata.cause]).toEqual([-1021, "stale"]);
    expect([futureError.spec.binance, futureError.metadata.cause]).toEqual([-1021, "future"]);
  });

  it("rejects a replayed signature within its recvWindow (-1022), and the timestamp rule after it", async () => {
    const { key, secret } = await create();
    const payload = query(clock.now());
    const request = { apiKey: key.apiKey, payload, signature: signHmac(secret, payload), clientIp: "1.2.3.4" };
    await module.auth.authenticator.signed(request);
    clock.advance(4_000);
    const replay = await rejection(module.auth.authenticator.signed(request));
    expect([replay.spec.binance, replay.metadata.cause]).toEqual([-1022, "replayed"]);
    clock.advance(2_000);
    expect((await rejection(module.auth.authenticator.signed(request))).spec.binance).toBe(-1021);
  });

  it("refuses a replay whatever the signature's spelling: hex case, percent-encoding, base64 padding and spare bits", async () => {
    const replayed = async (request: { apiKey: string; payload: string; signature: string; clientIp: string }) => (await rejection(module.auth.authenticator.signed(request))).metadata.cause;
    const hmac = await create();
    const payload = query(clock.now());
    const signature = signHmac(hmac.secret, payload);
    await module.auth.authenticator.signed({ apiKey: hmac.key.apiKey, payload, signature, clientIp: "1.2.3.4" });
    expect(await replayed({ apiKey: hmac.key.apiKey, payload, signature: signature.toUpperCase(), clientIp: "1.2.3.4" })).toBe("replayed");

    const client = ed25519Client();
    const ed = await create({ type: "ed25519", publicKey: client.publicKeyPem });
    const edSignature = client.sign(payload); // 64 bytes: 86 base64 characters and "=="
    await module.auth.authenticator.signed({ apiKey: ed.key.apiKey, payload, signature: edSignature, clientIp: "1.2.3.4" });
    const last = edSignature.at(-3)!; // carries 2 bits of the last byte and 4 unused ones
    const spareBits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".indexOf(last) & 0b110000) | 0b0101];
    for (const spelling of [encodeURIComponent(edSignature), edSignature.slice(0, -2), `${edSignature.slice(0, -3)}${spareBits}==`]) {
      expect(spelling).not.toBe(edSignature);
      expect(await replayed({ apiKey: ed.key.apiKey, payload, signature: spelling, clientIp: "1.2.3.4" }), spelling).toBe("replayed");
    }
  });

  it("rejects a missing permission with -2015", async () => {
    const { key, secret } = await create({ permissions: ["read"] });
    const payload = query(clock.now());
    const error = await rejection(module.auth.authenticator.signed({ apiKey: key.apiKey, payload, signature: signHmac(secret, payload), clientIp: "1.2.3.4" }, "trade"));
    expect([error.key, error.spec.binance, error.spec.grpc]).toEqual(["REJECTED_MBX_KEY", -2015, 7]);
  });

  it("rejects a request from an IP outside the allow-list with -2015, even when well signed", async () => {
    const { key, secret } = await create({ permissions: ["trade", "withdraw"], ipAllowList: ["10.1.1.1"] });
    const payload = query(clock.now());
    const signature = signHmac(secret, payload);
    const error = await rejection(module.auth.authenticator.signed({ apiKey: key.apiKey, payload, signature, clientIp: "10.1.1.2" }, "withdraw"));
    expect([error.spec.binance, error.metadata.cause]).toEqual([-2015, "ip_not_allowed"]);
    await expect(module.auth.authenticator.signed({ apiKey: key.apiKey, payload, signature, clientIp: "10.1.1.1" }, "withdraw")).resolves.toBeTruthy();
  });

  it("rejects an unknown or revoked key with -2015 and a malformed one with -2014", async () => {
    const { key, secret } = await create();
    const payload = query(clock.now());
    await module.auth.apiKeys.revoke(userId, key.apiKey);
    expect((await rejection(module.auth.authenticator.signed({ apiKey: key.apiKey, payload, signature: signHmac(secret, payload), clientIp: "1.2.3.4" }))).spec.binance).toBe(-2015);
    expect((await rejection(module.auth.authenticator.signed({ apiKey: "x".repeat(64), payload, signature: "00", clientIp: "1.2.3.4" }))).spec.binance).toBe(-2015);
    expect((await rejection(module.auth.authenticator.signed({ apiKey: "bad key!", payload, signature: "00", clientIp: "1.2.3.4" }))).spec.binance).toBe(-2014);
  });
});
