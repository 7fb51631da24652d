import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { OrderModule } from "../../../services/order/src/main.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { until } from "../../support/until.js";
import { StreamClient, type Msg } from "./ws-client.js";

// Order lists through the REST edge with Binance's wire format (HMAC-signed form bodies):
// orderList/oco, the deprecated order/oco, orderList/oto and /otoco, DELETE and GET orderList,
// allOrderList, openOrderList; Binance's answers and error codes; exact balances.

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
let gina: Key;
let hank: Key;

async function user(email: string): Promise<Key> {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "bot" }, { headers: { authorization: `Bearer ${tokens!.accessToken}` } });
  return { userId, apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

/** Binance's JSON answers, as far as these tests read them (lists answer arrays, read through casts). */
interface Answer {
  [field: string]: unknown;
  code?: number;
  status?: string;
  orderListId?: number;
  contingencyType?: string;
  orderReports?: Record<string, unknown>[];
  orders?: { orderId: number }[];
}

let nonce = 0;
async function signed(method: string, path: string, key: Key, params: Record<string, string> = {}) {
  const body = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const full = `${body}&signature=${key.sign(body)}`;
  const response =
    method === "GET" || method === "DELETE"
      ? await fetch(`${base}${path}?${full}`, { method, headers: { "X-MBX-APIKEY": key.apiKey } })
      : await fetch(`${base}${path}`, { method, headers: { "X-MBX-APIKEY": key.apiKey, "content-type": "application/x-www-form-urlencoded" }, body: full });
  return { status: response.status, body: (await response.json()) as Answer, headers: response.headers };
}

/** The user's data stream (/ws/<listenKey>), once the order service holds its subscription. */
async function userStream(key: Key): Promise<StreamClient> {
  const order = exchange.modules.find((module) => module.name === "order") as OrderModule;
  const before = order.updates.subscribers(key.userId);
  const { listenKey } = (await (await fetch(`${base}/api/v3/userDataStream`, { method: "POST", headers: { "X-MBX-APIKEY": key.apiKey } })).json()) as { listenKey: string };
  const client = await StreamClient.open(`${base.replace(/^http/, "ws")}/ws/${listenKey}`);
  await until(() => order.updates.subscribers(key.userId) > before);
  return client;
}

async function balance(key: Key, asset: string) {
  const account = await signed("GET", "/api/v3/account", key);
  const balances = account.body.balances as { asset: string; free: string; locked: string }[];
  return balances.find((b) => b.asset === asset) ?? { asset, free: "0", locked: "0" };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-order-lists-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  gina = await user("gina@example.com");
  hank = await user("hank@example.com");
  await parts.wallet.creditDeposit("ol-gina-btc", gina.userId, "BTC", 1n * 10n ** 8n);
  await parts.wallet.creditDeposit("ol-gina-usdt", gina.userId, "USDT", 10_000n * 10n ** 8n);
  await parts.wallet.creditDeposit("ol-hank-btc", hank.userId, "BTC", 1n * 10n ** 8n);
  await parts.wallet.creditDeposit("ol-hank-usdt", hank.userId, "USDT", 50_000n * 10n ** 8n);
  // a last price of 30000
  await signed("POST", "/api/v3/order", hank, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "30000" });
  await signed("POST", "/api/v3/order", gina, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "30000" });
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const oco = (extra: Record<string, string> = {}) => ({
  symbol: "BTCUSDT",
  side: "SELL",
  quantity: "0.1",
  aboveType: "LIMIT_MAKER",
  abovePrice: "31000",
  belowType: "STOP_LOSS_LIMIT",
  belowStopPrice: "29000",
  belowPrice: "28900",
  belowTimeInForce: "GTC",
  ...extra,
});

