import { expect, it } from "vitest";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { ApiKeyType, AuthService, MfaResult, Permission, Role } from "#gen/exchange/auth/v1/auth_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import type { Role as DomainRole } from "../../../services/auth/src/domain/principal.js";
import { hmacSha256Hex } from "../../../services/auth/src/domain/request-signing.js";

// auth.v1 through its real router, shared by the in-process unit run and the HTTP/2 integration
// run: who may act on which account (no BOLA), with the wire error (gRPC code + ErrorInfo reason).

export interface RpcHarness {
  transport(): Transport;
  /** A transport as order calls auth (SetAccountFrozen admits order alone), when the runtime guards the routes. */
  asOrder?(): Transport;
  setRoles(userId: string, roles: DomainRole[]): Promise<void>;
  now(): number;
}

export async function wireError(promise: Promise<unknown>): Promise<{ code: Code; reason: string; message: string }> {
  const error = ConnectError.from(await promise.then(() => expect.fail("expected the call to fail"), (e: unknown) => e));
  return { code: error.code, reason: error.findDetails(ErrorInfoSchema)[0]?.reason ?? "", message: error.rawMessage };
}

const PASSWORD = "correct horse battery";

export function authRpcScenarios(harness: RpcHarness): void {
  const client = () => createClient(AuthService, harness.transport());
  const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  async function account(tag: string) {
    const email = `${tag}-${Math.random().toString(36).slice(2)}@example.com`;
    const { userId } = await client().signUp({ email, password: PASSWORD });
    const { tokens } = await client().signIn({ email, password: PASSWORD, clientIp: "127.0.0.1", userAgent: "vitest" });
    return { userId, email, token: tokens!.accessToken, refreshToken: tokens!.refreshToken, sessionId: tokens!.sessionId };
  }

  it("signs up, signs in, refreshes, detects refresh-token reuse and revokes over the wire", async () => {
    const alice = await account("alice");
    const { tokens } = await client().refreshSession({ refreshToken: alice.refreshToken });
    expect(tokens!.sessionId).toBe(alice.sessionId);
    const reuse = await wireError(client().refreshSession({ refreshToken: alice.refreshToken }));
    expect([reuse.code, reuse.reason]).toEqual([Code.Unauthenticated, "-1002"]);
    expect(reuse.message).toMatch(/reuse/);
    const afterReuse = await wireError(client().listSessions({ userId: alice.userId }, bearer(tokens!.accessToken)));
    expect(afterReuse.code).toBe(Code.Unauthenticated);
  });

  it("rejects a malformed sign-up before any handler: InvalidArgument, -1102", async () => {
    const error = await wireError(client().signUp({ email: "not-an-email", password: "short" }));
    expect([error.code, error.reason]).toEqual([Code.InvalidArgument, "-1102"]);
  });

  it("needs a bearer token for account RPCs", async () => {
    const alice = await account("alice");
    const none = await wireError(client().listApiKeys({ userId: alice.userId }));
    expect([none.code, none.reason]).toEqual([Code.Unauthenticated, "-1002"]);
    const garbage = await wireError(client().listApiKeys({ userId: alice.userId }, bearer("not.a.jwt")));
    expect(garbage.code).toBe(Code.Unauthenticated);
  });

  it("user A can neither read nor revoke B's API keys and sessions (PermissionDenied, -2015); B's data is untouched", async () => {
    const a = await account("a");
    const b = await account("b");
    const { key } = await client().createApiKey({ userId: b.userId, label: "b", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.TRADE] }, bearer(b.token));
    const attempts: (() => Promise<unknown>)[] = [
      () => client().listApiKeys({ userId: b.userId }, bearer(a.token)),
      () => client().revokeApiKey({ userId: b.userId, apiKey: key!.apiKey }, bearer(a.token)),
      () => client().listSessions({ userId: b.userId }, bearer(a.token)),
      () => client().revokeSession({ userId: b.userId, sessionId: b.sessionId }, bearer(a.token)),
      () => client().listLoginHistory({ userId: b.userId }, bearer(a.token)),
      () => client().createApiKey({ userId: b.userId, label: "x", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.TRADE] }, bearer(a.token)),
      () => client().enrollTotp({ userId: b.userId }, bearer(a.token)),
      () => client().setAntiPhishingCode({ userId: b.userId, code: "Gotcha1" }, bearer(a.token)),
    ];
    for (const attempt of attempts) {
      const error = await wireError(attempt());
      expect([error.code, error.reason]).toEqual([Code.PermissionDenied, "-2015"]);
    }
    // A cannot reach B's key through A's own account id either
    const sideways = await wireError(client().revokeApiKey({ userId: a.userId, apiKey: key!.apiKey }, bearer(a.token)));
    expect(sideways.code).toBe(Code.NotFound);
    const sessionSideways = await wireError(client().revokeSession({ userId: a.userId, sessionId: b.sessionId }, bearer(a.token)));
    expect(sessionSideways.code).toBe(Code.NotFound);
    expect((await client().listApiKeys({ userId: b.userId }, bearer(b.token))).keys.map((k) => k.apiKey)).toEqual([key!.apiKey]);
    expect((await client().listSessions({ userId: b.userId }, bearer(b.token))).sessions.map((s) => s.sessionId)).toEqual([b.sessionId]);
  });

  it("support reads other accounts but cannot change them; admin can revoke but not mint credentials", async () => {
    const b = await account("b");
    const support = await account("support");
    const admin = await account("admin");
    await harness.setRoles(support.userId, ["user", "support"]);
    await harness.setRoles(admin.userId, ["user", "admin"]);
    const { key } = await client().createApiKey({ userId: b.userId, label: "b", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.TRADE] }, bearer(b.token));
    expect((await client().listApiKeys({ userId: b.userId }, bearer(support.token))).keys).toHaveLength(1);
    expect((await client().listSessions({ userId: b.userId }, bearer(support.token))).sessions).toHaveLength(1);
    const supportRevoke = await wireError(client().revokeApiKey({ userId: b.userId, apiKey: key!.apiKey }, bearer(support.token)));
    expect([supportRevoke.code, supportRevoke.reason]).toEqual([Code.PermissionDenied, "-2015"]);
    const adminMint = await wireError(client().createApiKey({ userId: b.userId, label: "x", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.TRADE] }, bearer(admin.token)));
    expect(adminMint.code).toBe(Code.PermissionDenied);
    await client().revokeApiKey({ userId: b.userId, apiKey: key!.apiKey }, bearer(admin.token));
    await client().revokeSession({ userId: b.userId, sessionId: b.sessionId }, bearer(admin.token));
    // B's session is gone: its access token no longer works
    expect((await wireError(client().listApiKeys({ userId: b.userId }, bearer(b.token)))).code).toBe(Code.Unauthenticated);
    expect((await client().listApiKeys({ userId: b.userId }, bearer(admin.token))).keys).toEqual([]);
  });

  it("Authenticate returns the principal for a bearer token and for an HMAC-signed request, with wire errors for bad ones", async () => {
    const alice = await account("alice");
    const viaBearer = await client().authenticate({ credential: { case: "bearerToken", value: alice.token }, requiredPermission: Permission.TRADE });
    expect(viaBearer.principal).toMatchObject({ userId: alice.userId, sessionId: alice.sessionId, roles: [Role.USER] });
    const { key, secret } = await client().createApiKey({ userId: alice.userId, label: "bot", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.TRADE], ipAllowList: ["127.0.0.1"] }, bearer(alice.token));
    const payload = `symbol=BTCUSDT&side=BUY&recvWindow=5000&timestamp=${harness.now()}`;
    const signed = { apiKey: key!.apiKey, payload, signature: hmacSha256Hex(secret, payload), clientIp: "127.0.0.1" };
    const viaKey = await client().authenticate({ credential: { case: "signed", value: signed }, requiredPermission: Permission.TRADE });
    expect(viaKey.principal).toMatchObject({ userId: alice.userId, apiKey: key!.apiKey, permissions: [Permission.READ, Permission.TRADE] });
    expect(viaKey.principal!.withdrawalLockedUntil).toBeGreaterThan(BigInt(harness.now()));
    const replay = await wireError(client().authenticate({ credential: { case: "signed", value: signed } }));
    expect([replay.code, replay.reason]).toEqual([Code.Unauthenticated, "-1022"]);
    const payload2 = `${payload}&n=2`;
    const noPermission = await wireError(client().authenticate({ credential: { case: "signed", value: { ...signed, payload: payload2, signature: hmacSha256Hex(secret, payload2) } }, requiredPermission: Permission.WITHDRAW }));
    expect([noPermission.code, noPermission.reason]).toEqual([Code.PermissionDenied, "-2015"]);
    const payload3 = `${payload}&n=3`;
    const wrongIp = await wireError(client().authenticate({ credential: { case: "signed", value: { ...signed, payload: payload3, signature: hmacSha256Hex(secret, payload3), clientIp: "192.0.2.1" } } }));
    expect([wrongIp.code, wrongIp.reason]).toEqual([Code.PermissionDenied, "-2015"]);
    const stalePayload = `symbol=BTCUSDT&recvWindow=5000&timestamp=${harness.now() - 60_000}`;
    const stale = await wireError(client().authenticate({ credential: { case: "signed", value: { ...signed, payload: stalePayload, signature: hmacSha256Hex(secret, stalePayload) } } }));
    expect([stale.code, stale.reason]).toEqual([Code.InvalidArgument, "-1021"]);
    const badSig = await wireError(client().authenticate({ credential: { case: "signed", value: { ...signed, payload: `${payload}&n=4`, signature: hmacSha256Hex("wrong", `${payload}&n=4`) } } }));
    expect([badSig.code, badSig.reason]).toEqual([Code.Unauthenticated, "-1022"]);
  });

  it("Authenticate takes the API key alone (Binance's USER_STREAM): the key's user, refused for an unknown, revoked or IP-barred key", async () => {
    const alice = await account("alice");
    const { key } = await client().createApiKey({ userId: alice.userId, label: "stream", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ], ipAllowList: ["127.0.0.1"] }, bearer(alice.token));
    const credential = (apiKey: string, clientIp = "127.0.0.1") => ({ credential: { case: "apiKey" as const, value: { apiKey, clientIp } } });
    const viaKey = await client().authenticate(credential(key!.apiKey));
    expect(viaKey.principal).toMatchObject({ userId: alice.userId, apiKey: key!.apiKey });
    const wrongIp = await wireError(client().authenticate(credential(key!.apiKey, "192.0.2.1")));
    expect([wrongIp.code, wrongIp.reason]).toEqual([Code.PermissionDenied, "-2015"]);
    const unknown = await wireError(client().authenticate(credential("NoSuchKey123")));
    expect([unknown.code, unknown.reason]).toEqual([Code.PermissionDenied, "-2015"]);
    const malformed = await wireError(client().authenticate(credential("not a key!")));
    expect(malformed.reason).toBe("-2014");
    await client().revokeApiKey({ userId: alice.userId, apiKey: key!.apiKey }, bearer(alice.token));
    const revoked = await wireError(client().authenticate(credential(key!.apiKey)));
    expect([revoked.code, revoked.reason]).toEqual([Code.PermissionDenied, "-2015"]);
  });

  it("serves the JWKS, account security and MFA checks for other services", async () => {
    const alice = await account("alice");
    const jwks = JSON.parse((await client().getJwks({})).jwksJson) as { keys: { kid: string; alg: string; crv: string; d?: string }[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys.every((k) => k.alg === "EdDSA" && k.crv === "Ed25519" && k.d === undefined)).toBe(true);
    await client().setAntiPhishingCode({ userId: alice.userId, code: "Blue42" }, bearer(alice.token));
    const security = await client().getAccountSecurity({ userId: alice.userId });
    expect(security).toMatchObject({ mfaEnabled: false, withdrawalLockedUntil: 0n, antiPhishingCode: "Blue42", frozenAt: 0n });
    // A freeze shows there (the edge and wallet ask it before trading and sending withdrawals), and goes away.
    const order = createClient(AuthService, (harness.asOrder ?? harness.transport)());
    if (harness.asOrder) {
      // Only order may freeze: nobody else, not even the account's owner, and nothing changes.
      const anonymous = await wireError(client().setAccountFrozen({ userId: alice.userId, frozen: true }));
      const owner = await wireError(client().setAccountFrozen({ userId: alice.userId, frozen: true }, bearer(alice.token)));
      expect([anonymous.code, anonymous.reason, owner.code, owner.reason]).toEqual([Code.Unauthenticated, "-1002", Code.PermissionDenied, "-2015"]);
      expect((await client().getAccountSecurity({ userId: alice.userId })).frozenAt).toBe(0n);
    }
    await order.setAccountFrozen({ userId: alice.userId, frozen: true });
    expect((await client().getAccountSecurity({ userId: alice.userId })).frozenAt).toBeGreaterThan(0n);
    await order.setAccountFrozen({ userId: alice.userId, frozen: false });
    expect((await client().getAccountSecurity({ userId: alice.userId })).frozenAt).toBe(0n);
    expect((await client().verifyMfa({ userId: alice.userId, code: "123456" })).result).toBe(MfaResult.NOT_ENROLLED);
  });
}
