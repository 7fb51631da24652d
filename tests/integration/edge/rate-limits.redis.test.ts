import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server as TcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { Registry } from "prom-client";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { RedisCache } from "#kit/adapters/cache.redis.js";
import { engines } from "../../support/engines.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { createEdgeModule, type EdgeModule } from "../../../edge/src/main.js";
import { RateLimiter } from "../../../edge/src/rate-limit/rate-limiter.js";
import { StreamClient } from "./ws-client.js";

// Edge rate limits shared by replicas through the real Redis (tests/infra/up.sh): two limiters on
// one Redis count one budget, even when they race; an edge whose Redis goes away (a TCP proxy cut
// in front of the real one) keeps serving on its own counters and goes back to the shared ones;
// two real edges (one reaching the services over gRPC) give a client one budget across REST and
// the public Connect API, for request weight and for new orders. Every test has a key prefix of
// its own.

const prefixOf = () => `edge-rl-test:${randomUUID().slice(0, 8)}:`;
const LIMITS = { ipWeightPerMinute: 10, apiKeyWeightPerMinute: 1_000, ordersPer10s: 3, ordersPerDay: 5 };

/** Polls an async check every 20 ms until it holds (no fixed sleeps). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs `scenario` until it starts and ends in one fixed window of `windowMs` of the edges' wall
 * clock (the window turning over mid-way restarts the counts); each attempt gets a fresh identity.
 */
async function inOneWindow<T>(windowMs: number, scenario: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const window = Math.floor(Date.now() / windowMs);
    const result = await scenario(attempt);
    if (Math.floor(Date.now() / windowMs) === window) return result;
  }
  throw new Error(`every attempt crossed a ${windowMs} ms window`);
}

describe("two rate limiters on one Redis", () => {
  const caches: RedisCache[] = [];
  afterAll(async () => {
    for (const cache of caches) await cache.close();
  });

  function replicas(now: () => number) {
    const keyPrefix = prefixOf();
    const limiter = () => {
      const cache = new RedisCache({ url: engines.redisUrl, keyPrefix, commandTimeoutMs: 2_000 });
      caches.push(cache);
      return new RateLimiter(cache, LIMITS, now);
    };
    return [limiter(), limiter()] as const;
  }

  it("count one request weight when they race: exactly the limit is admitted, no count lost", async () => {
    const now = 1_900_000_020_000 + 5_000; // 55 s before the minute ends
    const [a, b] = replicas(() => now);
    const admissions = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? a : b).admitIp("10.1.0.1", 1)));
    const counts = admissions.map((admission) => Number(admission.headers["X-MBX-USED-WEIGHT-1M"])).sort((x, y) => x - y);
    expect(counts).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(admissions.filter((admission) => admission.refused === undefined)).toHaveLength(LIMITS.ipWeightPerMinute);
    for (const admission of admissions) {
      if (Number(admission.headers["X-MBX-USED-WEIGHT-1M"]) <= 10) expect(admission.refused).toBeUndefined();
      else expect(admission.refused).toMatchObject({ key: "TOO_MANY_REQUESTS", spec: { http: 429, binance: -1003 }, metadata: { retryAfterMs: "55000" } });
    }
    expect((await b.admitIp("10.1.0.2", 1)).headers["X-MBX-USED-WEIGHT-1M"]).toBe("1"); // per IP
  });

  it("ban an IP that keeps going after its 429s: 418 with the time left on every replica, until the ban ends", async () => {
    let now = 1_900_000_020_000 + 1_000; // 59 s before the minute ends
    const keyPrefix = prefixOf();
    const limits = { ...LIMITS, ipBanAfter429sPerMinute: 3, ipBanMs: 120_000 };
    const [a, b] = [0, 1].map(() => {
      const cache = new RedisCache({ url: engines.redisUrl, keyPrefix, commandTimeoutMs: 2_000 });
      caches.push(cache);
      return new RateLimiter(cache, limits, () => now);
    }) as [RateLimiter, RateLimiter];
    for (let i = 0; i < LIMITS.ipWeightPerMinute; i++) expect((await a.admitIp("10.1.1.1", 1)).refused).toBeUndefined();
    for (let i = 0; i < 3; i++) expect((await (i % 2 ? a : b).admitIp("10.1.1.1", 1)).refused).toMatchObject({ key: "TOO_MANY_REQUESTS", spec: { http: 429 } });
    const ban = (await a.admitIp("10.1.1.1", 1)).refused;
    expect(ban).toMatchObject({ key: "IP_BANNED", spec: { http: 418, binance: -1003 }, metadata: { retryAfterMs: "120000" } });
    expect(ban!.message).toBe(`Way too many requests; IP(10.1.1.1) banned until ${now + 120_000}. Please use WebSocket Streams for live updates to avoid bans.`);
    now += 61_000; // a new minute: the weight is back, the ban is not
    expect((await b.admitIp("10.1.1.1", 1)).refused).toMatchObject({ key: "IP_BANNED", metadata: { retryAfterMs: "59000" } });
    expect((await b.admitIp("10.1.1.2", 1)).refused).toBeUndefined(); // per IP
    now += 59_000; // the ban's end
    expect((await a.admitIp("10.1.1.1", 1)).refused).toBeUndefined();
  });

  it("count one account's new orders per 10 s and per day, whichever replica takes them", async () => {
    let now = Date.UTC(2030, 0, 1, 12, 0, 1); // 9 s before a 10 s window ends, 12 h before the day does
    const [a, b] = replicas(() => now);
    const counts = async (limiter: RateLimiter) => {
      const admission = await limiter.admitOrder("u1");
      return { s10: admission.headers["X-MBX-ORDER-COUNT-10S"], d1: admission.headers["X-MBX-ORDER-COUNT-1D"], refused: admission.refused };
    };
    expect(await counts(a)).toEqual({ s10: "1", d1: "1", refused: undefined });
    expect(await counts(b)).toEqual({ s10: "2", d1: "2", refused: undefined });
    expect(await counts(a)).toEqual({ s10: "3", d1: "3", refused: undefined });
    const tooFast = await counts(b);
    expect(tooFast).toMatchObject({ s10: "4", d1: "4" });
    expect(tooFast.refused).toMatchObject({ key: "TOO_MANY_ORDERS", spec: { http: 429, binance: -1015 }, message: "Too many new orders; current limit is 3 orders per TEN_SECONDS.", metadata: { retryAfterMs: "9000" } });

    now += 10_000; // the next 10 s window; the day goes on
    expect(await counts(b)).toEqual({ s10: "1", d1: "5", refused: undefined });
    const overDay = await counts(a);
    expect(overDay).toMatchObject({ s10: "2", d1: "6" });
    expect(overDay.refused).toMatchObject({ key: "TOO_MANY_ORDERS", spec: { http: 429, binance: -1015 }, message: "Too many new orders; current limit is 5 orders per DAY.", metadata: { retryAfterMs: String(12 * 3_600_000 - 11_000) } });
    expect(await counts(b)).toMatchObject({ s10: "3", d1: "7" });
  });
});

