import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { hmacKey, signUp, type Key } from "./api-keys.js";
import { WsApiClient } from "./ws-api-client.js";

// The ORDERS limit refused as Binance refuses it: 429 with -1015 "Too many new orders; current
// limit is <n> orders per <TEN_SECONDS|DAY>." and Retry-After, on REST and on the WebSocket API,
// while the request weight is far from its limit (that one stays -1003). Only successful placements
// count (Binance: "Every successful request to place an order adds to the unfilled order count"):
// a refused one, -1015 included, leaves the counters as they were. The exchange allows two new
// orders per account per day: a window that does not roll during the test. (The public Connect
// API's refusal is in connect-public.test.ts and order-entry.test.ts.)

const ORDERS_PER_DAY = 2;
const REFUSAL = `Too many new orders; current limit is ${ORDERS_PER_DAY} orders per DAY.`;

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let auth: Client<typeof AuthService>;
let parts: WalletParts;

/** A user with an HMAC key and 1 BTC to sell. */
async function seller(email: string): Promise<Key & { userId: string }> {
  const user = await signUp(auth, email);
  const key = await hmacKey(auth, user.userId, user.headers, [Permission.READ, Permission.TRADE]);
  await parts.wallet.creditDeposit(`fund-${user.userId}`, user.userId, "BTC", 10n ** 8n);
  return { userId: user.userId, ...key };
}

let nonce = 0;
async function signed(method: string, path: string, key: Key, params: Record<string, string>) {
  const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const response = await fetch(`${base}${path}?${query}&signature=${key.sign(query)}`, { method, headers: { "X-MBX-APIKEY": key.apiKey } });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

const sell = (price: string) => ({ symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-order-rate-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", EDGE_ORDERS_PER_DAY: String(ORDERS_PER_DAY) },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("over the ORDERS limit", () => {
  it("REST: 429 -1015 with Binance's message and Retry-After; the order is not placed", async () => {
    const erin = await seller("erin@example.com");
    for (const price of ["50000", "50001"]) expect((await signed("POST", "/api/v3/order", erin, sell(price))).status).toBe(200);
    const refused = await signed("POST", "/api/v3/order", erin, sell("50002"));
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ code: -1015, msg: REFUSAL });
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
    // The order count refused it, not the request weight; the refusal itself is not counted.
    expect(refused.headers.get("x-mbx-order-count-1d")).toBe("2");
    expect(Number(refused.headers.get("x-mbx-used-weight-1m"))).toBeLessThan(6000);
    const open = await signed("GET", "/api/v3/openOrders", erin, { symbol: "BTCUSDT" });
    expect((open.body as unknown as { price: string }[]).map((o) => o.price)).toEqual(["50000.00000000", "50001.00000000"]);
    // A request that places nothing still goes through.
    expect((await signed("GET", "/api/v3/account", erin, {})).status).toBe(200);
  });

  it("WebSocket API: order.place answers 429 -1015 with retryAfter, rateLimits showing the ORDERS count", async () => {
    const frank = await seller("frank@example.com");
    const client = await WsApiClient.open(`${base.replace(/^http/, "ws")}/ws-api/v3`);
    try {
      for (const price of ["50010", "50011"]) expect((await client.signedCall("order.place", frank, sell(price))).status).toBe(200);
      const before = Date.now();
      const refused = await client.signedCall("order.place", frank, sell("50012"));
      expect(refused).toMatchObject({ status: 429, error: { code: -1015, msg: REFUSAL, data: { serverTime: expect.any(Number), retryAfter: expect.any(Number) } } });
      const { retryAfter } = refused.error!.data as { retryAfter: number };
      expect(retryAfter).toBeGreaterThan(before);
      expect(retryAfter).toBeLessThanOrEqual(before + 86_400_000 + 5_000);
      expect(refused.rateLimits).toEqual(
        expect.arrayContaining([
          { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: ORDERS_PER_DAY, count: 2 },
          { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: 6000, count: expect.any(Number) },
        ]),
      );
      const open = await client.signedCall("openOrders.status", frank, { symbol: "BTCUSDT" });
      expect((open.result as { price: string }[]).map((o) => o.price)).toEqual(["50010.00000000", "50011.00000000"]);
    } finally {
      await client.close();
    }
  });
});

