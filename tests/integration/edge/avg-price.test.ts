import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { formatUnits, parseUnits } from "#kit/money/decimal.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { until } from "../../support/until.js";
import { hmacKey, signUp, type Key } from "./api-keys.js";
import { StreamClient } from "./ws-client.js";

// NOTIONAL judges a MARKET order at Binance's average price (avgPriceMins 5 on the seeded symbols),
// the same figure /api/v3/avgPrice and @avgPrice report, not at the last trade: two trades put the
// last price at 34500 and the 5-minute average at 31250, and a MARKET SELL is refused one lot below
// the quantity whose notional at the reported average reaches minNotional, and taken at it.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let auth: Client<typeof AuthService>;
let parts: WalletParts;

async function trader(email: string): Promise<Key & { userId: string }> {
  const user = await signUp(auth, email);
  const key = await hmacKey(auth, user.userId, user.headers, [Permission.READ, Permission.TRADE]);
  await parts.wallet.creditDeposit(`${email}-usdt`, user.userId, "USDT", 100_000n * 10n ** 8n);
  await parts.wallet.creditDeposit(`${email}-btc`, user.userId, "BTC", 10n ** 8n);
  await parts.wallet.creditDeposit(`${email}-eth`, user.userId, "ETH", 10n ** 18n);
  return { userId: user.userId, ...key };
}

let nonce = 0;
async function signed(method: string, path: string, key: Key, params: Record<string, string>) {
  const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const response = await fetch(`${base}${path}?${query}&signature=${key.sign(query)}`, { method, headers: { "X-MBX-APIKEY": key.apiKey } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const get = async (path: string) => (await (await fetch(`${base}${path}`)).json()) as Record<string, unknown>;

/** The whole exchange on `dataDir` (again, after a stop: a restart). */
async function start(): Promise<void> {
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-avg-price-"));
  await start();
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("NOTIONAL of a MARKET order at the average price", () => {
  it("refuses and accepts exactly where the notional at /api/v3/avgPrice crosses minNotional, whatever the last price", async () => {
    const maker = await trader("avg-maker@example.com");
    const taker = await trader("avg-taker@example.com");
    const limit = { symbol: "BTCUSDT", type: "LIMIT", timeInForce: "GTC", quantity: "0.001" };
    for (const price of ["28000", "34500"]) {
      expect((await signed("POST", "/api/v3/order", maker, { ...limit, side: "SELL", price })).status).toBe(200);
      expect((await signed("POST", "/api/v3/order", taker, { ...limit, side: "BUY", price })).body).toMatchObject({ status: "FILLED" });
    }
    // (0.001 x 28000 + 0.001 x 34500) / 0.002 = 31250; the last price is 34500.
    const btc = ((await get("/api/v3/exchangeInfo?symbol=BTCUSDT")).symbols as { filters: Record<string, unknown>[] }[])[0]!.filters;
    expect(btc.find((f) => f.filterType === "NOTIONAL")).toMatchObject({ minNotional: "5", applyMinToMarket: true, avgPriceMins: 5 });
    await until(async () => (await get("/api/v3/avgPrice?symbol=BTCUSDT")).price === "31250.00000000");
    const average = await get("/api/v3/avgPrice?symbol=BTCUSDT");
    expect(average).toEqual({ mins: 5, price: "31250.00000000", closeTime: expect.any(Number) });
    expect((await get("/api/v3/ticker/price?symbol=BTCUSDT")).price).toBe("34500.00000000");

    // The stream reports the same figure.
    const stream = await StreamClient.open(`${base.replace(/^http/, "ws")}/ws/btcusdt@avgPrice`);
    try {
      // A resting bid for the sells to fill (within PERCENT_PRICE_BY_SIDE of the average); no trade.
      expect((await signed("POST", "/api/v3/order", maker, { ...limit, side: "BUY", price: "31000" })).status).toBe(200);

      // The smallest quantity on the lot grid (0.00001) whose notional at the reported average is at least 5 USDT.
      const step = parseUnits("0.00001", 8);
      const averageUnits = parseUnits(String(average.price), 8);
      const minNotional = parseUnits("5", 8) * 10n ** 8n;
      const lots = (minNotional + averageUnits * step - 1n) / (averageUnits * step);
      const enough = formatUnits(lots * step, 8);
      const short = formatUnits((lots - 1n) * step, 8);
      expect([short, enough]).toEqual(["0.00015000", "0.00016000"]); // 4.6875 and exactly 5.00000000 USDT
      // At the last price the short one would pass (0.00015 x 34500 = 5.175): the average refuses it.
      const refused = await signed("POST", "/api/v3/order", taker, { symbol: "BTCUSDT", side: "SELL", type: "MARKET", quantity: short });
      expect(refused).toEqual({ status: 400, body: { code: -1013, msg: "Filter failure: NOTIONAL" } });
      const taken = await signed("POST", "/api/v3/order", taker, { symbol: "BTCUSDT", side: "SELL", type: "MARKET", quantity: enough });
      expect(taken.body, JSON.stringify(taken.body)).toMatchObject({ status: "FILLED", executedQty: "0.00016000", cummulativeQuoteQty: "4.96000000" });

      // That trade (0.00016 at 31000) moves the average; REST and the stream agree on the new one.
      const after = "31231.48148148"; // (28 + 34.5 + 4.96) / 0.00216 = 31231.481481481...
      const event = await stream.next((m) => m.w === after);
      expect(event).toMatchObject({ e: "avgPrice", s: "BTCUSDT", i: "5m", w: after });
      await until(async () => (await get("/api/v3/avgPrice?symbol=BTCUSDT")).price === after);
      expect((await get("/api/v3/avgPrice?symbol=BTCUSDT")).closeTime).toBe(event.T);
    } finally {
      await stream.close();
    }
  });

  it("after a restart judges at the average of the trades before it, loaded from the store", async () => {
    const maker = await trader("eth-maker@example.com");
    const taker = await trader("eth-taker@example.com");
    const limit = { symbol: "ETHUSDT", type: "LIMIT", timeInForce: "GTC", quantity: "0.01" };
    for (const price of ["2000", "3000"]) {
      expect((await signed("POST", "/api/v3/order", maker, { ...limit, side: "SELL", price })).status).toBe(200);
      expect((await signed("POST", "/api/v3/order", taker, { ...limit, side: "BUY", price })).body).toMatchObject({ status: "FILLED" });
    }
    expect((await signed("POST", "/api/v3/order", maker, { ...limit, side: "BUY", price: "2500" })).status).toBe(200);
    await exchange.stop();
    await start();

    // Average 2500, last 3000 (step 0.0001 ETH): 0.0019 is 4.75 at the average, 5.70 at the last price; an empty
    // window (nothing loaded) would judge a sell at nothing and take it.
    await until(async () => (await get("/api/v3/avgPrice?symbol=ETHUSDT")).price === "2500.00000000");
    const sell = (quantity: string) => signed("POST", "/api/v3/order", taker, { symbol: "ETHUSDT", side: "SELL", type: "MARKET", quantity });
    expect(await sell("0.0019")).toEqual({ status: 400, body: { code: -1013, msg: "Filter failure: NOTIONAL" } });
    expect((await sell("0.0020")).body).toMatchObject({ status: "FILLED", executedQty: "0.002000000000000000", cummulativeQuoteQty: "5.00000000" });
  });
});
