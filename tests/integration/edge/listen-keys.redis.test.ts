import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { engines } from "../../support/engines.js";
import { until } from "../../support/until.js";
import { StreamClient, type Msg } from "./ws-client.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { EdgeModule } from "../../../edge/src/main.js";
import { RedisListenKeyStore } from "../../../edge/src/ws/listen-key-store.redis.js";
import { ListenKeys, type ListenKeyEnd } from "../../../edge/src/ws/listen-keys.js";
import { listenKeyStoreContract } from "../../../edge/src/ws/listen-key-store.contract.js";

// Listen keys shared by edge replicas through one Redis (the real one of tests/infra/up.sh): two
// ListenKeys over two RedisListenKeyStores stand for two replicas, then two real edges behind one
// Redis serve a socket on one replica for a key made and deleted through the other. Every test has
// a key prefix of its own.

const prefixOf = () => `edge-lk-test:${randomUUID().slice(0, 8)}:`;
const INVALID = expect.objectContaining({ key: "INVALID_LISTEN_KEY" });

listenKeyStoreContract("redis", {
  open: async () => {
    const store = new RedisListenKeyStore({ url: engines.redisUrl, keyPrefix: prefixOf(), checkIntervalMs: 50 });
    await store.ready();
    return store;
  },
  checkWithinMs: 50,
});

