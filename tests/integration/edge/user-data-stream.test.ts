import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { until } from "../../support/until.js";
import { StreamClient, type Msg } from "./ws-client.js";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { OrderModule } from "../../../services/order/src/main.js";
import type { WalletParts, createWalletModule } from "../../../services/wallet/src/main.js";
import type { EdgeModule } from "../../../edge/src/main.js";
import type { AuthModule } from "../../../services/auth/src/main.js";

// Binance's user data streams end to end: the whole exchange in one process, listen keys through
// the REST API with the API key alone, orders through the signed REST API, and a real `ws`
// client on /ws/<listenKey> reading executionReport and outboundAccountPosition.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let wsBase: string;
let edge: EdgeModule;
let order: OrderModule;
let alice: User;
let bob: User;
let carol: User;
let auth: Client<typeof AuthService>;
let parts: WalletParts;
let walletModule: Awaited<ReturnType<typeof createWalletModule>>;

interface User {
  readonly userId: string;
  readonly apiKey: string;
  readonly accessToken: string;
  sign(payload: string): string;
}

const openStream = (path: string, url = wsBase) => StreamClient.open(`${url}${path}`);

let nonce = 0;
async function signed(method: string, path: string, user: User, params: Record<string, string>, url = base) {
  const query = new URLSearchParams({ ...params, recvWindow: String(5000 + (nonce++ % 1000)), timestamp: String(Date.now()) }).toString();
  const response = await fetch(`${url}${path}?${query}&signature=${user.sign(query)}`, { method, headers: { "X-MBX-APIKEY": user.apiKey } });
  return { status: response.status, body: (await response.json()) as Msg };
}

/** USER_STREAM: the API key header alone. */
async function userStream(method: "POST" | "PUT" | "DELETE", apiKey: string | undefined, listenKey?: string, url = base) {
  const query = listenKey === undefined ? "" : `?listenKey=${listenKey}`;
  const response = await fetch(`${url}/api/v3/userDataStream${query}`, { method, headers: apiKey === undefined ? {} : { "X-MBX-APIKEY": apiKey } });
  return { status: response.status, body: (await response.json()) as Msg };
}

async function listenKeyOf(user: User, url = base): Promise<string> {
  const { status, body } = await userStream("POST", user.apiKey, undefined, url);
  expect(status, JSON.stringify(body)).toBe(200);
  return body.listenKey as string;
}

