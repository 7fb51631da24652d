import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { DeleteSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createClient } from "@connectrpc/connect";
import { createLocalJWKSet, jwtVerify } from "jose";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { buildHandler, listen, type Listening } from "#kit/rpc/server.js";
import { withServiceKey } from "#kit/rpc/service-keys.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { authRpcScenarios } from "./auth-rpc.scenarios.js";
import { AWS_ENDPOINT, AWS_REGION, freshPgSchema } from "./support.js";

// auth as `npm start --service=auth` runs it in distributed mode: PostgreSQL store, master key in
// Secrets Manager (moto), served over HTTP/2 (gRPC) by the runtime.

/** Order's service key, which auth admits for SetAccountFrozen. */
const ORDER_KEY = "order-key-for-auth-grpc-test-0123456789abc";

let exchange: RunningExchange;
let dataDir: string;
let dropSchema: () => Promise<void>;
let auth: AuthModule;
let secretId: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "exchange-auth-"));
  const schema = await freshPgSchema("auth_grpc");
  dropSchema = schema.drop;
  const env = {
    AUTH_DATABASE_URL: schema.url,
    AUTH_SECRETS: "aws",
    AUTH_MASTER_KEY_SECRET_ID: (secretId = `exchange/auth/test-${randomUUID()}`),
    EXCHANGE_AWS_ENDPOINT: AWS_ENDPOINT,
    AWS_REGION,
    AUTH_ARGON2_MEMORY_KIB: "256",
    AUTH_ARGON2_TIME_COST: "1",
    EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY,
  };
  exchange = await startExchange({ service: "auth", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, env);
  auth = exchange.modules.find((m) => m.name === "auth") as AuthModule;
});

afterAll(async () => {
  await exchange?.stop();
  await dropSchema?.();
  await new SecretsManagerClient({ endpoint: AWS_ENDPOINT, region: AWS_REGION }).send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
  rmSync(dataDir, { recursive: true, force: true });
});

describe("auth.v1 over gRPC (HTTP/2), PostgreSQL + Secrets Manager", () => {
  authRpcScenarios({
    transport: () => createGrpcTransport({ baseUrl: exchange.listening.http2Url }),
    asOrder: () => createGrpcTransport({ baseUrl: exchange.listening.http2Url, interceptors: [withServiceKey(ORDER_KEY)] }),
    setRoles: (userId, roles) => auth.auth.accounts.setRoles(userId, roles),
    now: () => Date.now(),
  });

  it("is mounted through the registry and reports SERVING", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
    expect((await health.check({ service: AuthService.typeName })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
  });

  it("keeps API secrets envelope-encrypted in PostgreSQL under the Secrets Manager master key", async () => {
    const client = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
    const email = `vault-${randomUUID()}@example.com`;
    const { userId } = await client.signUp({ email, password: "correct horse battery" });
    const { tokens } = await client.signIn({ email, password: "correct horse battery" });
    const { key, secret } = await client.createApiKey({ userId, label: "k", type: 1, permissions: [2] }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
    const stored = await auth.store.findApiKey(key!.apiKey);
    expect(stored?.secretSealed?.startsWith("v1.")).toBe(true);
    expect(stored?.secretSealed).not.toContain(secret);
  });
});

describe("JWKS at /.well-known/jwks.json", () => {
  let server: Listening;
  beforeAll(async () => {
    server = await listen(buildHandler({ routes: auth.routes, fallback: auth.httpRoute }), "127.0.0.1", 0, 0);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("serves the key set that verifies our access tokens", async () => {
    const client = createClient(AuthService, createGrpcTransport({ baseUrl: server.http2Url }));
    const email = `jwks-${randomUUID()}@example.com`;
    await client.signUp({ email, password: "correct horse battery" });
    const { tokens } = await client.signIn({ email, password: "correct horse battery" });
    const response = await fetch(`${server.http1Url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/jwk-set+json");
    const jwks = (await response.json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(tokens!.accessToken, createLocalJWKSet(jwks), { issuer: "exchange-auth", audience: "exchange" });
    expect(payload.sid).toBe(tokens!.sessionId);
    expect((await fetch(`${server.http1Url}/.well-known/other.json`)).status).toBe(404);
  });
});