describe("ListenKeys on one Redis shared by two replicas", () => {
  const opened: ListenKeys[] = [];
  const raw = new Redis(engines.redisUrl, { lazyConnect: true });

  afterEach(async () => {
    for (const keys of opened.splice(0)) await keys.close();
  });
  afterAll(() => raw.quit());

  /** Two replicas (A and B) on one prefix, each recording the ends it hears. */
  async function replicas(ttlMs: number) {
    const keyPrefix = prefixOf();
    const replica = async () => {
      const ended: [string, string, ListenKeyEnd][] = [];
      const store = new RedisListenKeyStore({ url: engines.redisUrl, keyPrefix, checkIntervalMs: 50 });
      await store.ready();
      const keys = new ListenKeys({ ttlMs, store, onEnd: (key, userId, why) => ended.push([key, userId, why]) });
      opened.push(keys);
      return { keys, ended, store };
    };
    return { a: await replica(), b: await replica(), keyPrefix };
  }

  it("a key made on A is the same key on B: POST again there answers it, PUT on B extends it, DELETE on B ends it for both", async () => {
    const { a, b, keyPrefix } = await replicas(60_000);
    const key = await a.keys.open("alice");
    expect(key).toMatch(/^[A-Za-z0-9]{60}$/);
    expect(await b.keys.userOf(key)).toBe("alice");
    expect(await b.keys.open("alice")).toBe(key);
    expect(await b.keys.open("bob")).not.toBe(key);

    await raw.pexpire(`${keyPrefix}k:${key}`, 1_000); // as if it were about to expire
    await b.keys.keepAlive(key, "alice");
    expect(await raw.pttl(`${keyPrefix}k:${key}`)).toBeGreaterThan(59_000);
    expect(await raw.pttl(`${keyPrefix}u:alice`)).toBeGreaterThan(59_000);

    a.keys.watch(key, "alice"); // A has a socket on it
    await b.keys.delete(key, "alice");
    await until(() => a.ended.length === 1);
    expect(a.ended).toEqual([[key, "alice", "deleted"]]);
    expect(b.ended).toEqual([[key, "alice", "deleted"]]); // the replica that deleted it, at once
    expect(await a.keys.userOf(key)).toBeUndefined();
    await expect(a.keys.keepAlive(key, "alice")).rejects.toThrow(INVALID);
    await expect(b.keys.delete(key, "alice")).rejects.toThrow(INVALID);
    expect(await raw.exists(`${keyPrefix}k:${key}`, `${keyPrefix}u:alice`)).toBe(0);
    const next = await a.keys.open("alice");
    expect(next).not.toBe(key);
    expect(await b.keys.userOf(next)).toBe("alice");
  });

  it("refuses another user's key on either replica as an unknown one (-1125) and leaves it alive", async () => {
    const { a, b } = await replicas(60_000);
    const key = await a.keys.open("alice");
    a.keys.watch(key, "alice");
    await expect(b.keys.keepAlive(key, "bob")).rejects.toThrow(INVALID);
    await expect(b.keys.delete(key, "bob")).rejects.toThrow(INVALID);
    await expect(a.keys.delete(key, "bob")).rejects.toThrow(INVALID);
    await expect(b.keys.keepAlive("A".repeat(60), "alice")).rejects.toThrow(INVALID);
    expect(await b.keys.userOf(key)).toBe("alice");
    await a.store.check();
    expect(a.ended).toEqual([]);
  });

  it("expiry is seen by both replicas watching the key, once each; a keepalive on either keeps it", async () => {
    const { a, b } = await replicas(600);
    const key = await a.keys.open("alice");
    a.keys.watch(key, "alice");
    b.keys.watch(key, "alice");
    await new Promise((resolve) => setTimeout(resolve, 350));
    await b.keys.keepAlive(key, "alice");
    await new Promise((resolve) => setTimeout(resolve, 350)); // past creation's end, 350 ms after the keepalive
    expect(await a.keys.userOf(key)).toBe("alice");
    expect([...a.ended, ...b.ended]).toEqual([]);
    await until(() => a.ended.length === 1 && b.ended.length === 1, 3_000);
    expect(a.ended).toEqual([[key, "alice", "expired"]]);
    expect(b.ended).toEqual([[key, "alice", "expired"]]);
    await a.store.check();
    await b.store.check();
    expect(a.ended.length + b.ended.length).toBe(2);
    await expect(b.keys.keepAlive(key, "alice")).rejects.toThrow(INVALID);
    expect(await b.keys.open("alice")).not.toBe(key);
  });

  it("gives racing POSTs of one user through both replicas one key, and keys outlive a replica's restart", async () => {
    const { a, b, keyPrefix } = await replicas(60_000);
    const keys = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).keys.open("carol")));
    expect(new Set(keys).size).toBe(1);
    await a.keys.close();
    const restarted = new ListenKeys({ ttlMs: 60_000, store: new RedisListenKeyStore({ url: engines.redisUrl, keyPrefix }), onEnd: () => {} });
    opened.push(restarted);
    expect(await restarted.userOf(keys[0]!)).toBe("carol");
    await restarted.keepAlive(keys[0]!, "carol");
  });

  it("fails with -1001 (DISCONNECTED) while Redis is unreachable, and ends no socket for it", async () => {
    const ended: string[] = [];
    const store = new RedisListenKeyStore({ url: "redis://127.0.0.1:1", checkIntervalMs: 50, commandTimeoutMs: 200 });
    const keys = new ListenKeys({ ttlMs: 60_000, store, onEnd: (key) => ended.push(key) });
    opened.push(keys);
    await expect(keys.open("alice")).rejects.toMatchObject({ key: "DISCONNECTED", spec: { binance: -1001 } });
    await expect(keys.userOf("A".repeat(60))).rejects.toMatchObject({ key: "DISCONNECTED" });
    keys.watch("A".repeat(60), "alice");
    await store.check();
    expect(ended).toEqual([]);
  });
});

