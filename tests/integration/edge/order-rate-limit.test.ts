import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { hmacKey, signUp, type Key } from "./api-keys.js";
import { WsApiClient } from "./ws-api-client.js";

// The ORDERS limit refused as Binance refuses it: 429 with -1015 "Too many new orders; current
// limit is <n> orders per <TEN_SECONDS|DAY>." and Retry-After, on REST and on the WebSocket API,
// while the request weight is far from its limit (that one stays -1003). The exchange allows two
// new orders per account per day: a window that does not roll during the test. (The public
// Connect API's refusal is in connect-public.test.ts and order-entry.test.ts.)

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
    // The order count refused it, not the request weight.
    expect(refused.headers.get("x-mbx-order-count-1d")).toBe("3");
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
          { rateLimitType: "ORDERS", interval: "DAY", intervalNum: 1, limit: ORDERS_PER_DAY, count: 3 },
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
