import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { until } from "../../support/until.js";

// POST /api/v3/order/cancelReplace over the order-rate limit (EDGE_ORDERS_PER_10S=2), Binance's
// orderRateLimitExceededMode: DO_NOTHING (the default) cancels nothing and answers the refusal (429 -1015);
// CANCEL_ONLY cancels anyway and answers 429 -2021 with the new order refused (-1015), or -2022
// when the cancel failed too (here: its cancelRestrictions).

type Msg = Record<string, unknown>;
let dataDir: string;
let exchange: RunningExchange;
let base: string;
let user: { apiKey: string; sign(payload: string): string };

let nonce = 0;
async function signed(method: string, path: string, params: Record<string, string>) {
  const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const response = await fetch(`${base}${path}?${query}&signature=${user.sign(query)}`, { method, headers: { "X-MBX-APIKEY": user.apiKey } });
  return { status: response.status, body: (await response.json()) as Msg };
}

const replace = (cancelOrderId: unknown, extra: Record<string, string>) =>
  signed("POST", "/api/v3/order/cancelReplace", {
    symbol: "BTCUSDT",
    cancelReplaceMode: "STOP_ON_FAILURE",
    cancelOrderId: String(cancelOrderId),
    side: "BUY",
    type: "LIMIT",
    timeInForce: "GTC",
    quantity: "0.001",
    price: "20001",
    ...extra,
  });

/**
 * Rests an order and uses up the order-rate window, then runs `request` while the window is still
 * full; a window that rolled over in between (the request was admitted) is tried again.
 */
async function overTheLimit(request: (orderId: unknown) => Promise<{ status: number; body: Msg }>) {
  const order = () => signed("POST", "/api/v3/order", { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "20000" });
  for (let attempt = 0; attempt < 5; attempt += 1) {
    // The order to replace, once the window has room (polled: the window is 10 s).
    let placed!: Awaited<ReturnType<typeof order>>;
    await until(async () => (placed = await order()).status !== 429, 15_000, 100);
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    const resting = placed.body.orderId;
    // Fill the window.
    while ((await order()).status !== 429);
    const answer = await request(resting);
    if (answer.status === 429) return { resting, answer };
  }
  throw new Error("the order-rate window never stayed full");
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-crl-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", EDGE_ORDERS_PER_10S: "2" },
  );
  base = exchange.listening.http1Url;
  const auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email: "crl@example.com", password });
  const { tokens } = await auth.signIn({ email: "crl@example.com", password });
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "crl" }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
  user = { apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
  await parts.wallet.creditDeposit("crl-usdt", userId, "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const statusOf = async (orderId: unknown) => (await signed("GET", "/api/v3/order", { symbol: "BTCUSDT", orderId: String(orderId) })).body.status;

describe("cancelReplace over the order-rate limit", () => {
  it("DO_NOTHING (the default): the refusal alone, the order left working", async () => {
    const { resting, answer } = await overTheLimit((orderId) => replace(orderId, {}));
    expect(answer.body).toEqual({ code: -1015, msg: "Too many new orders; current limit is 2 orders per TEN_SECONDS." });
    expect(answer.body.data).toBeUndefined();
    expect(await statusOf(resting)).toBe("NEW");
  });

  it("CANCEL_ONLY: cancels anyway, 429 -2021 with the new order refused (-1015)", async () => {
    const { resting, answer } = await overTheLimit((orderId) => replace(orderId, { orderRateLimitExceededMode: "CANCEL_ONLY", newClientOrderId: "never-placed" }));
    expect(answer.body).toMatchObject({
      code: -2021,
      msg: "Order cancel-replace partially failed.",
      data: { cancelResult: "SUCCESS", newOrderResult: "FAILURE", cancelResponse: { orderId: resting, status: "CANCELED" }, newOrderResponse: { code: -1015, msg: "Too many new orders; current limit is 2 orders per TEN_SECONDS." } },
    });
    expect(await statusOf(resting)).toBe("CANCELED");
    expect((await signed("GET", "/api/v3/order", { symbol: "BTCUSDT", origClientOrderId: "never-placed" })).body).toMatchObject({ code: -2013 });
  });

  it("CANCEL_ONLY with a restriction the order does not meet: 429 -2022, nothing canceled, nothing placed", async () => {
    const { resting, answer } = await overTheLimit((orderId) => replace(orderId, { orderRateLimitExceededMode: "CANCEL_ONLY", cancelRestrictions: "ONLY_PARTIALLY_FILLED" }));
    expect(answer.body).toMatchObject({
      code: -2022,
      data: { cancelResult: "FAILURE", newOrderResult: "NOT_ATTEMPTED", cancelResponse: { code: -2011, msg: "Order was not canceled due to cancel restrictions." }, newOrderResponse: null },
    });
    expect(await statusOf(resting)).toBe("NEW");
  });
});
