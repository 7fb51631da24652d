import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// Places where a black-box run against the embedded edge found the REST door behaving
// unlike Binance: the whole exchange in one process, called over real HTTP as a client would.

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

async function trader(email: string): Promise<Key> {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const headers = { authorization: `Bearer ${tokens!.accessToken}` };
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "bot" }, { headers });
  return { userId, apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

let nonce = 0;
async function signed(method: string, path: string, key: Key, params: Record<string, string> = {}) {
  const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const response = await fetch(`${base}${path}?${query}&signature=${key.sign(query)}`, { method, headers: { "X-MBX-APIKEY": key.apiKey } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** The request went out on a connection an earlier request had used. */
  readonly reusedSocket: boolean;
}

/** One request through `agent` (node:http, as pooled clients such as ccxt's use it); `chunked` sends the body without a length. */
function send(agent: Agent, method: string, path: string, body?: Buffer, chunked = false): Promise<Answer> {
  const headers: Record<string, string> = body ? { "content-type": "application/x-www-form-urlencoded" } : {};
  if (body && !chunked) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${base}${path}`, { method, agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString("utf8"), reusedSocket: request.reusedSocket }));
      response.on("error", reject);
    });
    request.on("error", reject);
    for (let at = 0; body && chunked && at < body.length; at += 64 * 1024) request.write(body.subarray(at, at + 64 * 1024));
    request.end(chunked ? undefined : body);
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-conformance-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("a request body over 64 KiB", () => {
  it("is answered 413 with a JSON error, and the kept-alive connection serves the next request", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await send(agent, "GET", "/api/v3/ping")).status).toBe(200);
      for (let round = 0; round < 6; round++) {
        // 65 KiB .. 600 KiB: just over the limit up to several times it.
        const size = 65 * 1024 + round * 107 * 1024;
        const big = await send(agent, "POST", "/api/v3/order", Buffer.from(`symbol=BTCUSDT&pad=${"x".repeat(size)}`));
        expect(big.status).toBe(413);
        expect(big.headers["content-type"]).toMatch(/^application\/json/);
        expect(JSON.parse(big.body)).toEqual({ code: -1130, msg: expect.stringContaining("too large") });
        expect(big.reusedSocket).toBe(true);
        const next = await send(agent, "GET", "/api/v3/ping");
        expect(next).toMatchObject({ status: 200, body: "{}", reusedSocket: true });
      }
    } finally {
      agent.destroy();
    }
  });

  it("past what the edge drains, closes the connection cleanly so the pool opens a new one", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const chunked of [false, true]) {
        const huge = await send(agent, "POST", "/api/v3/order", Buffer.alloc(4 * 1024 * 1024, "x"), chunked);
        expect(huge.status).toBe(413);
        expect(huge.headers.connection).toBe("close");
        expect(JSON.parse(huge.body)).toMatchObject({ code: -1130 });
        const next = await send(agent, "GET", "/api/v3/ping");
        expect(next).toMatchObject({ status: 200, body: "{}", reusedSocket: false });
      }
    } finally {
      agent.destroy();
    }
  });
});

describe("MIN_NOTIONAL of a market order", () => {
  it("judges a MARKET SELL at the last price when the ask side is empty, and refuses dust with -1013", async () => {
    const buyer = await trader("notional-buyer@example.com");
    const seller = await trader("notional-seller@example.com");
    await parts.wallet.creditDeposit("notional-buyer-usdt", buyer.userId, "USDT", 10_000n * 10n ** 8n);
    await parts.wallet.creditDeposit("notional-seller-btc", seller.userId, "BTC", 10n ** 8n);
    const limit = { symbol: "BTCUSDT", type: "LIMIT", timeInForce: "GTC" };
    // A trade at 30000 sets the last price; then only a bid at 6000 (the lowest PERCENT_PRICE_BY_SIDE allows, 0.2 x)
    // remains, and no ask.
    expect((await signed("POST", "/api/v3/order", buyer, { ...limit, side: "BUY", quantity: "0.001", price: "30000" })).status).toBe(200);
    expect((await signed("POST", "/api/v3/order", seller, { ...limit, side: "SELL", quantity: "0.001", price: "30000" })).body).toMatchObject({ status: "FILLED" });
    expect((await signed("POST", "/api/v3/order", buyer, { ...limit, side: "BUY", quantity: "1", price: "6000" })).status).toBe(200);
    const book = (await (await fetch(`${base}/api/v3/depth?symbol=BTCUSDT`)).json()) as { bids: string[][]; asks: string[][] };
    expect(book).toMatchObject({ bids: [["6000.00000000", "1.00000000"]], asks: [] });

    // 0.00001 BTC x 30000 = 0.30 USDT: dust, like the same sell as a LIMIT at the bid.
    const dust = await signed("POST", "/api/v3/order", seller, { symbol: "BTCUSDT", side: "SELL", type: "MARKET", quantity: "0.00001" });
    expect(dust).toMatchObject({ status: 400, body: { code: -1013 } });
    expect(await signed("POST", "/api/v3/order", seller, { ...limit, side: "SELL", quantity: "0.00001", price: "6000" })).toMatchObject({ status: 400, body: { code: -1013 } });
    // 0.0002 BTC x 30000 = 6 USDT passes the filter and trades at the bid, as on Binance.
    const enough = await signed("POST", "/api/v3/order", seller, { symbol: "BTCUSDT", side: "SELL", type: "MARKET", quantity: "0.0002" });
    expect(enough.body, JSON.stringify(enough.body)).toMatchObject({ status: "FILLED", executedQty: "0.00020000", cummulativeQuoteQty: "1.20000000" });
  });
});

describe("a MARKET BUY by quoteOrderQty", () => {
  it("is FILLED when what it could not spend is less than one lot at the best ask", async () => {
    const maker = await trader("quote-maker@example.com");
    const taker = await trader("quote-taker@example.com");
    await parts.wallet.creditDeposit("quote-maker-btc", maker.userId, "BTC", 10n ** 8n);
    await parts.wallet.creditDeposit("quote-taker-usdt", taker.userId, "USDT", 1_000n * 10n ** 8n);
    await signed("DELETE", "/api/v3/openOrders", maker, { symbol: "BTCUSDT" }); // a book of this test's making
    const ask = await signed("POST", "/api/v3/order", maker, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "30000" });
    expect(ask.status, JSON.stringify(ask.body)).toBe(200);
    const book = (await (await fetch(`${base}/api/v3/depth?symbol=BTCUSDT&limit=1`)).json()) as { asks: string[][] };
    expect(book.asks).toEqual([["30000.00000000", "0.01000000"]]);

    // 40 USDT buys 0.00133 BTC (39.90); the 0.10 left is less than one lot (0.00001 x 30000 = 0.30).
    const buy = await signed("POST", "/api/v3/order", taker, { symbol: "BTCUSDT", side: "BUY", type: "MARKET", quoteOrderQty: "40" });
    expect(buy.body, JSON.stringify(buy.body)).toMatchObject({ status: "FILLED", executedQty: "0.00133000", cummulativeQuoteQty: "39.90000000" });
    const stored = await signed("GET", "/api/v3/order", taker, { symbol: "BTCUSDT", orderId: String(buy.body.orderId) });
    expect(stored.body).toMatchObject({ status: "FILLED", executedQty: "0.00133000", isWorking: false });
    // Nothing of the 40 stays held: the unspent 0.10 is free again.
    const account = await signed("GET", "/api/v3/account", taker);
    expect((account.body.balances as { asset: string; free: string; locked: string }[]).find((b) => b.asset === "USDT")).toEqual({ asset: "USDT", free: "960.10000000", locked: "0.00000000" });
  });
});

describe("an order the account cannot pay for", () => {
  it("is refused with Binance's -2010 message, naming no account and no internal units", async () => {
    const broke = await trader("broke@example.com");
    const refused = await signed("POST", "/api/v3/order", broke, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "55000" });
    expect(refused).toEqual({ status: 400, body: { code: -2010, msg: "Account has insufficient balance for requested action." } });
    const sell = await signed("POST", "/api/v3/order", broke, { symbol: "BTCUSDT", side: "SELL", type: "MARKET", quantity: "0.01" });
    expect(sell).toEqual({ status: 400, body: { code: -2010, msg: "Account has insufficient balance for requested action." } });
  });
});
