import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, Socket, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { systemClock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { RedisReplayCache, storedKey, type RedisReplayCacheOptions } from "../../../services/auth/src/adapters/replay-cache.redis.js";
import { hmacSha256Hex } from "../../../services/auth/src/domain/request-signing.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import { engines } from "../../support/engines.js";
import { wireError } from "./auth-rpc.scenarios.js";
import { freshPgSchema } from "./support.js";

// The shared ReplayCache (RedisReplayCache) against the real Redis of tests/infra/up.sh: two caches
// are two auth replicas. Then two auth replicas as the distributed runtime runs them (one PostgreSQL
// store, one Redis): a signed request accepted by one is refused by the other. Every test run gets its
// own key prefix.

const prefixOf = () => `auth-replay-test:${randomUUID().slice(0, 8)}:`;
const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const item of opened.reverse()) await item.close().catch(() => undefined);
});

function replica(options: Partial<RedisReplayCacheOptions> & { keyPrefix: string }): RedisReplayCache {
  const cache = new RedisReplayCache({ url: engines.redisUrl, clock: systemClock, ...options });
  opened.push(cache);
  return cache;
}

function rawRedis(): Redis {
  const redis = new Redis(engines.redisUrl);
  opened.push({ close: async () => void (await redis.quit()) });
  return redis;
}

async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    (value) => expect.fail(`expected a refusal, got ${String(value)}`),
    (e: unknown) => e,
  );
  if (!(error instanceof DomainError)) throw new Error(`expected a DomainError, got ${String(error)}`);
  return error;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A signature-shaped key as Authenticator.signed builds it: `<apiKey>:<signature bytes, hex>`. */
const signatureKey = () => `${"K".repeat(64)}:${randomUUID().replace(/-/g, "")}${randomUUID().replace(/-/g, "")}`;