describe("two edges on one Redis", () => {
  let dataDir: string;
  let a: RunningExchange;
  let b: RunningExchange;
  let edgeB: EdgeModule;
  let keyPrefix: string;
  let alice: { userId: string; apiKey: string };
  let bob: { userId: string; apiKey: string };

  async function userStream(url: string, method: "POST" | "PUT" | "DELETE", apiKey: string, listenKey?: string) {
    const query = listenKey === undefined ? "" : `?listenKey=${listenKey}`;
    const response = await fetch(`${url}/api/v3/userDataStream${query}`, { method, headers: { "X-MBX-APIKEY": apiKey } });
    return { status: response.status, body: (await response.json()) as Msg };
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "edge-lk-redis-"));
    keyPrefix = prefixOf();
    const shared = { LOG_LEVEL: "warn", EDGE_LISTEN_KEY_REDIS_URL: engines.redisUrl, EDGE_LISTEN_KEY_REDIS_PREFIX: keyPrefix, EDGE_LISTEN_KEY_CHECK_MS: "100" };
    a = await startExchange(
      { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { ...shared, AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
    );
    const address = a.listening.http2Url;
    b = await startExchange(
      { service: "edge", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { ...shared, ORDER_ADDR: address, WALLET_ADDR: address, AUTH_ADDR: address, MATCHING_ADDR: address, MARKETDATA_ADDR: address },
    );
    edgeB = b.modules.find((module) => module.name === "edge") as EdgeModule;
    const auth = createClient(AuthService, createGrpcTransport({ baseUrl: address }));
    const user = async (email: string) => {
      const password = "correct horse battery staple";
      const { userId } = await auth.signUp({ email, password });
      const { tokens } = await auth.signIn({ email, password });
      const { key } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ], label: "lk" }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
      return { userId, apiKey: key!.apiKey };
    };
    [alice, bob] = await Promise.all([user("lk-alice@example.com"), user("lk-bob@example.com")]);
  });

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a key made through edge A serves a socket on edge B, is kept alive there, and its DELETE through A closes B's socket", async () => {
    const [httpA, httpB] = [a.listening.http1Url, b.listening.http1Url];
    const created = await userStream(httpA, "POST", alice.apiKey);
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const key = created.body.listenKey as string;
    expect(await userStream(httpB, "POST", alice.apiKey)).toEqual({ status: 200, body: { listenKey: key } });
    expect(await userStream(httpB, "PUT", alice.apiKey, key)).toEqual({ status: 200, body: {} });
    expect(await userStream(httpB, "PUT", bob.apiKey, key)).toEqual({ status: 400, body: { code: -1125, msg: "This listenKey does not exist." } });
    expect(await userStream(httpB, "DELETE", bob.apiKey, key)).toEqual({ status: 400, body: { code: -1125, msg: "This listenKey does not exist." } });

    const socket = await StreamClient.open(`${httpB.replace(/^http/, "ws")}/ws/${key}`);
    await until(() => edgeB.userStreams.stats().connections === 1);
    expect(await userStream(httpA, "DELETE", alice.apiKey, key)).toEqual({ status: 200, body: {} });
    expect(await socket.next()).toEqual({ e: "listenKeyExpired", E: expect.any(Number), listenKey: key });
    await until(() => socket.closedWith !== undefined);
    expect(socket.closedWith).toBe(1000);
    expect(await userStream(httpB, "PUT", alice.apiKey, key)).toMatchObject({ status: 400, body: { code: -1125 } });
    await expect(StreamClient.open(`${httpB.replace(/^http/, "ws")}/ws/${key}`)).rejects.toMatchObject({ status: 400, body: { code: -1125, msg: "This listenKey does not exist." } });
    await until(() => edgeB.userStreams.stats().connections === 0 && edgeB.userStreams.stats().listenKeys === 0);
  });

  it("a key that expires in Redis ends its socket on edge B too (listenKeyExpired, then 1000)", async () => {
    const key = (await userStream(a.listening.http1Url, "POST", bob.apiKey)).body.listenKey as string;
    const socket = await StreamClient.open(`${b.listening.http1Url.replace(/^http/, "ws")}/ws/${key}`);
    const raw = new Redis(engines.redisUrl);
    try {
      await raw.pexpire(`${keyPrefix}k:${key}`, 1); // its 60 minutes are up
    } finally {
      await raw.quit();
    }
    expect(await socket.next(undefined, 3_000)).toEqual({ e: "listenKeyExpired", E: expect.any(Number), listenKey: key });
    await until(() => socket.closedWith !== undefined);
    expect(socket.closedWith).toBe(1000);
  });
});