describe("refused placements and the ORDERS counters", () => {
  /** The day's count a REST answer reports (the 10 s one is the same here), or "none". */
  const counts = (answer: { headers: Headers }) => [answer.headers.get("x-mbx-order-count-10s") ?? "none", answer.headers.get("x-mbx-order-count-1d") ?? "none"];

  it("REST: a refused order leaves X-MBX-ORDER-COUNT-* as they were; an accepted one adds one", async () => {
    const grace = await seller("grace@example.com");
    const accepted = await signed("POST", "/api/v3/order", grace, sell("50100"));
    expect([accepted.status, ...counts(accepted)]).toEqual([200, "1", "1"]);
    // A filter failure (-1013), too little balance (-2010), an unknown symbol (-1121): placed nothing, counted nothing.
    for (const [params, code] of [
      [sell("50100.001"), -1013],
      [{ ...sell("50101"), quantity: "5" }, -2010],
      [{ ...sell("50101"), symbol: "NOPEUSDT" }, -1121],
    ] as const) {
      const refused = await signed("POST", "/api/v3/order", grace, params);
      expect([refused.status, refused.body.code, ...counts(refused)]).toEqual([400, code, "1", "1"]);
    }
    // So the day's second order still fits (it would be refused -1015 had the refusals counted), and the third does not.
    const second = await signed("POST", "/api/v3/order", grace, sell("50102"));
    expect([second.status, ...counts(second)]).toEqual([200, "2", "2"]);
    const over = await signed("POST", "/api/v3/order", grace, sell("50103"));
    expect([over.status, over.body.code, ...counts(over)]).toEqual([429, -1015, "2", "2"]);
    const usage = await signed("GET", "/api/v3/rateLimit/order", grace, {});
    expect(usage.body).toEqual(expect.arrayContaining([expect.objectContaining({ rateLimitType: "ORDERS", interval: "DAY", count: 2 })]));
  });

  it("WebSocket API: a refused order.place reports the ORDERS counts unchanged in rateLimits", async () => {
    const heidi = await seller("heidi@example.com");
    const client = await WsApiClient.open(`${base.replace(/^http/, "ws")}/ws-api/v3`);
    const day = (answer: { rateLimits?: { rateLimitType: string; interval: string; count: number }[] }) => answer.rateLimits?.find((l) => l.rateLimitType === "ORDERS" && l.interval === "DAY")?.count;
    try {
      const first = await client.signedCall("order.place", heidi, sell("50200"));
      expect([first.status, day(first)]).toEqual([200, 1]);
      const refused = await client.signedCall("order.place", heidi, sell("50200.001"));
      expect([refused.status, refused.error?.code, day(refused)]).toEqual([400, -1013, 1]);
      const second = await client.signedCall("order.place", heidi, sell("50201"));
      expect([second.status, day(second)]).toEqual([200, 2]);
    } finally {
      await client.close();
    }
  });

  it("Connect: a refused PlaceOrder does not count; the next accepted one's headers go up by one", async () => {
    await seller("ivan@example.com");
    const { tokens } = await auth.signIn({ email: "ivan@example.com", password: "correct horse battery staple" });
    const order = createClient(
      OrderService,
      createConnectTransport({
        baseUrl: `${base}/connect`,
        interceptors: [
          (next) => (request) => {
            request.header.set("authorization", `Bearer ${tokens!.accessToken}`);
            return next(request);
          },
        ],
      }),
    );
    const place = (price: string) => ({ symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.001", price });
    let headers: Headers | undefined;
    await order.placeOrder(place("50300"), { onHeader: (h) => (headers = h) });
    expect(headers?.get("x-mbx-order-count-1d")).toBe("1");
    const refused = await order.placeOrder(place("50300.001")).then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
    expect(refused?.rawMessage).toBe("Filter failure: PRICE_FILTER");
    await order.placeOrder(place("50301"), { onHeader: (h) => (headers = h) });
    expect(headers?.get("x-mbx-order-count-1d")).toBe("2");
    expect((await order.listOpenOrders({ symbol: "BTCUSDT" })).orders).toHaveLength(2);
  });
});
