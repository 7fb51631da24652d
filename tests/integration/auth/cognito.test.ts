import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Code, createClient } from "@connectrpc/connect";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { ApiKeyType, AuthService, Permission, Role } from "#gen/exchange/auth/v1/auth_pb.js";
import type { ManualClock } from "#kit/clock/clock.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { testAuth } from "../../unit/auth/support/auth-harness.js";
import { wireError } from "./auth-rpc.scenarios.js";

// AWS mode: bearer tokens come from Amazon Cognito. A local JWKS server (node:http, port 0)
// stands in for the user pool's /.well-known/jwks.json, serving a jose-generated RS256 key set.

const ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool";
const CLIENT_ID = "test-app-client";

let server: http.Server;
let jwksRequests = 0;
let poolKey: { privateKey: CryptoKey; jwk: JWK };
let module: AuthModule;
let clock: ManualClock;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  poolKey = { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: "pool-key-1", alg: "RS256", use: "sig" } };
  server = http.createServer((request, response) => {
    jwksRequests++;
    if (request.url !== "/us-east-1_TestPool/.well-known/jwks.json") {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [poolKey.jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  ({ module, clock } = await testAuth({ mode: "cognito", cognito: { jwksUrl: `http://127.0.0.1:${port}/us-east-1_TestPool/.well-known/jwks.json`, issuer: ISSUER, clientId: CLIENT_ID } }));
});

afterAll(async () => {
  await module?.stop?.();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

interface TokenOptions {
  sub?: string;
  issuer?: string;
  tokenUse?: string;
  clientId?: string;
  aud?: string;
  groups?: string[];
  expiresInSeconds?: number;
  key?: CryptoKey;
  kid?: string;
}

async function cognitoToken(options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(clock.now() / 1000);
  const claims: Record<string, unknown> = { token_use: options.tokenUse ?? "access", "cognito:groups": options.groups ?? [] };
  if ((options.tokenUse ?? "access") === "access") claims.client_id = options.clientId ?? CLIENT_ID;
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: options.kid ?? "pool-key-1" })
    .setIssuer(options.issuer ?? ISSUER)
    .setSubject(options.sub ?? "8f2c1a7e-cognito-user")
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresInSeconds ?? 3600));
  if (options.aud) jwt = jwt.setAudience(options.aud);
  return jwt.sign(options.key ?? poolKey.privateKey);
}

const client = () => createClient(AuthService, inProcessTransport(module.routes));
const authenticate = (token: string) => client().authenticate({ credential: { case: "bearerToken", value: token } });

describe("Cognito JWKS verification", () => {
  it("accepts a Cognito access token (client_id) and maps cognito:groups to roles", async () => {
    const { principal } = await authenticate(await cognitoToken({ sub: "user-admin-1", groups: ["admin"] }));
    expect(principal).toMatchObject({ userId: "user-admin-1", roles: [Role.USER, Role.ADMIN], sessionId: "" });
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it("accepts a Cognito ID token whose aud is the app client", async () => {
    const { principal } = await authenticate(await cognitoToken({ sub: "user-id-token", tokenUse: "id", aud: CLIENT_ID }));
    expect(principal?.userId).toBe("user-id-token");
  });

  it("rejects a wrong issuer, another app client, a foreign signing key, an expired token and a bad token_use", async () => {
    const foreign = await generateKeyPair("RS256");
    const bad = [
      await cognitoToken({ issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other" }),
      await cognitoToken({ clientId: "another-client" }),
      await cognitoToken({ tokenUse: "id", aud: "another-client" }),
      await cognitoToken({ key: foreign.privateKey }),
      await cognitoToken({ key: foreign.privateKey, kid: "unknown-kid" }),
      await cognitoToken({ tokenUse: "refresh" }),
      await cognitoToken({ expiresInSeconds: -10 }),
    ];
    for (const token of bad) {
      const error = await wireError(authenticate(token));
      expect([error.code, error.reason], error.message).toEqual([Code.Unauthenticated, "-1002"]);
    }
  });

  it("leaves sign-in to Cognito (Unimplemented) and publishes no JWKS of its own", async () => {
    const error = await wireError(client().signIn({ email: "a@example.com", password: "whatever123" }));
    expect(error.code).toBe(Code.Unimplemented);
    expect(JSON.parse((await client().getJwks({})).jwksJson)).toEqual({ keys: [] });
  });

  it("lets a Cognito user manage their own API keys, and not another user's", async () => {
    const alice = { authorization: `Bearer ${await cognitoToken({ sub: "cognito-alice" })}` };
    const bob = { authorization: `Bearer ${await cognitoToken({ sub: "cognito-bob" })}` };
    const { key } = await client().createApiKey({ userId: "cognito-alice", label: "bot", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.TRADE] }, { headers: alice });
    expect((await client().listApiKeys({ userId: "cognito-alice" }, { headers: alice })).keys.map((k) => k.apiKey)).toEqual([key!.apiKey]);
    const error = await wireError(client().listApiKeys({ userId: "cognito-alice" }, { headers: bob }));
    expect([error.code, error.reason]).toEqual([Code.PermissionDenied, "-2015"]);
  });
});
