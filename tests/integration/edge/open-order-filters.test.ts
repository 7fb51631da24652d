import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// The per-account open-order filters through the REST edge, at Binance's default limits of the
// seeded symbols: MAX_NUM_ICEBERG_ORDERS (100) and MAX_NUM_ORDERS (200) refused with -1013 and
// Binance's bare "Filter failure: <FILTER>", and ICEBERG_PARTS (10). The order-rate limit is
// raised so that 200 orders fit in 10 s.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let auth: Client<typeof AuthService>;
let parts: WalletParts;

interface Key {
  readonly userId: string;
  readonly apiKey: string;
  sign(payload: string): string;
}

async function user(email: string): Promise<Key> {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "bot" }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
  return { userId, apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

let nonce = 0;
async function signed(method: string, path: string, key: Key, params: Record<string, string> = {}) {
  const body = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const full = `${body}&signature=${key.sign(body)}`;
  const response =
    method === "GET" || method === "DELETE"
      ? await fetch(`${base}${path}?${full}`, { method, headers: { "X-MBX-APIKEY": key.apiKey } })
      : await fetch(`${base}${path}`, { method, headers: { "X-MBX-APIKEY": key.apiKey, "content-type": "application/x-www-form-urlencoded" }, body: full });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Places `count` orders, 20 at a time; answers their HTTP statuses. */
async function placeMany(key: Key, count: number, params: (i: number) => Record<string, string>): Promise<number[]> {
  const statuses: number[] = [];
  for (let start = 0; start < count; start += 20) {
    const batch = Array.from({ length: Math.min(20, count - start) }, (_, j) => signed("POST", "/api/v3/order", key, { symbol: "BTCUSDT", newOrderRespType: "ACK", ...params(start + j) }));
    statuses.push(...(await Promise.all(batch)).map((answer) => answer.status));
  }
  return statuses;
}

const openCount = async (key: Key) => ((await signed("GET", "/api/v3/openOrders", key, { symbol: "BTCUSDT" })).body as unknown as unknown[]).length;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-open-order-filters-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", EDGE_ORDERS_PER_10S: "1000" },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("open-order filters over REST", () => {
  it("exchangeInfo reports ICEBERG_PARTS and Binance's PERCENT_PRICE_BY_SIDE band", async () => {
    const info = (await (await fetch(`${base}/api/v3/exchangeInfo?symbol=BTCUSDT`)).json()) as { symbols: { filters: unknown[] }[] };
    expect(info.symbols[0]!.filters).toEqual(
      expect.arrayContaining([
        { filterType: "ICEBERG_PARTS", limit: 10 },
        { filterType: "PERCENT_PRICE_BY_SIDE", bidMultiplierUp: "5", bidMultiplierDown: "0.2", askMultiplierUp: "5", askMultiplierDown: "0.2", avgPriceMins: 5 },
        { filterType: "MAX_NUM_ORDERS", maxNumOrders: 200 },
        { filterType: "MAX_NUM_ICEBERG_ORDERS", maxNumIcebergOrders: 100 },
      ]),
    );
  });

  it("an iceberg of more than 10 parts is refused with ICEBERG_PARTS, placing nothing", async () => {
    const key = await user("parts@example.com");
    await parts.wallet.creditDeposit("parts-usdt", key.userId, "USDT", 1_000n * 10n ** 8n);
    const iceberg = { side: "BUY", type: "LIMIT", timeInForce: "GTC", price: "29000", quantity: "0.002" };
    expect(await signed("POST", "/api/v3/order", key, { symbol: "BTCUSDT", ...iceberg, icebergQty: "0.00019" })).toEqual({ status: 400, body: { code: -1013, msg: "Filter failure: ICEBERG_PARTS" } });
    expect(await openCount(key)).toBe(0);
    const ten = await signed("POST", "/api/v3/order", key, { symbol: "BTCUSDT", ...iceberg, icebergQty: "0.0002" });
    expect(ten.status, JSON.stringify(ten.body)).toBe(200);
    expect(ten.body).toMatchObject({ icebergQty: "0.00020000" });
    await signed("DELETE", "/api/v3/openOrders", key, { symbol: "BTCUSDT" });
  });

  it("refuses the 101st open iceberg (MAX_NUM_ICEBERG_ORDERS) and the 201st open order (MAX_NUM_ORDERS) with -1013, changing nothing", async () => {
    const key = await user("many@example.com");
    await parts.wallet.creditDeposit("many-usdt", key.userId, "USDT", 10_000n * 10n ** 8n);
    const buy = (i: number) => ({ side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.0002", price: String(29000 - i) });
    const icebergs = await placeMany(key, 100, (i) => ({ ...buy(i), quantity: "0.0004", icebergQty: "0.0002" }));
    expect(icebergs.filter((status) => status === 200)).toHaveLength(100);

    const icebergTooMany = await signed("POST", "/api/v3/order", key, { symbol: "BTCUSDT", ...buy(500), quantity: "0.0004", icebergQty: "0.0002", newClientOrderId: "iceberg-101" });
    expect(icebergTooMany).toEqual({ status: 400, body: { code: -1013, msg: "Filter failure: MAX_NUM_ICEBERG_ORDERS" } });
    expect((await signed("GET", "/api/v3/order", key, { symbol: "BTCUSDT", origClientOrderId: "iceberg-101" })).body).toMatchObject({ code: -2013 });

    // A plain order is no iceberg: 100 more fit, up to 200 open orders.
    const plain = await placeMany(key, 100, (i) => buy(100 + i));
    expect(plain.filter((status) => status === 200)).toHaveLength(100);
    expect(await openCount(key)).toBe(200);
    const before = (await signed("GET", "/api/v3/account", key)).body.balances;

    const tooMany = await signed("POST", "/api/v3/order", key, { symbol: "BTCUSDT", ...buy(600), newClientOrderId: "order-201" });
    expect(tooMany).toEqual({ status: 400, body: { code: -1013, msg: "Filter failure: MAX_NUM_ORDERS" } });
    expect((await signed("GET", "/api/v3/order", key, { symbol: "BTCUSDT", origClientOrderId: "order-201" })).body).toMatchObject({ code: -2013 });
    expect(await openCount(key)).toBe(200);
    expect((await signed("GET", "/api/v3/account", key)).body.balances).toEqual(before);

    // Cancel one: there is room for one more.
    const open = (await signed("GET", "/api/v3/openOrders", key, { symbol: "BTCUSDT" })).body as unknown as { orderId: number }[];
    expect((await signed("DELETE", "/api/v3/order", key, { symbol: "BTCUSDT", orderId: String(open[0]!.orderId) })).body).toMatchObject({ status: "CANCELED" });
    expect((await signed("POST", "/api/v3/order", key, { symbol: "BTCUSDT", ...buy(600) })).status).toBe(200);
    await signed("DELETE", "/api/v3/openOrders", key, { symbol: "BTCUSDT" });
  });
});
