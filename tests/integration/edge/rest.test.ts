import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { OverrideFeeTier } from "../../../services/wallet/src/domain/override-fee-tier.use-case.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { createEdgeModule, type EdgeModule } from "../../../edge/src/main.js";
import { ed25519Key, hmacKey, signUp, type Key } from "./api-keys.js";

// The public REST door end to end: the whole exchange in one process, the edge on the HTTP/1.1
// port, users signed up through auth with real API keys (HMAC-SHA256 and Ed25519), and every
// call over plain fetch with Binance's signing, as a trading bot or ccxt would send it.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let auth: Client<typeof AuthService>;
let parts: WalletParts;

let alice: Key & { userId: string };
let bob: Key & { userId: string };
let aliceReadOnly: Key;

let nonce = 0;
/** A signed call: parameters (plus timestamp) in the query string or in the form body, signature last. */
async function signed(method: string, path: string, key: Key, params: Record<string, string> = {}, options: { where?: "query" | "body"; timestamp?: number; signature?: string; url?: string } = {}) {
  // recvWindow varies a little so two identical calls in the same millisecond still sign differently.
  const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(options.timestamp ?? Date.now()) }).toString();
  const signature = options.signature ?? key.sign(query);
  const full = `${query}&signature=${signature}`;
  const where = options.where ?? "query";
  const response = await fetch(`${options.url ?? base}${path}${where === "query" ? `?${full}` : ""}`, {
    method,
    headers: { "X-MBX-APIKEY": key.apiKey, ...(where === "body" ? { "content-type": "application/x-www-form-urlencoded" } : {}) },
    body: where === "body" ? full : undefined,
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> & Record<number, unknown> };
}