describe("RedisReplayCache: two replicas on one Redis", () => {
  it("the second replica sees a replay of what the first accepted, and so does the first", async () => {
    const keyPrefix = prefixOf();
    const [a, b] = [replica({ keyPrefix }), replica({ keyPrefix })];
    const key = signatureKey();
    const expiresAt = Date.now() + 5_000;
    expect(await a.firstSeen(key, expiresAt)).toBe(true);
    expect(await b.firstSeen(key, expiresAt)).toBe(false);
    expect(await a.firstSeen(key, expiresAt)).toBe(false);
    expect(await b.firstSeen(signatureKey(), expiresAt)).toBe(true); // another signature is new
  });

  it("exactly one of many concurrent attempts on both replicas wins (one atomic SET NX each)", async () => {
    const keyPrefix = prefixOf();
    const [a, b] = [replica({ keyPrefix }), replica({ keyPrefix })];
    const key = signatureKey();
    const expiresAt = Date.now() + 5_000;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).firstSeen(key, expiresAt)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("keeps a key until its window ends (plus the clock-skew margin), then forgets it", async () => {
    const keyPrefix = prefixOf();
    const [a, b] = [replica({ keyPrefix, clockSkewMs: 100 }), replica({ keyPrefix, clockSkewMs: 100 })];
    const raw = rawRedis();
    const key = signatureKey();
    const expiresAt = Date.now() + 300;
    expect(await a.firstSeen(key, expiresAt)).toBe(true);
    const ttl = await raw.pttl(`${keyPrefix}${storedKey(key)}`);
    expect(ttl).toBeGreaterThan(250);
    expect(ttl).toBeLessThanOrEqual(400);
    await sleep(200);
    expect(await b.firstSeen(key, expiresAt)).toBe(false); // inside the window
    await sleep(300);
    expect(await raw.exists(`${keyPrefix}${storedKey(key)}`)).toBe(0);
    expect(await b.firstSeen(key, Date.now() + 300)).toBe(true); // gone: Redis does not fill up
  });

  it("still records a key whose window has passed by the time it is checked (for the margin), so a racing duplicate is refused", async () => {
    const keyPrefix = prefixOf();
    const [a, b] = [replica({ keyPrefix, clockSkewMs: 1_000 }), replica({ keyPrefix, clockSkewMs: 1_000 })];
    const key = signatureKey();
    const passed = Date.now() - 10_000;
    expect(await a.firstSeen(key, passed)).toBe(true);
    expect(await b.firstSeen(key, passed)).toBe(false);
    const ttl = await rawRedis().pttl(`${keyPrefix}${storedKey(key)}`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(1_000);
  });

  it("stores long keys as their SHA-256 under the configured prefix, never the API key or signature itself", async () => {
    const keyPrefix = prefixOf();
    const key = signatureKey();
    expect(await replica({ keyPrefix }).firstSeen(key, Date.now() + 5_000)).toBe(true);
    expect(await replica({ keyPrefix }).firstSeen("short", Date.now() + 5_000)).toBe(true);
    const keys = (await rawRedis().keys(`${keyPrefix}*`)).sort();
    expect(keys).toEqual([expect.stringMatching(new RegExp(`^${keyPrefix}h:[A-Za-z0-9_-]{43}$`)), `${keyPrefix}k:short`]);
    expect(keys.join()).not.toContain("KKKK");
  });

  it("reads the server's maxmemory-policy for the start-up warning (undefined when it cannot)", async () => {
    const policy = (await rawRedis().info("memory")).match(/^maxmemory_policy:(\S+)/m)?.[1];
    expect(policy).toBeDefined();
    expect(await replica({ keyPrefix: prefixOf() }).evictionPolicy()).toBe(policy);
    expect(await replica({ url: "redis://127.0.0.1:1", keyPrefix: prefixOf(), commandTimeoutMs: 200 }).evictionPolicy()).toBeUndefined();
  });

  it("fails closed with Redis unreachable: refused as DISCONNECTED (Unavailable, HTTP 503, -1001), never accepted", async () => {
    const cache = replica({ url: "redis://127.0.0.1:1", keyPrefix: prefixOf(), commandTimeoutMs: 200 });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const error = await refusal(cache.firstSeen(signatureKey(), Date.now() + 5_000));
      expect([error.key, error.metadata.cause]).toEqual(["DISCONNECTED", "replay_cache_unavailable"]);
      expect([error.spec.grpc, error.spec.http, error.spec.binance]).toEqual([Code.Unavailable, 503, -1001]);
      expect(error.message).toMatch(/retry/);
    }
  });

  it("refuses while Redis is away after working, and protects again once it is back", async () => {
    const proxy = await tcpProxy(new URL(engines.redisUrl));
    const keyPrefix = prefixOf();
    const a = replica({ url: proxy.url, keyPrefix, commandTimeoutMs: 300 });
    const b = replica({ keyPrefix });
    const key = signatureKey();
    const expiresAt = Date.now() + 10_000;
    expect(await a.firstSeen(key, expiresAt)).toBe(true);

    await proxy.cut();
    // Replica a cannot reach Redis: neither the replay nor a new request gets through it.
    expect((await refusal(a.firstSeen(key, expiresAt))).key).toBe("DISCONNECTED");
    expect((await refusal(a.firstSeen(signatureKey(), expiresAt))).key).toBe("DISCONNECTED");
    expect(await b.firstSeen(key, expiresAt)).toBe(false); // the record survived on Redis

    await proxy.restore();
    await expect.poll(() => a.firstSeen(signatureKey(), expiresAt).catch(() => "refused"), { timeout: 10_000, interval: 100 }).toBe(true);
    expect(await a.firstSeen(key, expiresAt)).toBe(false);
    await proxy.close();
  });
});

describe("two auth replicas (distributed runtime, one PostgreSQL, one Redis)", () => {
  const MASTER_KEY = Buffer.alloc(32, 9).toString("base64");
  let dataDir: string;
  let dropSchema: () => Promise<void>;
  let baseEnv: Record<string, string>;
  const running: RunningExchange[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "exchange-auth-replay-"));
    const schema = await freshPgSchema("auth_replay");
    dropSchema = schema.drop;
    baseEnv = { AUTH_DATABASE_URL: schema.url, AUTH_MASTER_KEY: MASTER_KEY, AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1" };
  });
  afterAll(async () => {
    for (const exchange of running.reverse()) await exchange.stop();
    await dropSchema?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** One auth replica as `EXCHANGE_SERVICE=auth` runs it, with these extra variables. */
  async function authReplica(env: Record<string, string>) {
    const exchange = await startExchange({ service: "auth", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { ...baseEnv, ...env });
    running.push(exchange);
    return createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  }

  /** A user with an HMAC key (made through `client`), and a signed Authenticate request. */
  async function signedRequest(client: Awaited<ReturnType<typeof authReplica>>) {
    const email = `replay-${randomUUID()}@example.com`;
    const { userId } = await client.signUp({ email, password: "correct horse battery" });
    const { tokens } = await client.signIn({ email, password: "correct horse battery" });
    const { key, secret } = await client.createApiKey({ userId, label: "bot", type: ApiKeyType.HMAC_SHA256, permissions: [Permission.TRADE] }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
    const payload = `symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=100&recvWindow=5000&timestamp=${Date.now()}`;
    const signed = { apiKey: key!.apiKey, payload, signature: hmacSha256Hex(secret, payload), clientIp: "127.0.0.1" };
    return { userId, apiKey: key!.apiKey, request: { credential: { case: "signed" as const, value: signed }, requiredPermission: Permission.TRADE } };
  }

  it("a signed request accepted by replica A is refused by replica B (-1022), however its signature is spelled", async () => {
    const env = { AUTH_REPLAY_CACHE_URL: engines.redisUrl, AUTH_REPLAY_CACHE_PREFIX: prefixOf() };
    const [a, b] = [await authReplica(env), await authReplica(env)];
    const { userId, apiKey, request } = await signedRequest(a);
    expect((await a.authenticate(request)).principal).toMatchObject({ userId, apiKey });

    const replay = await wireError(b.authenticate(request));
    expect([replay.code, replay.reason, replay.message]).toEqual([Code.Unauthenticated, "-1022", "Signature for this request was already used."]);
    const upper = { ...request, credential: { ...request.credential, value: { ...request.credential.value, signature: request.credential.value.signature.toUpperCase() } } };
    expect((await wireError(b.authenticate(upper))).reason).toBe("-1022");
    expect((await wireError(a.authenticate(request))).reason).toBe("-1022");
  });

  it("with the per-process memory cache (no AUTH_REPLAY_CACHE_URL), replica B accepts the replay: the gap the shared cache closes", async () => {
    const [a, b] = [await authReplica({}), await authReplica({})];
    const { userId, request } = await signedRequest(a);
    await a.authenticate(request);
    expect((await b.authenticate(request)).principal?.userId).toBe(userId);
  });

  it("a replica whose Redis is unreachable refuses signed requests: Unavailable, -1001, retryable", async () => {
    const a = await authReplica({ AUTH_REPLAY_CACHE_URL: engines.redisUrl, AUTH_REPLAY_CACHE_PREFIX: prefixOf() });
    // Its Redis answers at start (a replica refuses to start without it), then goes away.
    const proxy = await tcpProxy(new URL(engines.redisUrl));
    const down = await authReplica({ AUTH_REPLAY_CACHE_URL: proxy.url, AUTH_REPLAY_CACHE_PREFIX: prefixOf() });
    await proxy.cut();
    const { request } = await signedRequest(a);
    const error = await wireError(down.authenticate(request));
    expect([error.code, error.reason]).toEqual([Code.Unavailable, "-1001"]);
    expect(error.message).toMatch(/Replay protection is unavailable/);
    // The refused request was never recorded: replica A, with Redis, still takes it once.
    await a.authenticate(request);
    await proxy.close();
  });
});

/** A TCP proxy to `target` that can be cut (connections dropped, port closed) and restored on the same port. */
async function tcpProxy(target: URL): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((client) => {
        const upstream = new Socket();
        upstream.connect(Number(target.port || 6379), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => socket.destroy());
        }
        client.pipe(upstream).pipe(client);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const cut = async () => {
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
    server = undefined;
  };
  await listen();
  return { url: `redis://127.0.0.1:${port}`, cut, restore: listen, close: cut };
}
