import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderStatus } from "#gen/exchange/common/v1/common_pb.js";
import { MatchingService, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// POST /api/v3/order/cancelReplace end to end: the whole exchange in one process, users with
// real HMAC keys, Binance's answers for every outcome (200; 409 -2021 and 400 -2022 with
// `data`), exact balances, retries, another user's order, and bad parameters that change nothing.
// A replacement needing the funds of the order it cancels is still one matching command: the
// cancel and the new order's acceptance share one batch of matching's events.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let auth: Client<typeof AuthService>;
let matching: Client<typeof MatchingService>;
let parts: WalletParts;

interface Key {
  readonly userId: string;
  readonly apiKey: string;
  sign(payload: string): string;
}
let erin: Key;
let frank: Key;

async function user(email: string, permissions = [Permission.READ, Permission.TRADE]): Promise<Key> {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions, label: "bot" }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
  return { userId, apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

let nonce = 0;
async function signed(method: string, path: string, key: Key, params: Record<string, string> = {}) {
  const body = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const full = `${body}&signature=${key.sign(body)}`;
  // GET in the query string, the rest in the form body, as clients send them.
  const response =
    method === "GET"
      ? await fetch(`${base}${path}?${full}`, { headers: { "X-MBX-APIKEY": key.apiKey } })
      : await fetch(`${base}${path}`, { method, headers: { "X-MBX-APIKEY": key.apiKey, "content-type": "application/x-www-form-urlencoded" }, body: full });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> & Record<number, unknown> };
}

async function usdt(key: Key) {
  const account = await signed("GET", "/api/v3/account", key);
  const balances = account.body.balances as { asset: string; free: string; locked: string }[];
  return balances.find((b) => b.asset === "USDT") ?? { asset: "USDT", free: "0", locked: "0" };
}

async function openOrders(key: Key) {
  return (await signed("GET", "/api/v3/openOrders", key, { symbol: "BTCUSDT" })).body as unknown as { orderId: number; clientOrderId: string }[];
}

const buy = (quantity: string, price: string, newClientOrderId: string) => ({ symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity, price, newClientOrderId });

async function balanceOf(key: Key, asset: string) {
  const account = await signed("GET", "/api/v3/account", key);
  const balances = account.body.balances as { asset: string; free: string; locked: string }[];
  return balances.find((b) => b.asset === asset) ?? { asset, free: "0", locked: "0" };
}

/** The batch of matching's events in which `orderId` was canceled (read from the start of the symbol's stream). */
async function cancelBatch(orderId: number): Promise<EventBatch> {
  const abort = new AbortController();
  try {
    for await (const { batch } of matching.streamEvents({ symbol: "BTCUSDT", fromSequence: 1n }, { signal: abort.signal })) {
      if (batch?.events.some((e) => e.kind.case === "orderUpdated" && Number(e.kind.value.orderId) === orderId && e.kind.value.status === OrderStatus.CANCELED)) return batch;
    }
    throw new Error(`no batch canceled ${orderId}`);
  } finally {
    abort.abort();
  }
}

const acceptedIn = (batch: EventBatch, orderId: number) => batch.events.some((e) => e.kind.case === "accepted" && Number(e.kind.value.orderId) === orderId);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-cancel-replace-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  matching = createClient(MatchingService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  erin = await user("erin@example.com");
  frank = await user("frank@example.com");
  // Exactly 3000 USDT: a replacement at 0.1 x 30000 only fits once the old hold is released.
  await parts.wallet.creditDeposit("cr-erin-usdt", erin.userId, "USDT", 3_000n * 10n ** 8n);
  await parts.wallet.creditDeposit("cr-frank-usdt", frank.userId, "USDT", 1_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** erin's order before and after the first replacement (the second stays open throughout). */
let oldId: number;
let newId: number;
/** frank's day count of orders once ALLOW_FAILURE placed one. */
let frankOrders: string;

describe("POST /api/v3/order/cancelReplace", () => {

  it("cancels and places: 200 with both answers, old hold released, new one taken, counted as an order", async () => {
    const old = await signed("POST", "/api/v3/order", erin, buy("0.1", "29000", "erin-old"));
    expect(old.status, JSON.stringify(old.body)).toBe(200);
    oldId = old.body.orderId as number;
    expect(await usdt(erin)).toMatchObject({ free: "100.00000000", locked: "2900.00000000" });

    const replaced = await signed("POST", "/api/v3/order/cancelReplace", erin, { ...buy("0.1", "30000", "erin-new"), cancelReplaceMode: "STOP_ON_FAILURE", cancelOrderId: String(oldId) });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    expect(replaced.headers.get("x-mbx-order-count-10s")).toBe("2");
    expect(replaced.body).toMatchObject({
      cancelResult: "SUCCESS",
      newOrderResult: "SUCCESS",
      cancelResponse: { symbol: "BTCUSDT", orderId: oldId, origClientOrderId: "erin-old", status: "CANCELED", price: "29000.00000000", origQty: "0.10000000", transactTime: expect.any(Number) },
      newOrderResponse: { symbol: "BTCUSDT", clientOrderId: "erin-new", status: "NEW", price: "30000.00000000", origQty: "0.10000000", fills: [] },
    });
    newId = (replaced.body.newOrderResponse as { orderId: number }).orderId;
    expect(newId).toBeGreaterThan(oldId);
    // 100 free was not enough: the old order's 2900 paid the rest, in the one command that canceled it.
    expect(acceptedIn(await cancelBatch(oldId), newId)).toBe(true);
    expect(await usdt(erin)).toMatchObject({ free: "0.00000000", locked: "3000.00000000" });
    expect((await openOrders(erin)).map((o) => o.orderId)).toEqual([newId]);
  });

  it("a retry with the same newClientOrderId answers the same orders and places nothing again", async () => {
    const retry = await signed("POST", "/api/v3/order/cancelReplace", erin, { ...buy("0.1", "30000", "erin-new"), cancelReplaceMode: "STOP_ON_FAILURE", cancelOrderId: String(oldId) });
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body).toMatchObject({ cancelResult: "SUCCESS", newOrderResult: "SUCCESS", cancelResponse: { orderId: oldId }, newOrderResponse: { orderId: newId, clientOrderId: "erin-new" } });
    const all = (await signed("GET", "/api/v3/allOrders", erin, { symbol: "BTCUSDT" })).body as unknown as unknown[];
    expect(all).toHaveLength(2);
    expect(await usdt(erin)).toMatchObject({ free: "0.00000000", locked: "3000.00000000" });
  });

  it("STOP_ON_FAILURE with a cancel that fails: 400 -2022 with data, nothing placed", async () => {
    const failed = await signed("POST", "/api/v3/order/cancelReplace", erin, { ...buy("0.001", "10000", "erin-stop"), cancelReplaceMode: "STOP_ON_FAILURE", cancelOrderId: "987654" });
    expect(failed).toMatchObject({
      status: 400,
      body: { code: -2022, msg: "Order cancel-replace failed.", data: { cancelResult: "FAILURE", newOrderResult: "NOT_ATTEMPTED", cancelResponse: { code: -2011, msg: "Unknown order sent." }, newOrderResponse: null } },
    });
    expect((await openOrders(erin)).map((o) => o.orderId)).toEqual([newId]);
  });

  it("another user's order answers exactly like an unknown one and stays open", async () => {
    const foreign = await signed("POST", "/api/v3/order/cancelReplace", frank, { ...buy("0.001", "10000", "frank-steal"), cancelReplaceMode: "STOP_ON_FAILURE", cancelOrderId: String(newId) });
    const unknown = await signed("POST", "/api/v3/order/cancelReplace", frank, { ...buy("0.001", "10000", "frank-steal"), cancelReplaceMode: "STOP_ON_FAILURE", cancelOrderId: "987654" });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toEqual(unknown.body);
    const byClientId = await signed("POST", "/api/v3/order/cancelReplace", frank, { ...buy("0.001", "10000", "frank-steal"), cancelReplaceMode: "STOP_ON_FAILURE", cancelOrigClientOrderId: "erin-new" });
    expect(byClientId.body).toEqual(unknown.body);
    expect((await openOrders(erin)).map((o) => o.orderId)).toEqual([newId]);
    expect(await openOrders(frank)).toEqual([]);
  });

  it("ALLOW_FAILURE places the new order although the cancel failed: 409 -2021, counted as an order", async () => {
    const before = ((await signed("GET", "/api/v3/rateLimit/order", frank, {})).body as unknown as { interval: string; count: number }[]).find((l) => l.interval === "DAY")!.count;
    const allowed = await signed("POST", "/api/v3/order/cancelReplace", frank, { ...buy("0.01", "20000", "frank-allow"), cancelReplaceMode: "ALLOW_FAILURE", cancelOrderId: "987654", newOrderRespType: "RESULT" });
    expect(allowed).toMatchObject({
      status: 409,
      body: {
        code: -2021,
        msg: "Order cancel-replace partially failed.",
        data: { cancelResult: "FAILURE", newOrderResult: "SUCCESS", cancelResponse: { code: -2011, msg: "Unknown order sent." }, newOrderResponse: { clientOrderId: "frank-allow", status: "NEW" } },
      },
    });
    expect(await usdt(frank)).toMatchObject({ free: "800.00000000", locked: "200.00000000" });
    frankOrders = String(before + 1);
    expect(allowed.headers.get("x-mbx-order-count-1d")).toBe(frankOrders);
  });

  it("a new order failing after a successful cancel: 409 -2021, the old order canceled and its hold released, not counted", async () => {
    const [open] = await openOrders(frank);
    const partial = await signed("POST", "/api/v3/order/cancelReplace", frank, { ...buy("1", "20000", "frank-too-big"), cancelReplaceMode: "STOP_ON_FAILURE", cancelOrderId: String(open!.orderId) });
    expect(partial).toMatchObject({
      status: 409,
      body: { code: -2021, data: { cancelResult: "SUCCESS", newOrderResult: "FAILURE", cancelResponse: { orderId: open!.orderId, status: "CANCELED" }, newOrderResponse: { code: -2010 } } },
    });
    expect(partial.headers.get("x-mbx-order-count-1d")).toBe(frankOrders);
    expect(await usdt(frank)).toMatchObject({ free: "1000.00000000", locked: "0.00000000" });
    expect(await openOrders(frank)).toEqual([]);
  });

  it("ALLOW_FAILURE with both halves failing: 400 -2022", async () => {
    const both = await signed("POST", "/api/v3/order/cancelReplace", frank, { ...buy("1", "20000", "frank-both"), cancelReplaceMode: "ALLOW_FAILURE", cancelOrderId: "987654" });
    expect(both).toMatchObject({ status: 400, body: { code: -2022, data: { cancelResult: "FAILURE", newOrderResult: "FAILURE", cancelResponse: { code: -2011 }, newOrderResponse: { code: -2010 } } } });
    expect(both.headers.get("x-mbx-order-count-1d")).toBe(frankOrders);
    expect(await usdt(frank)).toMatchObject({ free: "1000.00000000", locked: "0.00000000" });
  });

  it("the old order partly filled: what its hold has left pays the rest in one command; 200, balances exact", async () => {
    const gina = await user("gina@example.com");
    const hank = await user("hank@example.com");
    await parts.wallet.creditDeposit("cr-gina-usdt", gina.userId, "USDT", 3_200n * 10n ** 8n);
    await parts.wallet.creditDeposit("cr-hank-btc", hank.userId, "BTC", 10n ** 8n);
    // Above erin's bid, so hank's sells meet gina's orders only.
    const old = await signed("POST", "/api/v3/order", gina, buy("0.1", "31000", "gina-old"));
    const sold = await signed("POST", "/api/v3/order", hank, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.04", price: "31000" });
    expect(sold.body).toMatchObject({ status: "FILLED" });
    // 1240 paid, 1860 left in the old hold, 100 free; the replacement needs 1920.
    expect(await balanceOf(gina, "USDT")).toMatchObject({ free: "100.00000000", locked: "1860.00000000" });
    const replaced = await signed("POST", "/api/v3/order/cancelReplace", gina, {
      ...buy("0.06", "32000", "gina-new"),
      cancelReplaceMode: "STOP_ON_FAILURE",
      cancelRestrictions: "ONLY_PARTIALLY_FILLED",
      cancelOrderId: String(old.body.orderId),
    });
    expect(replaced.status, JSON.stringify(replaced.body)).toBe(200);
    expect(replaced.body).toMatchObject({
      cancelResult: "SUCCESS",
      newOrderResult: "SUCCESS",
      cancelResponse: { orderId: old.body.orderId, status: "CANCELED", executedQty: "0.04000000", cummulativeQuoteQty: "1240.00000000" },
      newOrderResponse: { clientOrderId: "gina-new", status: "NEW", origQty: "0.06000000" },
    });
    const giNew = (replaced.body.newOrderResponse as { orderId: number }).orderId;
    expect(acceptedIn(await cancelBatch(old.body.orderId as number), giNew)).toBe(true);
    expect(await balanceOf(gina, "USDT")).toMatchObject({ free: "40.00000000", locked: "1920.00000000" });
    expect(await balanceOf(gina, "BTC")).toMatchObject({ free: "0.03996000", locked: "0.00000000" });

    // Filled since: a replacement needing its funds cannot have them. STOP_ON_FAILURE attempts nothing; ALLOW_FAILURE
    // tries the new order on the free balance alone and fails it -2010. Nothing changes either way.
    const fill = await signed("POST", "/api/v3/order", hank, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.06", price: "32000" });
    expect(fill.body).toMatchObject({ status: "FILLED" });
    expect(await balanceOf(gina, "USDT")).toMatchObject({ free: "40.00000000", locked: "0.00000000" });
    const again = { ...buy("0.002", "31000", "gina-late"), cancelOrderId: String(giNew) };
    const stopped = await signed("POST", "/api/v3/order/cancelReplace", gina, { ...again, cancelReplaceMode: "STOP_ON_FAILURE" });
    expect(stopped).toMatchObject({ status: 400, body: { code: -2022, data: { cancelResult: "FAILURE", newOrderResult: "NOT_ATTEMPTED", newOrderResponse: null } } });
    const allowed = await signed("POST", "/api/v3/order/cancelReplace", gina, { ...again, cancelReplaceMode: "ALLOW_FAILURE" });
    expect(allowed).toMatchObject({
      status: 400,
      body: { code: -2022, data: { cancelResult: "FAILURE", newOrderResult: "FAILURE", cancelResponse: { code: -2011 }, newOrderResponse: { code: -2010 } } },
    });
    expect(await balanceOf(gina, "USDT")).toMatchObject({ free: "40.00000000", locked: "0.00000000" });
    expect(await balanceOf(gina, "BTC")).toMatchObject({ free: "0.09990000", locked: "0.00000000" });
    expect(await openOrders(gina)).toEqual([]);
  });

  it("bad parameters answer Binance's codes and change nothing", async () => {
    const valid = { ...buy("0.1", "29500", "erin-bad"), cancelReplaceMode: "STOP_ON_FAILURE", cancelOrderId: String(newId) };
    const { cancelReplaceMode: _mode, ...noMode } = valid;
    expect(await signed("POST", "/api/v3/order/cancelReplace", erin, noMode)).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await signed("POST", "/api/v3/order/cancelReplace", erin, { ...valid, cancelReplaceMode: "SOMETIMES" })).toMatchObject({ status: 400, body: { code: -1130 } });
    const { cancelOrderId: _id, ...noCancel } = valid;
    expect(await signed("POST", "/api/v3/order/cancelReplace", erin, noCancel)).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await signed("POST", "/api/v3/order/cancelReplace", erin, { ...valid, cancelRestrictions: "ONLY_OLD" })).toMatchObject({ status: 400, body: { code: -1130 } });
    expect(await signed("POST", "/api/v3/order/cancelReplace", erin, { ...valid, price: "29500.001" })).toMatchObject({ status: 400, body: { code: -1013 } });
    const { price: _price, ...noPrice } = valid;
    expect(await signed("POST", "/api/v3/order/cancelReplace", erin, noPrice)).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await signed("POST", "/api/v3/order/cancelReplace", erin, { ...valid, symbol: "NOPE1" })).toMatchObject({ status: 400, body: { code: -1121 } });
    expect((await openOrders(erin)).map((o) => o.orderId)).toEqual([newId]);
    expect(await usdt(erin)).toMatchObject({ free: "0.00000000", locked: "3000.00000000" });
  });

  it("cancelRestrictions ONLY_PARTIALLY_FILLED refuses to cancel a NEW order: -2022, the order stays", async () => {
    const restricted = await signed("POST", "/api/v3/order/cancelReplace", erin, {
      ...buy("0.1", "29500", "erin-restricted"),
      cancelReplaceMode: "STOP_ON_FAILURE",
      cancelOrderId: String(newId),
      cancelRestrictions: "ONLY_PARTIALLY_FILLED",
    });
    expect(restricted).toMatchObject({ status: 400, body: { code: -2022, data: { cancelResponse: { code: -2011, msg: "Order was not canceled due to cancel restrictions." }, newOrderResponse: null } } });
    expect((await openOrders(erin)).map((o) => o.orderId)).toEqual([newId]);
  });
});

describe("PUT /api/v3/order/amend/keepPriority", () => {
  it("lowers the quantity in place (weight 4, not counted as an order), frees the hold, and refuses bad requests", async () => {
    const placed = await signed("POST", "/api/v3/order", frank, buy("0.04", "20000", "frank-amend"));
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    const orderId = placed.body.orderId as number;
    expect(await usdt(frank)).toMatchObject({ free: "200.00000000", locked: "800.00000000" });

    const amended = await signed("PUT", "/api/v3/order/amend/keepPriority", frank, { symbol: "BTCUSDT", orderId: String(orderId), newQty: "0.01" });
    expect(amended.status, JSON.stringify(amended.body)).toBe(200);
    expect(amended.headers.get("x-mbx-order-count-10s")).toBeNull();
    expect(amended.body).toMatchObject({
      transactTime: expect.any(Number),
      executionId: expect.any(Number),
      amendedOrder: { symbol: "BTCUSDT", orderId, orderListId: -1, origClientOrderId: "frank-amend", clientOrderId: "frank-amend", price: "20000.00000000", qty: "0.01000000", executedQty: "0.00000000", status: "NEW", type: "LIMIT", side: "BUY" },
    });
    expect(await usdt(frank)).toMatchObject({ free: "800.00000000", locked: "200.00000000" });

    const amend = (params: Record<string, string>) => signed("PUT", "/api/v3/order/amend/keepPriority", frank, { symbol: "BTCUSDT", ...params });
    expect(await amend({ orderId: String(orderId) })).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await amend({ newQty: "0.005" })).toMatchObject({ status: 400, body: { code: -1102 } });
    expect(await amend({ orderId: String(orderId), newQty: "0.02" })).toMatchObject({ status: 400, body: { code: -1130 } });
    expect(await amend({ orderId: String(orderId), newQty: "0.005", newClientOrderId: "renamed" })).toMatchObject({ status: 400, body: { code: -1130 } });
    expect(await amend({ orderId: String(newId), newQty: "0.005" })).toMatchObject({ status: 400, body: { code: -2013 } });
    expect((await signed("GET", "/api/v3/order", erin, { symbol: "BTCUSDT", orderId: String(newId) })).body).toMatchObject({ origQty: "0.10000000", status: "NEW" });
    expect(await usdt(frank)).toMatchObject({ free: "800.00000000", locked: "200.00000000" });
  });
});
