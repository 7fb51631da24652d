import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ccxt from "ccxt";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { signUp } from "./api-keys.js";

// ccxt pro's binance class, unmodified but for its URLs, against the embedded exchange: its watch
// methods open /ws/<n> and then send SUBSCRIBE frames, as they do against Binance.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let auth: Client<typeof AuthService>;
let parts: WalletParts;

/** Every URL of ccxt's binance pointed at the edge: https://host/x -> base/x, wss://host/x -> ws base/x. */
function localUrls(api: unknown, http: string, ws: string): unknown {
  if (typeof api === "string") return api.replace(/^https:\/\/[^/]+/, http).replace(/^wss:\/\/[^/]+/, ws);
  if (api && typeof api === "object") return Object.fromEntries(Object.entries(api).map(([key, value]) => [key, localUrls(value, http, ws)]));
  return api;
}

type ProBinance = InstanceType<typeof ccxt.pro.binance>;

/** The options docs/edge.md names for a spot-only exchange. */
const SPOT_ONLY = { fetchMarkets: { types: ["spot"] }, fetchCurrencies: false, fetchMargins: false };

function client(credentials: { apiKey: string; secret: string } | undefined = undefined, options: Record<string, unknown> = SPOT_ONLY): ProBinance {
  const template = new ccxt.pro.binance();
  return new ccxt.pro.binance({
    ...credentials,
    urls: { ...template.urls, api: localUrls(template.urls.api, base, base.replace(/^http/, "ws")) },
    options,
  });
}

/** A user funded with `units` of `asset`, as a ccxt client holding its HMAC key. */
async function trader(email: string, asset: string, units: bigint, options: Record<string, unknown> = SPOT_ONLY): Promise<ProBinance> {
  const { userId, headers } = await signUp(auth, email);
  await parts.wallet.creditDeposit(`${email}-${asset}`, userId, asset, units);
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "ccxt" }, { headers });
  return client({ apiKey: key!.apiKey, secret }, options);
}

/** Resolves with `promise`'s value, or undefined while it is pending. */
function settled<T>(promise: Promise<T>): () => T | undefined {
  let value: T | undefined;
  let failure: unknown;
  promise.then(
    (v) => (value = v),
    (error: unknown) => (failure = error ?? new Error("rejected")),
  );
  return () => {
    if (failure) throw failure instanceof Error ? failure : new Error(String(failure));
    return value;
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-ccxt-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", EDGE_WS_BOOK_TICKER_POLL_MS: "50" },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("ccxt pro against the edge", () => {
  it("watchOrderBook, watchTrades, watchTicker and watchOHLCV each receive and parse updates", async () => {
    const watcher = client();
    const seller = await trader("ccxt-seller@example.com", "BTC", 1n * 10n ** 8n);
    const buyer = await trader("ccxt-buyer@example.com", "USDT", 100_000n * 10n ** 8n);
    try {
      for (const c of [watcher, seller, buyer]) await c.loadHttpProxyAgent(); // ccxt asks for it before it opens a ws:// (not wss://) URL
      await watcher.loadMarkets();
      const book = settled(watcher.watchOrderBook("BTC/USDT"));
      const trades = settled(watcher.watchTrades("BTC/USDT"));
      const ticker = settled(watcher.watchTicker("BTC/USDT"));
      const candles = settled(watcher.watchOHLCV("BTC/USDT", "1m"));
      // Orders until every watch has had its first update: a resting bid (a book change) and a
      // sell into it (a trade, a kline, a ticker). The watches subscribed a moment ago.
      const started = Date.now();
      let round = 0;
      while (!(book() && trades() && ticker() && candles())) {
        expect(Date.now() - started, "every watch method had an update").toBeLessThan(20_000);
        round += 1;
        await buyer.createOrder("BTC/USDT", "limit", "buy", 0.01, 30_000 - round);
        await seller.createOrder("BTC/USDT", "market", "sell", 0.001);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(book()!.symbol).toBe("BTC/USDT");
      expect(book()!.bids[0]).toEqual([expect.any(Number), expect.any(Number)]);
      expect(book()!.bids[0]![0]).toBeGreaterThan(29_000);
      expect(trades()![0]).toMatchObject({ symbol: "BTC/USDT", side: "sell", amount: 0.001, price: expect.any(Number) });
      expect(ticker()).toMatchObject({ symbol: "BTC/USDT", last: expect.any(Number) });
      expect(ticker()!.last).toBeGreaterThan(29_000);
      const [time, open, high, low, close, volume] = candles()!.at(-1)!;
      expect(time! % 60_000).toBe(0);
      expect([open, high, low, close].every((price) => (price as number) > 29_000)).toBe(true);
      expect(volume).toBeGreaterThan(0);
      // Later updates keep coming on the same connection.
      const next = settled(watcher.watchTrades("BTC/USDT"));
      while (!next()) {
        expect(Date.now() - started).toBeLessThan(20_000);
        await seller.createOrder("BTC/USDT", "market", "sell", 0.001);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(next()!.at(-1)).toMatchObject({ symbol: "BTC/USDT", amount: 0.001 });
    } finally {
      await Promise.all([watcher.close(), seller.close(), buyer.close()]);
    }
  });

  it("loads markets with fetchCurrencies on: currencies and networks, trading fees and status come from /sapi", async () => {
    const holder = await trader("ccxt-currencies@example.com", "BTC", 3n * 10n ** 7n, { fetchMarkets: { types: ["spot"] }, fetchMargins: false });
    try {
      await holder.loadMarkets();
      const btc = holder.currencies["BTC"]!;
      expect(btc).toMatchObject({ code: "BTC", deposit: true, withdraw: true });
      expect(Object.keys(btc.networks).length).toBeGreaterThan(0);
      const fees = await holder.fetchTradingFees();
      expect(fees["BTC/USDT"]).toMatchObject({ symbol: "BTC/USDT", maker: 0.001, taker: 0.001 }); // tier 0: 10 bps each
      expect(await holder.fetchStatus()).toMatchObject({ status: "ok" });
      const balance = await holder.fetchBalance();
      expect(balance["BTC"]).toMatchObject({ free: 0.3 });
    } finally {
      await holder.close();
    }
  });
});