async function userWithKey(auth: Client<typeof AuthService>, email: string): Promise<User> {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const headers = { authorization: `Bearer ${tokens!.accessToken}` };
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "uds" }, { headers });
  return { userId, apiKey: key!.apiKey, accessToken: tokens!.accessToken, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

/** Opens the user's stream and waits until the order service holds its subscription, so nothing after this is missed. */
async function connect(user: User, url = wsBase, http = base): Promise<StreamClient> {
  const before = order.updates.subscribers(user.userId);
  const client = await openStream(`/ws/${await listenKeyOf(user, http)}`, url);
  await until(() => order.updates.subscribers(user.userId) > before);
  return client;
}

const reports = (m: Msg) => m.e === "executionReport";

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-uds-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  );
  base = exchange.listening.http1Url;
  wsBase = base.replace(/^http/, "ws");
  edge = exchange.modules.find((module) => module.name === "edge") as EdgeModule;
  order = exchange.modules.find((module) => module.name === "order") as OrderModule;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  walletModule = exchange.modules.find((module) => module.name === "wallet") as unknown as typeof walletModule;
  parts = walletModule.parts;
  [alice, bob, carol] = await Promise.all([userWithKey(auth, "uds-alice@example.com"), userWithKey(auth, "uds-bob@example.com"), userWithKey(auth, "uds-carol@example.com")]);
  await parts.wallet.creditDeposit("uds-alice-btc", alice.userId, "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("uds-bob-usdt", bob.userId, "USDT", 100_000n * 10n ** 8n);
  await parts.wallet.creditDeposit("uds-carol-usdt", carol.userId, "USDT", 1_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("user data streams", () => {
  it("a bot's order placed, partly filled and canceled arrives as executionReports in order, with Binance's fields and exact decimals", async () => {
    const aliceWs = await connect(alice);
    const bobWs = await connect(bob);
    const carolWs = await connect(carol);

    const sell = await signed("POST", "/api/v3/order", alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.3", price: "30000.01", newClientOrderId: "alice-1" });
    expect(sell.status, JSON.stringify(sell.body)).toBe(200);
    const sellId = sell.body.orderId as number;
    const buy = await signed("POST", "/api/v3/order", bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.1", price: "30010", newClientOrderId: "bob-1" });
    expect(buy.body).toMatchObject({ status: "FILLED", executedQty: "0.10000000" });
    const buyId = buy.body.orderId as number;
    const cancel = await signed("DELETE", "/api/v3/order", alice, { symbol: "BTCUSDT", orderId: String(sellId) });
    expect(cancel.body).toMatchObject({ status: "CANCELED" });

    const { body: aliceTrades } = await signed("GET", "/api/v3/myTrades", alice, { symbol: "BTCUSDT" });
    const { body: bobTrades } = await signed("GET", "/api/v3/myTrades", bob, { symbol: "BTCUSDT" });
    const sellerTrade = (aliceTrades as unknown as Msg[])[0]!;
    const buyerTrade = (bobTrades as unknown as Msg[])[0]!;
    const stp = sell.body.selfTradePreventionMode;

    const placed = await aliceWs.next(reports);
    expect(placed).toEqual({
      e: "executionReport",
      E: expect.any(Number),
      s: "BTCUSDT",
      c: "alice-1",
      S: "SELL",
      o: "LIMIT",
      f: "GTC",
      q: "0.30000000",
      p: "30000.01000000",
      P: "0.00000000",
      F: "0.00000000",
      g: -1,
      C: "",
      x: "NEW",
      X: "NEW",
      r: "NONE",
      i: sellId,
      l: "0.00000000",
      z: "0.00000000",
      L: "0.00000000",
      n: "0",
      N: null,
      T: expect.any(Number),
      t: -1,
      w: true,
      m: false,
      O: sell.body.transactTime,
      Z: "0.00000000",
      Y: "0.00000000",
      Q: "0.00000000",
      W: sell.body.transactTime,
      V: stp,
    });
    const filled = await aliceWs.next(reports);
    expect(filled).toMatchObject({
      s: "BTCUSDT",
      c: "alice-1",
      i: sellId,
      x: "TRADE",
      X: "PARTIALLY_FILLED",
      q: "0.30000000",
      p: "30000.01000000",
      l: "0.10000000",
      z: "0.10000000",
      L: "30000.01000000",
      Y: "3000.00100000",
      Z: "3000.00100000",
      n: sellerTrade.commission,
      N: "USDT",
      t: sellerTrade.id,
      T: sellerTrade.time,
      m: true,
      w: true,
    });
    expect(sellerTrade.commission).toBe("3.00000100"); // 10 bps of 3000.001 USDT, rounded up at 8 decimals
    expect(await aliceWs.next(reports)).toMatchObject({ i: sellId, x: "CANCELED", X: "CANCELED", c: "alice-1", C: "alice-1", z: "0.10000000", Z: "3000.00100000", l: "0.00000000", t: -1, w: false });

    expect(await bobWs.next(reports)).toMatchObject({ i: buyId, c: "bob-1", S: "BUY", x: "NEW", X: "NEW", z: "0.00000000" });
    expect(await bobWs.next(reports)).toMatchObject({
      i: buyId,
      x: "TRADE",
      X: "FILLED",
      q: "0.10000000",
      p: "30010.00000000",
      l: "0.10000000",
      z: "0.10000000",
      L: "30000.01000000",
      n: buyerTrade.commission,
      N: "BTC",
      t: buyerTrade.id,
      m: false,
      w: false,
    });
    expect(buyerTrade.commission).toBe("0.00010000");

    // Balances after each change that moved funds; the last one is what /api/v3/account says now.
    const { body: account } = await signed("GET", "/api/v3/account", alice, {});
    const final = (account.balances as Msg[]).filter((b) => b.asset === "BTC" || b.asset === "USDT").map((b) => ({ a: b.asset, f: b.free, l: b.locked }));
    const sameAs = (m: Msg) => m.e === "outboundAccountPosition" && JSON.stringify([...(m.B as Msg[])].sort((x, y) => String(x.a).localeCompare(String(y.a)))) === JSON.stringify(final);
    expect(await aliceWs.next(sameAs)).toMatchObject({ E: expect.any(Number), u: expect.any(Number) });
    expect(final).toEqual([
      { a: "BTC", f: "1.90000000", l: "0.00000000" },
      { a: "USDT", f: "2997.00099900", l: "0.00000000" }, // 3000.001 less its 3.000001 fee
    ]);

    // Nobody hears anyone else: every event names its own user's orders, and carol (no orders) hears nothing.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(aliceWs.messages.filter(reports)).toEqual([]);
    expect(bobWs.messages.filter(reports)).toEqual([]);
    expect(carolWs.messages).toEqual([]);
    await Promise.all([aliceWs.close(), bobWs.close(), carolWs.close()]);
    await until(() => edge.userStreams.stats().feeds === 0 && order.updates.subscribers(alice.userId) === 0);
  });

  it("reports amendments (REPLACED) and expiries, and nothing of a placement matching refuses; a listen key's sockets share one upstream call", async () => {
    const first = await connect(alice);
    const second = await openStream(`/ws/${await listenKeyOf(alice)}`);
    await until(() => edge.userStreams.stats().connections === 2);
    expect(edge.userStreams.stats().feeds).toBe(1);
    expect(order.updates.subscribers(alice.userId)).toBe(1);

    const rest = await signed("POST", "/api/v3/order", alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.5", price: "31000" });
    const restId = rest.body.orderId as number;
    const amend = await signed("PUT", "/api/v3/order/amend/keepPriority", alice, { symbol: "BTCUSDT", orderId: String(restId), newQty: "0.4" });
    expect(amend.status, JSON.stringify(amend.body)).toBe(200);
    const maker = await signed("POST", "/api/v3/order", alice, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT_MAKER", quantity: "0.01", price: "40000" });
    expect(maker.body).toMatchObject({ code: -2010 }); // it would take (her own ask): refused, reported as nothing
    const ioc = await signed("POST", "/api/v3/order", alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "IOC", quantity: "0.1", price: "50000" });
    expect(ioc.body).toMatchObject({ status: "EXPIRED" });
    await signed("DELETE", "/api/v3/order", alice, { symbol: "BTCUSDT", orderId: String(restId) });

    for (const client of [first, second]) {
      const seen: Msg[] = [];
      for (let i = 0; i < 5; i += 1) seen.push(await client.next(reports));
      expect(seen.map((m) => [m.i, m.x, m.X, m.q, m.r])).toEqual([
        [restId, "NEW", "NEW", "0.50000000", "NONE"],
        [restId, "REPLACED", "NEW", "0.40000000", "NONE"],
        [ioc.body.orderId, "NEW", "NEW", "0.10000000", "NONE"],
        [ioc.body.orderId, "EXPIRED", "EXPIRED", "0.10000000", "NONE"],
        [restId, "CANCELED", "CANCELED", "0.40000000", "NONE"],
      ]);
    }
    await Promise.all([first.close(), second.close()]);
  });

  it("a LIMIT_MAKER that would take gets -2010 and leaves no order, report or balance change; its client order id is free again", async () => {
    const stream = await connect(alice);
    const balances = async () => ((await signed("GET", "/api/v3/account", alice, {})).body.balances as Msg[]).filter((b) => b.asset === "BTC" || b.asset === "USDT");
    const ask = await signed("POST", "/api/v3/order", alice, { symbol: "BTCUSDT", side: "SELL", type: "LIMIT", timeInForce: "GTC", quantity: "0.2", price: "31000" });
    expect(ask.body).toMatchObject({ status: "NEW" });
    const before = await balances();
    // bob's LIMIT_MAKER bid above alice's ask would take: matching refuses it against the book
    const bobStream = await connect(bob);
    const bobBefore = ((await signed("GET", "/api/v3/account", bob, {})).body.balances as Msg[]).filter((b) => b.asset === "USDT");
    const refused = await signed("POST", "/api/v3/order", bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT_MAKER", quantity: "0.01", price: "32000", newClientOrderId: "bob-would-take" });
    expect(refused).toEqual({ status: 400, body: { code: -2010, msg: "Order would immediately match and take." } });
    expect(((await signed("GET", "/api/v3/account", bob, {})).body.balances as Msg[]).filter((b) => b.asset === "USDT")).toEqual(bobBefore);
    expect((await signed("GET", "/api/v3/order", bob, { symbol: "BTCUSDT", origClientOrderId: "bob-would-take" })).body).toMatchObject({ code: -2013 });
    expect(((await signed("GET", "/api/v3/allOrders", bob, { symbol: "BTCUSDT" })).body as unknown as Msg[]).some((o) => o.clientOrderId === "bob-would-take")).toBe(false);
    expect((await signed("GET", "/api/v3/openOrders", bob, { symbol: "BTCUSDT" })).body).toEqual([]);
    // the same client order id again, now at a price that rests: a new order (the refused one's id stays used)
    const retry = await signed("POST", "/api/v3/order", bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT_MAKER", quantity: "0.01", price: "20000", newClientOrderId: "bob-would-take", newOrderRespType: "RESULT" });
    expect(retry.body).toMatchObject({ status: "NEW", clientOrderId: "bob-would-take" });
    const refusedId = (retry.body.orderId as number) - 1;
    expect((await signed("GET", "/api/v3/order", bob, { symbol: "BTCUSDT", orderId: String(refusedId) })).body).toMatchObject({ code: -2013 });
    expect(((await signed("GET", "/api/v3/allOrders", bob, { symbol: "BTCUSDT" })).body as unknown as Msg[]).map((o) => o.orderId)).not.toContain(refusedId);
    // bob's stream: the retry's report is the first, nothing came of the refusal; alice's order and balances are untouched
    expect(await bobStream.next(reports)).toMatchObject({ i: retry.body.orderId, x: "NEW", c: "bob-would-take" });
    expect(await balances()).toEqual(before);
    await signed("DELETE", "/api/v3/order", bob, { symbol: "BTCUSDT", orderId: String(retry.body.orderId) });
    await signed("DELETE", "/api/v3/order", alice, { symbol: "BTCUSDT", orderId: String(ask.body.orderId) });
    expect(await stream.next(reports)).toMatchObject({ i: ask.body.orderId, x: "NEW" });
    expect(await stream.next(reports)).toMatchObject({ i: ask.body.orderId, x: "CANCELED" });
    expect(((await signed("GET", "/api/v3/account", bob, {})).body.balances as Msg[]).filter((b) => b.asset === "USDT")).toEqual(bobBefore);
    await Promise.all([stream.close(), bobStream.close()]);
  });

  it("listen keys: POST with the API key alone (the user's live key again), PUT and DELETE only by its own user", async () => {
    expect(await userStream("POST", undefined)).toMatchObject({ status: 401, body: { code: -2014 } });
    expect(await userStream("POST", "NoSuchApiKey0")).toMatchObject({ status: 401, body: { code: -2015 } });
    const key = await listenKeyOf(alice);
    expect(key).toMatch(/^[A-Za-z0-9]{60}$/);
    expect(await listenKeyOf(alice)).toBe(key);
    expect(await listenKeyOf(bob)).not.toBe(key);

    expect(await userStream("PUT", alice.apiKey, key)).toEqual({ status: 200, body: {} });
    expect(await userStream("PUT", alice.apiKey)).toMatchObject({ status: 400, body: { code: -1102 } });
    // Bob cannot keep alive or delete Alice's key: as if it did not exist.
    expect(await userStream("PUT", bob.apiKey, key)).toEqual({ status: 400, body: { code: -1125, msg: "This listenKey does not exist." } });
    expect(await userStream("DELETE", bob.apiKey, key)).toEqual({ status: 400, body: { code: -1125, msg: "This listenKey does not exist." } });

    const socket = await openStream(`/ws/${key}`);
    expect(await userStream("DELETE", alice.apiKey, key)).toEqual({ status: 200, body: {} });
    expect(await socket.next()).toEqual({ e: "listenKeyExpired", E: expect.any(Number), listenKey: key });
    await until(() => socket.closedWith !== undefined);
    expect(socket.closedWith).toBe(1000);
    expect(await userStream("PUT", alice.apiKey, key)).toMatchObject({ status: 400, body: { code: -1125 } });
    await expect(openStream(`/ws/${key}`)).rejects.toMatchObject({ status: 400, body: { code: -1125, msg: "This listenKey does not exist." } });
    expect(await listenKeyOf(alice)).not.toBe(key); // a new one after DELETE
  });

  it("refuses the upgrade for an unknown listen key with -1125; stream names and other paths go to the market streams", async () => {
    await expect(openStream(`/ws/${"A".repeat(60)}`)).rejects.toMatchObject({ status: 400, body: { code: -1125, msg: "This listenKey does not exist." } });
    const other = await openStream("/ws/nope"); // not a listen key (60 characters): a market connection without streams, as ccxt's /ws/0
    await other.close();
    await expect(openStream("/ws/nopeusdt@trade")).rejects.toMatchObject({ status: 400, body: { code: -1121 } });
    const market = await openStream("/ws/btcusdt@trade");
    await market.close();
  });

  it("expires a listen key not kept alive (listenKeyExpired, then the socket closes), over an edge calling order at ORDER_ADDR", async () => {
    const address = exchange.listening.http2Url;
    const alone = await startExchange(
      { service: "edge", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { LOG_LEVEL: "warn", ORDER_ADDR: address, WALLET_ADDR: address, AUTH_ADDR: address, MATCHING_ADDR: address, MARKETDATA_ADDR: address, EDGE_LISTEN_KEY_TTL_MS: "2000" },
    );
    try {
      const http = alone.listening.http1Url;
      const ws = http.replace(/^http/, "ws");
      const key = await listenKeyOf(carol, http);
      const socket = await openStream(`/ws/${key}`, ws);
      await until(() => order.updates.subscribers(carol.userId) === 1);
      // Events arrive over gRPC's server stream.
      const placed = await signed("POST", "/api/v3/order", carol, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "GTC", quantity: "0.01", price: "10000" }, http);
      expect(placed.status, JSON.stringify(placed.body)).toBe(200);
      expect(await socket.next(reports)).toMatchObject({ i: placed.body.orderId, x: "NEW", p: "10000.00000000", q: "0.01000000" });
      expect(await socket.next((m) => m.e === "outboundAccountPosition")).toMatchObject({ B: expect.arrayContaining([{ a: "USDT", f: "900.00000000", l: "100.00000000" }]) });
      // Each keepalive moves the end 2 s on: two of them 1.2 s apart keep it past the first one's end.
      expect(await userStream("PUT", carol.apiKey, key, http)).toEqual({ status: 200, body: {} });
      const keptAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect(await userStream("PUT", carol.apiKey, key, http)).toEqual({ status: 200, body: {} });
      await new Promise((resolve) => setTimeout(resolve, 1_200)); // past the first keepalive's end
      expect(socket.closedWith).toBeUndefined();
      expect(await socket.next((m) => m.e === "listenKeyExpired", 3_000)).toEqual({ e: "listenKeyExpired", E: expect.any(Number), listenKey: key });
      await until(() => socket.closedWith !== undefined);
      expect(socket.closedWith).toBe(1000);
      expect(Date.now() - keptAt).toBeGreaterThanOrEqual(3_100);
      await expect(openStream(`/ws/${key}`, ws)).rejects.toMatchObject({ status: 400, body: { code: -1125 } });
      await until(() => order.updates.subscribers(carol.userId) === 0); // the gRPC call was cancelled
      await signed("DELETE", "/api/v3/order", carol, { symbol: "BTCUSDT", orderId: String(placed.body.orderId) });
    } finally {
      await alone.stop();
    }
  });

  it("an OCO placed, one leg filled (the other expires) and another canceled arrive as executionReports then listStatus", async () => {
    const aliceWs = await connect(alice);
    const listEvents = (m: Msg) => m.e === "executionReport" || m.e === "listStatus";
    const oco = { symbol: "BTCUSDT", side: "SELL", quantity: "0.1", aboveType: "LIMIT_MAKER", belowType: "STOP_LOSS_LIMIT", belowStopPrice: "28000", belowPrice: "27900", belowTimeInForce: "GTC" };
    const placed = await signed("POST", "/api/v3/orderList/oco", alice, { ...oco, abovePrice: "31500", listClientOrderId: "alice-oco-1" });
    expect(placed.status, JSON.stringify(placed.body)).toBe(200);
    const listId = placed.body.orderListId as number;
    const [aboveId, belowId] = (placed.body.orders as { orderId: number }[]).map((o) => o.orderId);
    const taker = await signed("POST", "/api/v3/order", bob, { symbol: "BTCUSDT", side: "BUY", type: "LIMIT", timeInForce: "IOC", quantity: "0.1", price: "31500" });
    expect(taker.body).toMatchObject({ status: "FILLED" });
    const second = await signed("POST", "/api/v3/orderList/oco", alice, { ...oco, abovePrice: "32000", listClientOrderId: "alice-oco-2" });
    const secondId = second.body.orderListId as number;
    const [above2, below2] = (second.body.orders as { orderId: number }[]).map((o) => o.orderId);
    expect((await signed("DELETE", "/api/v3/orderList", alice, { symbol: "BTCUSDT", orderListId: String(secondId) })).status).toBe(200);

    const seen: Msg[] = [];
    for (let i = 0; i < 12; i += 1) seen.push(await aliceWs.next(listEvents));
    const summary = seen.map((m) => (m.e === "listStatus" ? ["list", m.g, m.l, m.L, m.C] : ["order", m.i, m.x, m.X, m.g]));
    expect(summary).toEqual([
      ["order", aboveId, "NEW", "NEW", listId],
      ["order", belowId, "NEW", "NEW", listId],
      ["list", listId, "EXEC_STARTED", "EXECUTING", "alice-oco-1"],
      ["order", aboveId, "TRADE", "FILLED", listId],
      ["order", belowId, "EXPIRED", "EXPIRED", listId],
      ["list", listId, "ALL_DONE", "ALL_DONE", "alice-oco-1"],
      ["order", above2, "NEW", "NEW", secondId],
      ["order", below2, "NEW", "NEW", secondId],
      ["list", secondId, "EXEC_STARTED", "EXECUTING", "alice-oco-2"],
      ["order", above2, "CANCELED", "CANCELED", secondId],
      ["order", below2, "CANCELED", "CANCELED", secondId],
      ["list", secondId, "ALL_DONE", "ALL_DONE", "alice-oco-2"],
    ]);
    // Binance's listStatus fields, the orders named by symbol, id and client order id.
    expect(seen[5]).toEqual({
      e: "listStatus",
      E: expect.any(Number),
      s: "BTCUSDT",
      g: listId,
      c: "OCO",
      l: "ALL_DONE",
      L: "ALL_DONE",
      r: "NONE",
      C: "alice-oco-1",
      T: expect.any(Number),
      O: [
        { s: "BTCUSDT", i: aboveId, c: expect.any(String) },
        { s: "BTCUSDT", i: belowId, c: expect.any(String) },
      ],
    });
    await aliceWs.close();
  });

  it("a deposit credited and a withdrawal requested arrive as balanceUpdate with the exact signed delta, then outboundAccountPosition; nobody else hears them", async () => {
    const [dave, erin] = await Promise.all([userWithKey(auth, "uds-dave@example.com"), userWithKey(auth, "uds-erin@example.com")]);
    /** The user's socket, once both of its upstream feeds (order updates, wallet balance updates) are open. */
    const connectBoth = async (user: User) => {
      const client = await connect(user);
      await until(() => (walletModule.balanceUpdates?.followers(user.userId) ?? 0) > 0);
      return client;
    };
    // dave's API key (a security change) is taken as made a day ago: his 24 h withdrawal lock has passed.
    const authModule = exchange.modules.find((module) => module.name === "auth") as unknown as AuthModule;
    await authModule.store.markSecurityChange(dave.userId, Date.now() - 25 * 60 * 60 * 1000);
    const daveWs = await connectBoth(dave);
    const erinWs = await connectBoth(erin);
    const ofEvent = (e: string) => (m: Msg) => m.e === e;

    await parts.wallet.creditDeposit("uds-dave-deposit", dave.userId, "BTC", 150_000_000n);
    const deposit = await daveWs.next();
    expect(deposit).toEqual({ e: "balanceUpdate", E: expect.any(Number), a: "BTC", d: "1.50000000", T: expect.any(Number) });
    const afterDeposit = await daveWs.next();
    expect(afterDeposit).toEqual({ e: "outboundAccountPosition", E: expect.any(Number), u: deposit.T, B: [{ a: "BTC", f: "1.50000000", l: "0.00000000" }] });

    // The withdrawal through the edge's public Connect API, with dave's session.
    const wallet = createClient(
      WalletService,
      createConnectTransport({ baseUrl: `${base}/connect`, httpVersion: "1.1", interceptors: [(next) => (request) => (request.header.set("authorization", `Bearer ${dave.accessToken}`), next(request))] }),
    );
    const { withdrawal } = await wallet.requestWithdrawal({ withdrawalId: "uds-dave-w1", asset: "BTC", network: "BTC", amount: "0.5", address: "bc1qdave", memo: "", totpCode: "" });
    expect(withdrawal).toMatchObject({ amount: "0.50000000" });
    const withdrawn = await daveWs.next(ofEvent("balanceUpdate"));
    expect(withdrawn).toEqual({ e: "balanceUpdate", E: expect.any(Number), a: "BTC", d: "-0.50000000", T: expect.any(Number) });
    const afterWithdrawal = await daveWs.next();
    expect(afterWithdrawal).toMatchObject({ e: "outboundAccountPosition", B: [{ a: "BTC", f: "1.00000000", l: "0.00000000" }] });

    // erin hears her own deposit, after dave's; and nothing of dave's before it.
    await parts.wallet.creditDeposit("uds-erin-deposit", erin.userId, "USDT", 12_345n);
    expect(await erinWs.next()).toMatchObject({ e: "balanceUpdate", a: "USDT", d: "0.00012345" });
    expect(await erinWs.next()).toMatchObject({ e: "outboundAccountPosition", B: [{ a: "USDT", f: "0.00012345", l: "0.00000000" }] });
    expect(erinWs.messages).toEqual([]);
    expect(daveWs.messages).toEqual([]);
    await Promise.all([daveWs.close(), erinWs.close()]);
  });
});