describe("order lists over REST", () => {
  it("exchangeInfo allows OCO and OTO", async () => {
    const info = await fetch(`${base}/api/v3/exchangeInfo?symbol=BTCUSDT`).then((r) => r.json() as Promise<{ symbols: Record<string, unknown>[] }>);
    expect(info.symbols[0]).toMatchObject({ ocoAllowed: true, otoAllowed: true });
  });

  it("POST orderList/oco answers Binance's list, holds once, and a fill of the maker leg expires the stop leg", async () => {
    const placed = await signed("POST", "/api/v3/orderList/oco", gina, oco({ listClientOrderId: "gina-oco-1", aboveClientOrderId: "gina-above", belowClientOrderId: "gina-below" }));
    expect(placed.status).toBe(200);
    expect(placed.body).toMatchObject({
      contingencyType: "OCO",
      listStatusType: "EXEC_STARTED",
      listOrderStatus: "EXECUTING",
      listClientOrderId: "gina-oco-1",
      symbol: "BTCUSDT",
      orders: [
        { symbol: "BTCUSDT", clientOrderId: "gina-above" },
        { symbol: "BTCUSDT", clientOrderId: "gina-below" },
      ],
    });
    const listId = placed.body.orderListId as number;
    expect(placed.body.orderReports).toHaveLength(2);
    expect(placed.body.orderReports?.[0]).toMatchObject({ orderListId: listId, type: "LIMIT_MAKER", status: "NEW", price: "31000.00000000", origQty: "0.10000000" });
    expect(placed.body.orderReports?.[1]).toMatchObject({ orderListId: listId, type: "STOP_LOSS_LIMIT", status: "NEW", stopPrice: "29000.00000000" });
    expect(await balance(gina, "BTC")).toMatchObject({ locked: "0.10000000" });

    const taker = await signed("POST", "/api/v3/order", hank, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "IOC", quantity: "0.04", price: "31000" });
    expect(taker.body.status).toBe("FILLED");
    const query = await signed("GET", "/api/v3/orderList", gina, { orderListId: String(listId) });
    expect(query.body).toMatchObject({ orderListId: listId, listStatusType: "EXEC_STARTED", listOrderStatus: "EXECUTING" });
    expect(query.body.orderReports).toBeUndefined();
    const above = await signed("GET", "/api/v3/order", gina, { symbol: "BTCUSDT", origClientOrderId: "gina-above" });
    const below = await signed("GET", "/api/v3/order", gina, { symbol: "BTCUSDT", origClientOrderId: "gina-below" });
    expect([above.body.status, below.body.status]).toEqual(["PARTIALLY_FILLED", "EXPIRED"]);
    expect(above.body.orderListId).toBe(listId);
    expect(await balance(gina, "BTC")).toMatchObject({ locked: "0.06000000" });

    const open = await signed("GET", "/api/v3/openOrderList", gina);
    expect(open.body).toEqual([expect.objectContaining({ orderListId: listId })]);
    const canceled = await signed("DELETE", "/api/v3/orderList", gina, { symbol: "BTCUSDT", listClientOrderId: "gina-oco-1" });
    expect(canceled.status).toBe(200);
    expect(canceled.body).toMatchObject({ orderListId: listId, listStatusType: "ALL_DONE", listOrderStatus: "ALL_DONE" });
    expect((canceled.body.orderReports as { status: string }[]).map((r) => r.status)).toEqual(["CANCELED", "EXPIRED"]);
    expect(await balance(gina, "BTC")).toMatchObject({ free: "0.96099900", locked: "0.00000000" });
    expect((await signed("GET", "/api/v3/openOrderList", gina)).body).toEqual([]);
    const again = await signed("DELETE", "/api/v3/orderList", gina, { symbol: "BTCUSDT", orderListId: String(listId) });
    expect(again.status).toBe(400);
    expect(again.body.code).toBe(-2011);
  });

  it("the deprecated order/oco places the same pair (limit above for a sell)", async () => {
    const placed = await signed("POST", "/api/v3/order/oco", gina, { symbol: "BTCUSDT", side: "SELL", quantity: "0.05", price: "32000", stopPrice: "28000", stopLimitPrice: "27900", stopLimitTimeInForce: "GTC" });
    expect(placed.status).toBe(200);
    expect((placed.body.orderReports as { type: string }[]).map((r) => r.type)).toEqual(["LIMIT_MAKER", "STOP_LOSS_LIMIT"]);
    await signed("DELETE", "/api/v3/orderList", gina, { symbol: "BTCUSDT", orderListId: String(placed.body.orderListId) });
  });

  it("OTO and OTOCO: pending orders wait, then go on the book when the working order fills", async () => {
    const oto = await signed("POST", "/api/v3/orderList/oto", gina, {
      symbol: "BTCUSDT",
      workingType: "LIMIT",
      workingSide: "BUY",
      workingPrice: "29900",
      workingQuantity: "0.02",
      workingTimeInForce: "GTC",
      pendingType: "LIMIT_MAKER",
      pendingSide: "SELL",
      pendingPrice: "31500",
      pendingQuantity: "0.02",
    });
    expect(oto.status).toBe(200);
    expect((oto.body.orderReports as { status: string }[]).map((r) => r.status)).toEqual(["NEW", "PENDING_NEW"]);
    const otoco = await signed("POST", "/api/v3/orderList/otoco", gina, {
      symbol: "BTCUSDT",
      workingType: "LIMIT",
      workingSide: "BUY",
      workingPrice: "29900",
      workingQuantity: "0.02",
      workingTimeInForce: "GTC",
      pendingSide: "SELL",
      pendingQuantity: "0.02",
      pendingAboveType: "LIMIT_MAKER",
      pendingAbovePrice: "31600",
      pendingBelowType: "STOP_LOSS",
      pendingBelowStopPrice: "28500",
    });
    expect(otoco.status).toBe(200);
    expect(otoco.body.contingencyType).toBe("OTOCO");
    expect((otoco.body.orderReports as { status: string }[]).map((r) => r.status)).toEqual(["NEW", "PENDING_NEW", "PENDING_NEW"]);
    await signed("POST", "/api/v3/order", hank, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "IOC", quantity: "0.04", price: "29900" });
    const after = await signed("GET", "/api/v3/orderList", gina, { orderListId: String(otoco.body.orderListId) });
    const statuses = () =>
      Promise.all((after.body.orders as { orderId: number }[]).map(async (o) => (await signed("GET", "/api/v3/order", gina, { symbol: "BTCUSDT", orderId: String(o.orderId) })).body.status));
    // placed once their funds are held, right after the fill
    await until(async () => !(await statuses()).includes("PENDING_NEW"));
    expect(await statuses()).toEqual(["FILLED", "NEW", "NEW"]);
    const all = await signed("GET", "/api/v3/allOrderList", gina);
    expect((all.body as unknown as { contingencyType: string }[]).map((l) => l.contingencyType)).toEqual(["OCO", "OCO", "OTO", "OTOCO"]);
    const open = await signed("GET", "/api/v3/openOrderList", gina);
    expect((open.body as unknown as { orderListId: number }[]).map((l) => l.orderListId)).toEqual([oto.body.orderListId, otoco.body.orderListId]);
    for (const list of open.body as unknown as { orderListId: number }[]) await signed("DELETE", "/api/v3/orderList", gina, { symbol: "BTCUSDT", orderListId: String(list.orderListId) });
    expect(await balance(gina, "BTC")).toMatchObject({ locked: "0.00000000" });
    expect(await balance(gina, "USDT")).toMatchObject({ locked: "0.00000000" });
  });

  describe("an OTO's pending order is funded once its working order fills, as on Binance", () => {
    /** A user with 1000 USDT and no BTC, and their user data stream. */
    const fresh = async (email: string) => {
      const key = await user(email);
      await parts.wallet.creditDeposit(`ol-${email}-usdt`, key.userId, "USDT", 1_000n * 10n ** 8n);
      return { key, stream: await userStream(key) };
    };
    /** Buys 0.02 BTC at 29950, then sells what the pending order says: funded from the BTC bought. */
    const buyThenSell = (key: Key, pendingQuantity: string) =>
      signed("POST", "/api/v3/orderList/oto", key, {
        symbol: "BTCUSDT",
        workingType: "LIMIT",
        workingSide: "BUY",
        workingPrice: "29950",
        workingQuantity: "0.02",
        workingTimeInForce: "GTC",
        pendingType: "LIMIT_MAKER",
        pendingSide: "SELL",
        pendingPrice: "31500",
        pendingQuantity,
      });
    /** hank sells into the working order: 0.02 at 29950 (the only bid there). */
    const fill = async () => {
      const sold = await signed("POST", "/api/v3/order", hank, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "IOC", quantity: "0.02", price: "29950" });
      expect(sold.body).toMatchObject({ status: "FILLED", executedQty: "0.02000000" });
    };
    /** The list's events on the stream (executionReport x/X/i, eR when sent; listStatus l/L), up to one matching `last`. */
    const listEvents = async (stream: StreamClient, listId: number, last: (m: Msg) => boolean) => {
      const seen: string[] = [];
      for (;;) {
        const m = await stream.next((e) => (e.e === "executionReport" || e.e === "listStatus") && e.g === listId);
        seen.push(m.e === "listStatus" ? `list ${String(m.l)}/${String(m.L)}` : `${String(m.i)} ${String(m.x)}/${String(m.X)}${m.eR === undefined ? "" : ` eR=${String(m.eR)}`}`);
        if (last(m)) return seen;
      }
    };

    it("OTO: no BTC up front; once the buy fills, the sell is held from the BTC bought (net of the fee) and placed", async () => {
      const { key: olga, stream } = await fresh("olga@example.com");
      // 0.02 bought at 10 bps (maker): 0.01998 BTC received, so a sell of 0.0199 is covered
      const placed = await buyThenSell(olga, "0.0199");
      expect(placed.status, JSON.stringify(placed.body)).toBe(200);
      const listId = placed.body.orderListId as number;
      const [working, pending] = (placed.body.orders as { orderId: number }[]).map((o) => o.orderId);
      expect((placed.body.orderReports as { status: string }[]).map((r) => r.status)).toEqual(["NEW", "PENDING_NEW"]);
      // only the working order's funds are held: 0.02 x 29950 = 599 USDT
      expect(await balance(olga, "USDT")).toEqual({ asset: "USDT", free: "401.00000000", locked: "599.00000000" });
      expect(await balance(olga, "BTC")).toEqual({ asset: "BTC", free: "0", locked: "0" });
      expect(await listEvents(stream, listId, (m) => m.e === "listStatus")).toEqual([`${working} NEW/NEW`, "list EXEC_STARTED/EXECUTING"]);

      await fill();
      expect(await listEvents(stream, listId, (m) => m.e === "listStatus")).toEqual([`${working} TRADE/FILLED`, `${pending} NEW/NEW`, "list EXEC_STARTED/EXECUTING"]);
      const statuses = await Promise.all([working, pending].map(async (id) => (await signed("GET", "/api/v3/order", olga, { symbol: "BTCUSDT", orderId: String(id) })).body.status));
      expect(statuses).toEqual(["FILLED", "NEW"]);
      expect(await balance(olga, "USDT")).toMatchObject({ free: "401.00000000", locked: "0.00000000" });
      expect(await balance(olga, "BTC")).toMatchObject({ free: "0.00008000", locked: "0.01990000" });

      // canceled while the sell rests: the BTC held for it comes back, to the unit
      const canceled = await signed("DELETE", "/api/v3/orderList", olga, { symbol: "BTCUSDT", orderListId: String(listId) });
      expect((canceled.body.orderReports as { status: string }[]).map((r) => r.status)).toEqual(["FILLED", "CANCELED"]);
      expect(await balance(olga, "BTC")).toMatchObject({ free: "0.01998000", locked: "0.00000000" });
      expect(await balance(olga, "USDT")).toMatchObject({ free: "401.00000000", locked: "0.00000000" });
      await stream.close();
    });

    it("OTO: a sell the account cannot cover once the buy fills expires (eR REJECTED) and ends the list; nothing stays held", async () => {
      const { key: pia, stream } = await fresh("pia@example.com");
      // 0.02 is more than the 0.01998 BTC the buy brings (its fee is taken in BTC)
      const placed = await buyThenSell(pia, "0.02");
      expect(placed.status, JSON.stringify(placed.body)).toBe(200);
      const listId = placed.body.orderListId as number;
      const [working, pending] = (placed.body.orders as { orderId: number }[]).map((o) => o.orderId);
      await listEvents(stream, listId, (m) => m.e === "listStatus");
      await fill();
      expect(await listEvents(stream, listId, (m) => m.e === "listStatus")).toEqual([`${working} TRADE/FILLED`, `${pending} EXPIRED/EXPIRED eR=REJECTED`, "list ALL_DONE/ALL_DONE"]);
      const list = await signed("GET", "/api/v3/orderList", pia, { orderListId: String(listId) });
      expect(list.body).toMatchObject({ listStatusType: "ALL_DONE", listOrderStatus: "ALL_DONE" });
      expect((await signed("GET", "/api/v3/openOrderList", pia)).body).toEqual([]);
      const expired = await signed("GET", "/api/v3/order", pia, { symbol: "BTCUSDT", orderId: String(pending) });
      expect(expired.body).toMatchObject({ status: "EXPIRED", executedQty: "0.00000000" });
      expect(await balance(pia, "BTC")).toMatchObject({ free: "0.01998000", locked: "0.00000000" });
      expect(await balance(pia, "USDT")).toMatchObject({ free: "401.00000000", locked: "0.00000000" });
      await stream.close();
    });

    it("OTOCO: the pending pair is held once from the BTC bought; a list canceled before its buy fills never held BTC", async () => {
      const { key: quinn, stream } = await fresh("quinn@example.com");
      const otoco = (listClientOrderId: string) =>
        signed("POST", "/api/v3/orderList/otoco", quinn, {
          symbol: "BTCUSDT",
          listClientOrderId,
          workingType: "LIMIT",
          workingSide: "BUY",
          workingPrice: "29950",
          workingQuantity: "0.02",
          workingTimeInForce: "GTC",
          pendingSide: "SELL",
          pendingQuantity: "0.0199",
          pendingAboveType: "LIMIT_MAKER",
          pendingAbovePrice: "31600",
          pendingBelowType: "STOP_LOSS",
          pendingBelowStopPrice: "28500",
        });
      // canceled before the working order fills: its USDT back, no BTC ever asked for
      const early = await otoco("quinn-early");
      expect(early.status, JSON.stringify(early.body)).toBe(200);
      expect(await balance(quinn, "USDT")).toMatchObject({ free: "401.00000000", locked: "599.00000000" });
      const dropped = await signed("DELETE", "/api/v3/orderList", quinn, { symbol: "BTCUSDT", listClientOrderId: "quinn-early" });
      expect((dropped.body.orderReports as { status: string }[]).map((r) => r.status)).toEqual(["CANCELED", "CANCELED", "CANCELED"]);
      expect(await balance(quinn, "USDT")).toMatchObject({ free: "1000.00000000", locked: "0.00000000" });
      expect(await balance(quinn, "BTC")).toEqual({ asset: "BTC", free: "0", locked: "0" });

      const placed = await otoco("quinn-otoco");
      const listId = placed.body.orderListId as number;
      const [working, above, below] = (placed.body.orders as { orderId: number }[]).map((o) => o.orderId);
      await listEvents(stream, listId, (m) => m.e === "listStatus" && m.L === "EXECUTING");
      await fill();
      expect(await listEvents(stream, listId, (m) => m.e === "listStatus")).toEqual([`${working} TRADE/FILLED`, `${above} NEW/NEW`, `${below} NEW/NEW`, "list EXEC_STARTED/EXECUTING"]);
      // one hold for the pair
      expect(await balance(quinn, "BTC")).toMatchObject({ free: "0.00008000", locked: "0.01990000" });
      const canceled = await signed("DELETE", "/api/v3/orderList", quinn, { symbol: "BTCUSDT", orderListId: String(listId) });
      expect((canceled.body.orderReports as { status: string }[]).map((r) => r.status)).toEqual(["FILLED", "CANCELED", "CANCELED"]);
      expect(await balance(quinn, "BTC")).toMatchObject({ free: "0.01998000", locked: "0.00000000" });
      expect(await balance(quinn, "USDT")).toMatchObject({ free: "401.00000000", locked: "0.00000000" });
      await stream.close();
    });
  });

  it("an order list counts as its orders on the ORDERS limits: OCO and OTO 2, OTOCO 3", async () => {
    const ivan = await user("ivan@example.com");
    await parts.wallet.creditDeposit("ol-ivan-btc", ivan.userId, "BTC", 1n * 10n ** 8n);
    await parts.wallet.creditDeposit("ol-ivan-usdt", ivan.userId, "USDT", 10_000n * 10n ** 8n);
    const counts: string[] = [];
    const count = (answer: { status: number; headers: Headers }) => {
      expect(answer.status).toBe(200);
      counts.push(answer.headers.get("x-mbx-order-count-1d") ?? "none");
    };
    count(await signed("POST", "/api/v3/orderList/oco", ivan, oco({ quantity: "0.01" })));
    count(await signed("POST", "/api/v3/order/oco", ivan, { symbol: "BTCUSDT", side: "SELL", quantity: "0.01", price: "32000", stopPrice: "28000" }));
    const working = { symbol: "BTCUSDT", workingType: "LIMIT", workingSide: "BUY", workingPrice: "29000", workingQuantity: "0.01", workingTimeInForce: "GTC" };
    count(await signed("POST", "/api/v3/orderList/oto", ivan, { ...working, pendingType: "LIMIT_MAKER", pendingSide: "SELL", pendingPrice: "31000", pendingQuantity: "0.01" }));
    count(
      await signed("POST", "/api/v3/orderList/otoco", ivan, {
        ...working,
        pendingSide: "SELL",
        pendingQuantity: "0.01",
        pendingAboveType: "LIMIT_MAKER",
        pendingAbovePrice: "31000",
        pendingBelowType: "STOP_LOSS",
        pendingBelowStopPrice: "28000",
      }),
    );
    count(await signed("POST", "/api/v3/order", ivan, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "29000" }));
    expect(counts).toEqual(["2", "4", "6", "9", "10"]);
    const usage = await signed("GET", "/api/v3/rateLimit/order", ivan);
    expect(usage.body).toEqual(expect.arrayContaining([expect.objectContaining({ rateLimitType: "ORDERS", interval: "DAY", count: 10 })]));
    await signed("DELETE", "/api/v3/openOrders", ivan, { symbol: "BTCUSDT" });
  });

  it("a list matching refuses (a LIMIT_MAKER leg that would take) gets -2010 and leaves no list, order, event or hold", async () => {
    const visible = async () => ({
      allOrders: (await signed("GET", "/api/v3/allOrders", gina, { symbol: "BTCUSDT" })).body,
      allOrderList: (await signed("GET", "/api/v3/allOrderList", gina)).body,
      openOrders: (await signed("GET", "/api/v3/openOrders", gina, { symbol: "BTCUSDT" })).body,
      openOrderList: (await signed("GET", "/api/v3/openOrderList", gina)).body,
      balances: [await balance(gina, "BTC"), await balance(gina, "USDT")],
    });
    // hank bids above gina's LIMIT_MAKER: the order service's checks pass (31000 is above the last price), matching's do not
    const bid = await signed("POST", "/api/v3/order", hank, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "31500" });
    expect(bid.body.status).toBe("NEW");
    const stream = await userStream(gina);
    const before = await visible();
    const refused = await signed("POST", "/api/v3/orderList/oco", gina, oco({ listClientOrderId: "gina-would-take" }));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ code: -2010, msg: "Order would immediately match and take." });
    // an OTO whose LIMIT_MAKER working order would take: the same
    const oto = await signed("POST", "/api/v3/orderList/oto", gina, {
      symbol: "BTCUSDT",
      workingType: "LIMIT_MAKER",
      workingSide: "SELL",
      workingPrice: "31000",
      workingQuantity: "0.01",
      pendingType: "LIMIT",
      pendingSide: "BUY",
      pendingPrice: "29000",
      pendingQuantity: "0.01",
      pendingTimeInForce: "GTC",
    });
    expect(oto.body).toEqual({ code: -2010, msg: "Order would immediately match and take." });
    expect(await visible()).toEqual(before);
    expect((await signed("GET", "/api/v3/orderList", gina, { origClientOrderId: "gina-would-take" })).body.code).toBe(-2013);
    // the stream's next event is a later order's: the refused lists sent none
    const probe = await signed("POST", "/api/v3/order", gina, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.001", price: "20000" });
    const first = await stream.next((m: Msg) => m.e === "executionReport" || m.e === "listStatus");
    expect(first).toMatchObject({ e: "executionReport", i: probe.body.orderId, x: "NEW" });
    await signed("DELETE", "/api/v3/order", gina, { symbol: "BTCUSDT", orderId: String(probe.body.orderId) });
    await signed("DELETE", "/api/v3/order", hank, { symbol: "BTCUSDT", orderId: String(bid.body.orderId) });
    await stream.close();
    expect(await balance(gina, "BTC")).toEqual(before.balances[0]);
    expect(await balance(gina, "USDT")).toEqual(before.balances[1]);
  });

  it("bad lists get Binance's codes and change nothing", async () => {
    // everything gina can see: orders, lists, open ones, balances
    const visible = async () => ({
      allOrders: (await signed("GET", "/api/v3/allOrders", gina, { symbol: "BTCUSDT" })).body,
      allOrderList: (await signed("GET", "/api/v3/allOrderList", gina)).body,
      openOrders: (await signed("GET", "/api/v3/openOrders", gina, { symbol: "BTCUSDT" })).body,
      openOrderList: (await signed("GET", "/api/v3/openOrderList", gina)).body,
      balances: [await balance(gina, "BTC"), await balance(gina, "USDT")],
    });
    const seen = await visible();
    const before = seen.balances;
    const cases: [Record<string, string>, number][] = [
      [oco({ aboveType: "" }), -1102],
      [oco({ aboveType: "LIMIT", aboveTimeInForce: "GTC" }), -1158],
      [oco({ abovePrice: "29500" }), -2010],
      [oco({ aboveType: "STOP_LOSS", aboveStopPrice: "35000", abovePrice: "", belowType: "LIMIT_MAKER", belowPrice: "29500", belowStopPrice: "", belowTimeInForce: "" }), -1166],
      [oco({ quantity: "0.0000001" }), -1013],
      [oco({ quantity: "5" }), -2010],
    ];
    for (const [params, code] of cases) {
      const answer = await signed("POST", "/api/v3/orderList/oco", gina, params);
      expect(answer.status, JSON.stringify(params)).toBe(400);
      expect(answer.body.code, JSON.stringify(answer.body)).toBe(code);
    }
    // An unknown list type, side or timeInForce: Binance's enum codes (not -1130), and no list,
    // no order, no hold.
    const listsBefore = (await signed("GET", "/api/v3/allOrderList", gina)).body;
    const ordersBefore = (await signed("GET", "/api/v3/allOrders", gina, { symbol: "BTCUSDT" })).body;
    const working = { symbol: "BTCUSDT", workingType: "LIMIT", workingSide: "BUY", workingPrice: "29000", workingQuantity: "0.1", workingTimeInForce: "GTC" };
    const pending = { pendingType: "LIMIT_MAKER", pendingSide: "SELL", pendingPrice: "31000", pendingQuantity: "0.1" };
    const enumCases: [string, Record<string, string>, number, string][] = [
      ["/api/v3/orderList/oco", oco({ aboveType: "FOO" }), -1116, "Invalid orderType."],
      ["/api/v3/orderList/oco", oco({ belowType: "STOP_MARKET" }), -1116, "Invalid orderType."],
      ["/api/v3/orderList/oco", oco({ side: "SIDEWAYS" }), -1117, "Invalid side."],
      ["/api/v3/orderList/oco", oco({ belowTimeInForce: "GTX" }), -1115, "Invalid timeInForce."],
      ["/api/v3/orderList/oto", { ...working, ...pending, workingType: "FOO" }, -1116, "Invalid orderType."],
      ["/api/v3/orderList/oto", { ...working, ...pending, pendingType: "FOO" }, -1116, "Invalid orderType."],
      ["/api/v3/orderList/oto", { ...working, ...pending, workingSide: "LONG" }, -1117, "Invalid side."],
      ["/api/v3/orderList/oto", { ...working, ...pending, workingTimeInForce: "DAY" }, -1115, "Invalid timeInForce."],
      [
        "/api/v3/orderList/otoco",
        { ...working, pendingSide: "SELL", pendingQuantity: "0.1", pendingAboveType: "FOO", pendingAbovePrice: "31000", pendingBelowType: "STOP_LOSS", pendingBelowStopPrice: "28000" },
        -1116,
        "Invalid orderType.",
      ],
      ["/api/v3/order/oco", { symbol: "BTCUSDT", side: "SELL", quantity: "0.1", price: "31000", stopPrice: "29000", stopLimitPrice: "28900", stopLimitTimeInForce: "NOW" }, -1115, "Invalid timeInForce."],
    ];
    for (const [path, params, code, msg] of enumCases) {
      const answer = await signed("POST", path, gina, params);
      expect(answer.status, JSON.stringify(params)).toBe(400);
      expect(answer.body, JSON.stringify(params)).toEqual({ code, msg });
    }
    expect((await signed("GET", "/api/v3/allOrderList", gina)).body).toEqual(listsBefore);
    expect((await signed("GET", "/api/v3/allOrders", gina, { symbol: "BTCUSDT" })).body).toEqual(ordersBefore);
    const missing = await signed("GET", "/api/v3/orderList", gina, { orderListId: "424242" });
    expect(missing.body.code).toBe(-2013);
    const noRef = await signed("DELETE", "/api/v3/orderList", gina, { symbol: "BTCUSDT" });
    expect(noRef.body.code).toBe(-1102);
    // hank cannot see or cancel gina's lists
    const foreign = await signed("GET", "/api/v3/allOrderList", hank);
    expect(foreign.body).toEqual([]);
    expect([await balance(gina, "BTC"), await balance(gina, "USDT")]).toEqual(before);
    // a single order refused for its balance leaves nothing either
    const poor = await signed("POST", "/api/v3/order", gina, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "50", price: "30000" });
    expect(poor.body.code).toBe(-2010);
    // refused lists (a -2010 for a hold included) and orders are nowhere: as on Binance
    expect(await visible()).toEqual(seen);
  });
});