async function get(path: string, url = base) {
  const response = await fetch(`${url}${path}`);
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;

  const a = await signUp(auth, "alice@example.com");
  alice = { userId: a.userId, ...(await hmacKey(auth, a.userId, a.headers, [Permission.READ, Permission.TRADE])) };
  aliceReadOnly = await hmacKey(auth, a.userId, a.headers, [Permission.READ]);
  const b = await signUp(auth, "bob@example.com");
  bob = { userId: b.userId, ...(await ed25519Key(auth, b.userId, b.headers, [Permission.READ, Permission.TRADE], true)) };
  await parts.wallet.creditDeposit("fund-alice-btc", alice.userId, "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("fund-bob-usdt", bob.userId, "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("public endpoints", () => {
  it("answers ping, time and exchangeInfo in Binance's shapes", async () => {
    expect(await get("/api/v3/ping")).toMatchObject({ status: 200, body: {} });
    const time = await get("/api/v3/time");
    expect(Math.abs((time.body.serverTime as number) - Date.now())).toBeLessThan(5_000);
    expect(time.headers.get("x-mbx-used-weight-1m")).toMatch(/^\d+$/);

    const info = await get("/api/v3/exchangeInfo?symbol=BTCUSDT");
    expect(info.status).toBe(200);
    const [btc] = info.body.symbols as Record<string, unknown>[];
    expect(btc).toMatchObject({ symbol: "BTCUSDT", status: "TRADING", baseAsset: "BTC", quoteAsset: "USDT", baseAssetPrecision: 8, quoteAssetPrecision: 8, icebergAllowed: expect.any(Boolean) });
    expect(btc.orderTypes).toEqual(expect.arrayContaining(["LIMIT", "MARKET", "LIMIT_MAKER"]));
    expect(btc.filters).toEqual(
      expect.arrayContaining([
        { filterType: "PRICE_FILTER", minPrice: expect.any(String), maxPrice: expect.any(String), tickSize: "0.01" },
        expect.objectContaining({ filterType: "LOT_SIZE", stepSize: "0.00001" }),
        expect.objectContaining({ filterType: "NOTIONAL", minNotional: "5" }),
      ]),
    );
    const all = await get("/api/v3/exchangeInfo");
    expect((all.body.symbols as unknown[]).length).toBeGreaterThanOrEqual(2);
    expect((await get("/api/v3/exchangeInfo?symbol=NOPE1")).body).toMatchObject({ code: -1121 });
  });

  it("answers unknown routes with 404 and leaves other paths to the rest of the server", async () => {
    const unknown = await get("/api/v3/nope");
    expect(unknown.status).toBe(404);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });

  it("refuses a depth request without symbol (-1102)", async () => {
    expect(await get("/api/v3/depth")).toMatchObject({ status: 400, body: { code: -1102 } });
  });
});

describe("trading over signed REST", () => {
  let sellId: number;

  it("rests a sell (HMAC, form body) and fills a crossing buy (Ed25519, query string)", async () => {
    const sell = await signed("POST", "/api/v3/order", alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.5", price: "30000", newClientOrderId: "alice-1", newOrderRespType: "RESULT" }, { where: "body" });
    expect(sell.status, JSON.stringify(sell.body)).toBe(200);
    expect(sell.body).toMatchObject({ symbol: "BTCUSDT", orderId: expect.any(Number), clientOrderId: "alice-1", status: "NEW", side: "SELL", type: "LIMIT", timeInForce: "GTC", price: "30000.00000000", origQty: "0.50000000", executedQty: "0.00000000", transactTime: expect.any(Number) });
    expect(sell.body.fills).toBeUndefined();
    expect(sell.headers.get("x-mbx-order-count-10s")).toBe("1");
    sellId = sell.body.orderId as number;

    const depth = await get("/api/v3/depth?symbol=BTCUSDT&limit=5");
    expect(depth.body).toMatchObject({ lastUpdateId: expect.any(Number), bids: [], asks: [["30000.00000000", "0.50000000"]] });

    // An accountId parameter is ignored: the account is the key's owner.
    const buy = await signed("POST", "/api/v3/order", bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.2", price: "30010", accountId: alice.userId });
    expect(buy.status, JSON.stringify(buy.body)).toBe(200);
    expect(buy.body).toMatchObject({ status: "FILLED", side: "BUY", executedQty: "0.20000000", cummulativeQuoteQty: "6000.00000000" });
    const fills = buy.body.fills as Record<string, unknown>[];
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ price: "30000.00000000", qty: "0.20000000", commissionAsset: "BTC", tradeId: expect.any(Number) });

    const after = await get("/api/v3/depth?symbol=BTCUSDT");
    expect(after.body.asks).toEqual([["30000.00000000", "0.30000000"]]);
  });

  it("queries the order, open orders, trades and the account of the caller only", async () => {
    const order = await signed("GET", "/api/v3/order", alice, { symbol: "BTCUSDT", orderId: String(sellId) });
    expect(order.body).toMatchObject({ orderId: sellId, status: "PARTIALLY_FILLED", executedQty: "0.20000000", isWorking: true, time: expect.any(Number) });
    const byClientId = await signed("GET", "/api/v3/order", alice, { symbol: "BTCUSDT", origClientOrderId: "alice-1" });
    expect(byClientId.body).toMatchObject({ orderId: sellId });

    const open = await signed("GET", "/api/v3/openOrders", alice, { symbol: "BTCUSDT" });
    expect((open.body as unknown as Record<string, unknown>[]).map((o) => o.orderId)).toEqual([sellId]);
    const bobOpen = await signed("GET", "/api/v3/openOrders", bob, {});
    expect(bobOpen.body).toEqual([]);

    const all = await signed("GET", "/api/v3/allOrders", bob, { symbol: "BTCUSDT" });
    expect((all.body as unknown as Record<string, unknown>[]).map((o) => o.status)).toEqual(["FILLED"]);

    const trades = await signed("GET", "/api/v3/myTrades", bob, { symbol: "BTCUSDT" });
    expect(trades.body).toEqual([expect.objectContaining({ symbol: "BTCUSDT", price: "30000.00000000", qty: "0.20000000", quoteQty: "6000.00000000", isBuyer: true, isMaker: false, commissionAsset: "BTC" })]);

    const account = await signed("GET", "/api/v3/account", bob, { accountId: alice.userId });
    expect(account.status).toBe(200);
    expect(account.body).toMatchObject({ canTrade: true, canWithdraw: false, accountType: "SPOT" });
    const balances = account.body.balances as { asset: string; free: string; locked: string }[];
    expect(balances.find((b) => b.asset === "USDT")).toEqual({ asset: "USDT", free: "94000.00000000", locked: "0.00000000" });
    expect(balances.find((b) => b.asset === "BTC")?.free).toMatch(/^0\.19\d{6}$/);
  });

  it("does not let one user read or cancel another's order (-2013)", async () => {
    const read = await signed("GET", "/api/v3/order", bob, { symbol: "BTCUSDT", orderId: String(sellId) });
    expect(read).toMatchObject({ status: 400, body: { code: -2013 } });
    const cancel = await signed("DELETE", "/api/v3/order", bob, { symbol: "BTCUSDT", orderId: String(sellId), accountId: alice.userId });
    expect(cancel).toMatchObject({ status: 400, body: { code: -2013 } });
  });

  it("cancels the caller's own order", async () => {
    const canceled = await signed("DELETE", "/api/v3/order", alice, { symbol: "BTCUSDT", orderId: String(sellId) });
    expect(canceled.status, JSON.stringify(canceled.body)).toBe(200);
    expect(canceled.body).toMatchObject({ orderId: sellId, origClientOrderId: "alice-1", status: "CANCELED", executedQty: "0.20000000" });
    const open = await signed("GET", "/api/v3/openOrders", alice, { symbol: "BTCUSDT" });
    expect(open.body).toEqual([]);
    const account = await signed("GET", "/api/v3/account", alice, { omitZeroBalances: "true" });
    expect((account.body.balances as { asset: string; locked: string }[]).find((b) => b.asset === "BTC")).toMatchObject({ free: "1.80000000", locked: "0.00000000" });
  });

  it("cancels all open orders of a symbol", async () => {
    for (const price of ["31000", "32000"]) {
      const placed = await signed("POST", "/api/v3/order", alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT_MAKER", quantity: "0.01", price });
      expect(placed.body).toMatchObject({ orderId: expect.any(Number), transactTime: expect.any(Number) });
      expect(placed.body.status).toBeUndefined(); // LIMIT_MAKER defaults to ACK
    }
    const canceled = await signed("DELETE", "/api/v3/openOrders", alice, { symbol: "BTCUSDT" });
    expect((canceled.body as unknown as Record<string, unknown>[]).map((o) => o.status)).toEqual(["CANCELED", "CANCELED"]);
  });

  it("buys at market by quote amount", async () => {
    await signed("POST", "/api/v3/order", alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "30000" });
    const market = await signed("POST", "/api/v3/order", bob, { symbol: "BTCUSDT", side: "BUY", type: "MARKET", quoteOrderQty: "3000" });
    expect(market.body).toMatchObject({ status: "FILLED", type: "MARKET", executedQty: "0.10000000", cummulativeQuoteQty: "3000.00000000" });
  });
});

describe("account commission", () => {
  it("reports the account's own fee tier's rates: tier 0 at 10 / 10 bps, a tier-3 account at 4 / 6 bps", async () => {
    const tier0 = await signed("GET", "/api/v3/account", alice);
    expect(tier0.body).toMatchObject({
      makerCommission: 10,
      takerCommission: 10,
      buyerCommission: 0,
      sellerCommission: 0,
      commissionRates: { maker: "0.00100000", taker: "0.00100000", buyer: "0.00000000", seller: "0.00000000" },
    });

    const c = await signUp(auth, "carol@example.com");
    const carol = await hmacKey(auth, c.userId, c.headers, [Permission.READ]);
    const wallet = exchange.modules.find((module) => module.name === "wallet") as unknown as { feeTiers: { overrides: OverrideFeeTier } };
    await wallet.feeTiers.overrides.set({ userId: "ops" }, c.userId, 3, "VIP deal");
    const tier3 = await signed("GET", "/api/v3/account", carol);
    expect(tier3.status).toBe(200);
    expect(tier3.body).toMatchObject({ makerCommission: 4, takerCommission: 6, commissionRates: { maker: "0.00040000", taker: "0.00060000", buyer: "0.00000000", seller: "0.00000000" } });
    expect(await parts.wallet.feeRates(c.userId)).toEqual({ tier: 3, makerBps: 4, takerBps: 6 });
  });
});

describe("refusals", () => {
  const order = { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "100" };

  it("bad signature: 401 -1022", async () => {
    const bad = await signed("GET", "/api/v3/account", alice, {}, { signature: "0".repeat(64) });
    expect(bad).toMatchObject({ status: 401, body: { code: -1022 } });
    const badEd = await signed("GET", "/api/v3/account", bob, {}, { signature: encodeURIComponent(Buffer.alloc(64).toString("base64")) });
    expect(badEd).toMatchObject({ status: 401, body: { code: -1022 } });
  });

  it("stale timestamp: 400 -1021", async () => {
    expect(await signed("GET", "/api/v3/account", alice, {}, { timestamp: Date.now() - 60_000 })).toMatchObject({ status: 400, body: { code: -1021 } });
  });

  it("replayed signature: rejected", async () => {
    const timestamp = Date.now();
    const query = new URLSearchParams({ symbol: "BTCUSDT", timestamp: String(timestamp) }).toString();
    const url = `${base}/api/v3/openOrders?${query}&signature=${alice.sign(query)}`;
    const first = await fetch(url, { headers: { "X-MBX-APIKEY": alice.apiKey } });
    expect(first.status).toBe(200);
    const again = await fetch(url, { headers: { "X-MBX-APIKEY": alice.apiKey } });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ code: -1022 });
  });

  it("missing API key -2014, missing signature -1102, missing permission -2015", async () => {
    const noKey = await fetch(`${base}/api/v3/account?timestamp=${Date.now()}&signature=00`);
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ code: -2014 });
    const noSignature = await fetch(`${base}/api/v3/account?timestamp=${Date.now()}`, { headers: { "X-MBX-APIKEY": alice.apiKey } });
    expect(await noSignature.json()).toMatchObject({ code: -1102 });
    const readOnly = await signed("POST", "/api/v3/order", aliceReadOnly, order);
    expect(readOnly.body).toMatchObject({ code: -2015 });
    expect(readOnly.status).toBe(401);
    expect((await signed("GET", "/api/v3/account", aliceReadOnly)).status).toBe(200);
  });

  it("malformed or filter-failing quantity: 400 -1102 / -1013; missing parameters -1102", async () => {
    expect(await signed("POST", "/api/v3/order", bob, { ...order, quantity: "abc" })).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await signed("POST", "/api/v3/order", bob, { ...order, quantity: "0.000001" })).toMatchObject({ status: 400, body: { code: -1013 } });
    const { price: _price, ...noPrice } = order;
    expect(await signed("POST", "/api/v3/order", bob, noPrice)).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await signed("POST", "/api/v3/order", bob, { ...order, side: "SIDEWAYS" })).toMatchObject({ status: 400, body: { code: -1117, msg: "Invalid side." } });
    expect(await signed("POST", "/api/v3/order", bob, { ...order, type: "STOP_MARKET" })).toMatchObject({ status: 400, body: { code: -1116, msg: "Invalid orderType." } });
    expect(await signed("POST", "/api/v3/order", bob, { ...order, timeInForce: "GTX" })).toMatchObject({ status: 400, body: { code: -1115, msg: "Invalid timeInForce." } });
    expect(await signed("POST", "/api/v3/order", bob, { ...order, newOrderRespType: "ALL" })).toMatchObject({ status: 400, body: { code: -1130 } });
    expect(await signed("POST", "/api/v3/order", bob, { ...order, newClientOrderId: "bad id!" })).toMatchObject({ status: 400, body: { code: -1100 } });
    expect(await signed("DELETE", "/api/v3/order", bob, { symbol: "BTCUSDT" })).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await signed("POST", "/api/v3/order", bob, { ...order, symbol: "NOPEUSDT" })).toMatchObject({ status: 400, body: { code: -1121 } });
  });
});

describe("rate limits", () => {
  let server: Server;
  let url: string;
  let edge: EdgeModule;

  beforeAll(async () => {
    // A second edge with tiny limits, beside the exchange, reaching it in-process.
    edge = createEdgeModule({ directory: { transport: () => inProcessTransport(exchange.routes) }, limits: { ipWeightPerMinute: 3, ordersPer10s: 1 } });
    server = createServer((request, response) => {
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
  });

  it("answers 429 -1003 with Retry-After once the IP's weight is used", async () => {
    for (let i = 1; i <= 3; i++) {
      const ok = await get("/api/v3/ping", url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get("x-mbx-used-weight-1m")).toBe(String(i));
    }
    const refused = await get("/api/v3/ping", url);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ code: -1003 });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get("retry-after"))).toBeLessThanOrEqual(60);
  });
});