/** A TCP proxy in front of the real Redis that a test can cut (connections dropped, port closed) and restore. */
class CuttableProxy {
  private server: TcpServer | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  async open(): Promise<void> {
    const target = new URL(engines.redisUrl);
    const server = createTcpServer((client) => {
      const upstream = tcpConnect(Number(target.port || 6379), target.hostname);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

describe("an edge whose Redis goes away", () => {
  const proxy = new CuttableProxy();
  const registry = new Registry();
  const errors: [unknown, string][] = [];
  const raw = new Redis(engines.redisUrl, { lazyConnect: true });
  const keyPrefix = prefixOf();
  // A minute-aligned clock moving with real time, so the test never straddles a window.
  const base = 1_900_000_020_000 + 1_000;
  const started = Date.now();
  const now = () => base + (Date.now() - started);
  const windowKey = (ip: string) => `${keyPrefix}rl:edge:ip:${ip}:60000:${Math.floor(base / 60_000)}`;
  let edge: EdgeModule;
  let server: HttpServer;
  let url: string;

  beforeAll(async () => {
    await proxy.open();
    edge = createEdgeModule({
      directory: {
        transport: () => {
          throw new Error("ping needs no service");
        },
      },
      limits: { ipWeightPerMinute: 3 },
      trustForwardedFor: true,
      rateLimitRedis: { url: `redis://127.0.0.1:${proxy.port}`, keyPrefix, commandTimeoutMs: 250 },
      metrics: registry,
      now,
      onError: (error, context) => errors.push([error, context]),
    });
    server = createHttpServer((request, response) => {
      void Promise.resolve(edge.httpRoute(request, response)).then((handled) => {
        if (!handled) response.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await edge.stop?.();
    await proxy.cut();
    raw.disconnect();
  });

  async function ping(ip: string) {
    const response = await fetch(`${url}/api/v3/ping`, { headers: { "X-Forwarded-For": ip } });
    return { status: response.status, used: Number(response.headers.get("x-mbx-used-weight-1m")), retryAfter: response.headers.get("retry-after"), body: (await response.json()) as Record<string, unknown> };
  }
  const localCounts = async () => (await registry.getSingleMetric("exchange_edge_rate_limit_local_total")!.get()).values[0]?.value ?? 0;

  it("fails open to its own counters, still refusing past the limit, logs it once and counts it; then counts in Redis again", async () => {
    // The probe IP is far over its limit in Redis: its count says which counters answered.
    await raw.set(windowKey("10.2.0.99"), "1000", "PX", 120_000);
    const viaRedis = async () => (await ping("10.2.0.99")).used > 1000;

    expect(await ping("10.2.0.1")).toMatchObject({ status: 200, used: 1 });
    expect(await ping("10.2.0.1")).toMatchObject({ status: 200, used: 2 });
    expect(await raw.get(windowKey("10.2.0.1"))).toBe("2");
    expect(await localCounts()).toBe(0);

    await proxy.cut();
    // Redis is away: served, counted here (from 1), and refused past the limit all the same.
    expect(await ping("10.2.0.1")).toMatchObject({ status: 200, used: 1 });
    expect(await ping("10.2.0.1")).toMatchObject({ status: 200, used: 2 });
    expect(await ping("10.2.0.1")).toMatchObject({ status: 200, used: 3 });
    const refused = await ping("10.2.0.1");
    expect(refused).toMatchObject({ status: 429, used: 4, body: { code: -1003 } });
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(await localCounts()).toBeGreaterThanOrEqual(4);
    expect(errors.length).toBe(1); // one line per 10 s, not one per request or reconnect
    expect(errors[0]![1]).toMatch(/^rate-limit counters \(Redis\): counting in this replica's memory/);
    expect(await raw.get(windowKey("10.2.0.1"))).toBe("2");

    await proxy.open(); // same port: the edge reconnects on its own
    await eventually(viaRedis);
    const before = await localCounts();
    expect(await ping("10.2.0.1")).toMatchObject({ status: 200, used: 3 });
    expect(await ping("10.2.0.1")).toMatchObject({ status: 429, used: 4, body: { code: -1003 } });
    expect(await raw.get(windowKey("10.2.0.1"))).toBe("4");
    expect(await localCounts()).toBe(before);
  });
});

describe("two edges on one Redis", () => {
  const PASSWORD = "correct horse battery staple";
  let dataDir: string;
  let a: RunningExchange;
  let b: RunningExchange;
  let parts: WalletParts;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "edge-rl-redis-"));
    const shared = {
      LOG_LEVEL: "warn",
      EDGE_RATE_LIMIT_REDIS_URL: engines.redisUrl,
      EDGE_RATE_LIMIT_REDIS_PREFIX: prefixOf(),
      EDGE_TRUST_FORWARDED_FOR: "true",
      EDGE_IP_WEIGHT_PER_MINUTE: "10",
      EDGE_ORDERS_PER_10S: "4",
      EDGE_IP_BAN_AFTER_429S_PER_MINUTE: "10",
      EDGE_IP_BAN_MS: "120000",
    };
    a = await startExchange(
      { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { ...shared, AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
    );
    const address = a.listening.http2Url;
    b = await startExchange(
      { service: "edge", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { ...shared, ORDER_ADDR: address, WALLET_ADDR: address, AUTH_ADDR: address, MATCHING_ADDR: address, MARKETDATA_ADDR: address },
    );
    parts = (a.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  });

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const edges = () => [a.listening.http1Url, b.listening.http1Url] as const;
  const headersOf = (ip: string, token?: string): Interceptor => (next) => (request) => {
    request.header.set("x-forwarded-for", ip);
    if (token) request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
  const connectTo = (edge: string, ip: string, token?: string) => createConnectTransport({ baseUrl: `${edge}/connect`, httpVersion: "1.1", interceptors: [headersOf(ip, token)] });

  /** A REST or Connect call's outcome: admitted or not, the counters it reported, the refusal's code and retry time. */
  interface Outcome {
    readonly door: string;
    readonly ok: boolean;
    readonly headers: Headers;
    readonly binance?: number;
    readonly retryAfter?: number;
  }

  async function rest(edge: string, door: string, path: string, init: RequestInit & { ip: string }): Promise<Outcome> {
    const response = await fetch(`${edge}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), "X-Forwarded-For": init.ip } });
    const body = (await response.json()) as { code?: number };
    if (response.status === 200) return { door, ok: true, headers: response.headers };
    expect(response.status, JSON.stringify(body)).toBe(429);
    return { door, ok: false, headers: response.headers, binance: body.code, retryAfter: Number(response.headers.get("retry-after")) };
  }

  async function connect(door: string, call: (onHeader: (headers: Headers) => void) => Promise<unknown>): Promise<Outcome> {
    let headers = new Headers();
    try {
      await call((received) => (headers = received));
      return { door, ok: true, headers };
    } catch (error) {
      expect(error).toBeInstanceOf(ConnectError);
      const refused = error as ConnectError;
      expect(refused.code, refused.message).toBe(Code.ResourceExhausted);
      return { door, ok: false, headers: refused.metadata, binance: Number(refused.findDetails(ErrorInfoSchema)[0]?.reason), retryAfter: Number(refused.metadata.get("retry-after")) };
    }
  }

  it("one request weight per IP across both edges, REST and Connect: the configured total, then 429 / ResourceExhausted -1003 with Retry-After", async () => {
    const { outcomes, restRefused, connectRefused, otherIp } = await inOneWindow(60_000, async (attempt) => {
      const ip = `10.3.${attempt}.1`;
      const doors = edges().flatMap((edge, n) => [
        () => rest(edge, `REST ${"AB"[n]}`, "/api/v3/ping", { ip }),
        () => connect(`Connect ${"AB"[n]}`, (onHeader) => createClient(MarketDataService, connectTo(edge, ip)).ping({}, { onHeader })),
      ]);
      // 16 racing calls of weight 1 spread over the four doors, against a limit of 10.
      const outcomes = await Promise.all(Array.from({ length: 16 }, (_, i) => doors[i % 4]!()));
      const restRefused = await doors[2]!(); // REST on B
      const connectRefused = await doors[1]!(); // Connect on A
      const otherIp = await rest(edges()[1], "REST B", "/api/v3/ping", { ip: `10.3.${attempt}.2` });
      return { outcomes, restRefused, connectRefused, otherIp };
    });

    const admitted = outcomes.filter((outcome) => outcome.ok);
    expect(admitted).toHaveLength(10);
    expect(new Set(admitted.map((outcome) => outcome.door))).toEqual(new Set(["REST A", "REST B", "Connect A", "Connect B"]));
    // Every admitted call saw a distinct count within the budget: together exactly 1..10.
    expect(admitted.map((outcome) => Number(outcome.headers.get("x-mbx-used-weight-1m"))).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const outcome of outcomes.filter((o) => !o.ok)) expect(outcome).toMatchObject({ binance: -1003, retryAfter: expect.any(Number) });

    expect(restRefused).toMatchObject({ ok: false, binance: -1003 });
    expect(restRefused.headers.get("x-mbx-used-weight-1m")).toBe("17");
    expect(connectRefused).toMatchObject({ ok: false, binance: -1003 });
    for (const refused of [restRefused, connectRefused]) {
      expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
      expect(refused.retryAfter).toBeLessThanOrEqual(60);
    }
    expect(otherIp.ok).toBe(true);
    expect(otherIp.headers.get("x-mbx-used-weight-1m")).toBe("1");
  });

  it("an IP that keeps calling after 429s is banned on both edges: 418 -1003 with Retry-After, another IP is not", async () => {
    const ping = async (edge: string, ip: string) => {
      const response = await fetch(`${edge}/api/v3/ping`, { headers: { "X-Forwarded-For": ip } });
      return { status: response.status, body: (await response.json()) as { code?: number; msg?: string }, retryAfter: response.headers.get("retry-after") };
    };
    const { statuses, banned, onB, otherIp } = await inOneWindow(60_000, async (attempt) => {
      const ip = `10.9.${attempt}.1`;
      const statuses: number[] = [];
      // 10 admitted, 10 refused (429), the 21st call is the 11th refusal: a ban.
      for (let i = 0; i < 20; i++) statuses.push((await ping(edges()[i % 2]!, ip)).status);
      const banned = await ping(edges()[0], ip);
      const onB = await ping(edges()[1], ip);
      const otherIp = await ping(edges()[1], `10.9.${attempt}.2`);
      return { statuses, banned, onB, otherIp };
    });
    expect(statuses).toEqual([...Array<number>(10).fill(200), ...Array<number>(10).fill(429)]);
    expect(banned).toMatchObject({ status: 418, body: { code: -1003, msg: expect.stringMatching(/^Way too many requests; IP\(10\.9\.\d\.1\) banned until \d+\. /) }, retryAfter: "120" });
    expect(onB).toMatchObject({ status: 418, body: { code: -1003 } });
    expect(Number(onB.retryAfter)).toBeGreaterThan(100);
    expect(otherIp.status).toBe(200);
    // Nor can it open a WebSocket: market streams or a user data stream, on either edge.
    const ip = banned.body.msg!.match(/IP\((.+?)\)/)![1]!;
    const ws = (edge: string) => edge.replace(/^http/, "ws");
    const headers = { "X-Forwarded-For": ip };
    await expect(StreamClient.open(`${ws(edges()[0])}/ws/btcusdt@trade`, { headers })).rejects.toMatchObject({ status: 418, body: { code: -1003 } });
    await expect(StreamClient.open(`${ws(edges()[1])}/ws/${"A".repeat(60)}`, { headers })).rejects.toMatchObject({ status: 418, body: { code: -1003 } });
    const other = await StreamClient.open(`${ws(edges()[1])}/ws/btcusdt@trade`, { headers: { "X-Forwarded-For": "10.9.200.1" } });
    await other.close();
  });

  it("one count of an account's new orders across both edges, REST and Connect (X-MBX-ORDER-COUNT-10S / -1D), then 429 -1015", async () => {
    const auth = createClient(AuthService, createGrpcTransport({ baseUrl: a.listening.http2Url }));
    let nonce = 0;
    const { placed, restRefused, connectRefused } = await inOneWindow(10_000, async (attempt) => {
      const email = `rl-orders-${attempt}-${randomUUID().slice(0, 6)}@example.com`;
      const { userId } = await auth.signUp({ email, password: PASSWORD });
      const { tokens } = await auth.signIn({ email, password: PASSWORD });
      const token = tokens!.accessToken;
      const { key, secret } = await auth.createApiKey(
        { userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "rl" },
        { headers: { authorization: `Bearer ${token}` } },
      );
      await parts.wallet.creditDeposit(`rl-fund-${userId}`, userId, "BTC", 10n ** 8n);
      const ip = `10.4.${attempt}.1`;
      const restOrder = (edge: string, door: string) => {
        const query = new URLSearchParams({ symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "95000", recvWindow: String(5000 + nonce++), timestamp: String(Date.now()) }).toString();
        const signature = createHmac("sha256", secret).update(query).digest("hex");
        return rest(edge, door, `/api/v3/order?${query}&signature=${signature}`, { method: "POST", ip, headers: { "X-MBX-APIKEY": key!.apiKey } });
      };
      const connectOrder = (edge: string, door: string) =>
        connect(door, (onHeader) =>
          createClient(OrderService, connectTo(edge, ip, token)).placeOrder(
            { symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: "95000.00", quantity: "0.01000000" },
            { onHeader },
          ),
        );
      const [edgeA, edgeB] = edges();
      const placed = [await restOrder(edgeA, "REST A"), await connectOrder(edgeB, "Connect B"), await restOrder(edgeB, "REST B"), await connectOrder(edgeA, "Connect A")];
      return { placed, restRefused: await restOrder(edgeB, "REST B"), connectRefused: await connectOrder(edgeA, "Connect A") };
    });

    expect(placed.map((outcome) => [outcome.door, outcome.ok, outcome.headers.get("x-mbx-order-count-10s"), outcome.headers.get("x-mbx-order-count-1d")])).toEqual([
      ["REST A", true, "1", "1"],
      ["Connect B", true, "2", "2"],
      ["REST B", true, "3", "3"],
      ["Connect A", true, "4", "4"],
    ]);
    expect(restRefused).toMatchObject({ ok: false, binance: -1015 });
    // The refusal is not counted (Binance counts successful placements only).
    expect(restRefused.headers.get("x-mbx-order-count-10s")).toBe("4");
    expect(connectRefused).toMatchObject({ ok: false, binance: -1015 });
    for (const refused of [restRefused, connectRefused]) {
      expect(refused.retryAfter).toBeGreaterThanOrEqual(1);
      expect(refused.retryAfter).toBeLessThanOrEqual(10);
    }
  });
});
