import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { ContingencyType, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { MarketDataService, type PublicTrade } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { OrderService, type OrderUpdate } from "#gen/exchange/order/v1/order_pb.js";
import { TransferStatus, WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { BadRequestSchema, ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { generate } from "otplib";
import type { AuthModule } from "../../../services/auth/src/main.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// The edge's public Connect API as a browser or SDK uses it: @connectrpc/connect-web's Connect
// (JSON and binary) and gRPC-Web transports over fetch, against the whole exchange in one process.
// Users sign up and in through the API itself and act with their bearer token only.

const APP_ORIGIN = "https://app.example.com";
const PASSWORD = "correct horse battery staple";

let dataDir: string;
let exchange: RunningExchange;
let baseUrl: string;
let parts: WalletParts;

function bearer(token: () => string): Interceptor {
  return (next) => (request) => {
    request.header.set("authorization", `Bearer ${token()}`);
    return next(request);
  };
}

const TRANSPORTS = {
  "Connect JSON": (interceptors: Interceptor[]) => createConnectTransport({ baseUrl, interceptors }),
  "Connect binary": (interceptors: Interceptor[]) => createConnectTransport({ baseUrl, interceptors, useBinaryFormat: true }),
  "gRPC-Web": (interceptors: Interceptor[]) => createGrpcWebTransport({ baseUrl, interceptors }),
} as const;
type TransportName = keyof typeof TRANSPORTS;

interface User {
  readonly userId: string;
  readonly token: string;
  transport(kind?: TransportName): Transport;
  order(kind?: TransportName): Client<typeof OrderService>;
  wallet(kind?: TransportName): Client<typeof WalletService>;
}

async function signUpAndIn(email: string): Promise<User> {
  const auth = createClient(AuthService, TRANSPORTS["Connect JSON"]([]));
  const { userId } = await auth.signUp({ email, password: PASSWORD });
  const { tokens } = await auth.signIn({ email, password: PASSWORD });
  const token = tokens!.accessToken;
  const transport = (kind: TransportName = "Connect JSON") => TRANSPORTS[kind]([bearer(() => token)]);
  return { userId, token, transport, order: (kind) => createClient(OrderService, transport(kind)), wallet: (kind) => createClient(WalletService, transport(kind)) };
}

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

let alice: User;
let bob: User;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "edge-connect-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", EDGE_CORS_ORIGINS: `${APP_ORIGIN}, https://other-app.example.com` },
  );
  baseUrl = `${exchange.listening.http1Url}/connect`;
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  alice = await signUpAndIn("alice@example.com");
  bob = await signUpAndIn("bob@example.com");
  await parts.wallet.creditDeposit("fund-alice-btc", alice.userId, "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("fund-bob-usdt", bob.userId, "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const sell = (price: string, quantity = "0.01000000") => ({ symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price, quantity });
const buy = (price: string, quantity = "0.01000000") => ({ symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price, quantity });

describe("an order the account cannot pay for", () => {
  it.each(Object.keys(TRANSPORTS) as TransportName[])("is refused with Binance's -2010 message and details naming no account or internal units (%s)", async (kind) => {
    const carol = await signUpAndIn(`carol-${kind.replace(/\W/g, "")}@example.com`);
    const error = await failure(carol.order(kind).placeOrder(buy("55000.00")));
    expect(error.code).toBe(Code.FailedPrecondition);
    expect(error.rawMessage).toBe("Account has insufficient balance for requested action.");
    const [info] = error.findDetails(ErrorInfoSchema);
    expect(info).toMatchObject({ reason: "-2010", domain: "exchange" });
    const said = JSON.stringify(info!.metadata);
    expect(said).not.toContain(carol.userId);
    expect(said).not.toMatch(/\d{6,}/); // no raw smallest units
  });
});

describe("a signed-in user over each transport", () => {
  it.each(Object.keys(TRANSPORTS) as TransportName[])("reads balances, places, reads, lists and cancels its own order (%s)", async (kind) => {
    const { balances } = await alice.wallet(kind).getBalances({});
    expect(balances.find((b) => b.asset === "BTC")).toMatchObject({ asset: "BTC" });

    const order = alice.order(kind);
    const placed = (await order.placeOrder(sell("90000.00"))).order!;
    expect(placed).toMatchObject({ accountId: alice.userId, symbol: "BTCUSDT", price: "90000.00000000", origQty: "0.01000000" });
    expect((await order.getOrder({ symbol: "BTCUSDT", orderId: placed.orderId })).order?.orderId).toBe(placed.orderId);
    expect((await order.listOpenOrders({ symbol: "BTCUSDT" })).orders.map((o) => o.orderId)).toContain(placed.orderId);
    // Naming one's own account is allowed too.
    await order.cancelOrder({ accountId: alice.userId, symbol: "BTCUSDT", orderId: placed.orderId });
    expect((await order.listOpenOrders({ symbol: "BTCUSDT" })).orders.map((o) => o.orderId)).not.toContain(placed.orderId);
  });

  it("answers rate-limit counters in the response headers", async () => {
    let headers: Headers | undefined;
    await alice.order().placeOrder(sell("91000.00"), { onHeader: (h) => (headers = h) });
    expect(headers?.get("x-mbx-used-weight-1m")).toMatch(/^\d+$/);
    expect(headers?.get("x-mbx-order-count-10s")).toMatch(/^\d+$/);
    await alice.order().cancelAllOrders({ symbol: "BTCUSDT" });
  });

  it("counts an order list as its orders on the ORDERS counters (an OCO: 2)", async () => {
    const today = (headers: Headers | undefined) => Number(headers?.get("x-mbx-order-count-1d"));
    let single: Headers | undefined;
    await alice.order().placeOrder(sell("91500.00"), { onHeader: (h) => (single = h) });
    let list: Headers | undefined;
    const { orderList } = await alice.order().placeOrderList(
      {
        symbol: "BTCUSDT",
        contingencyType: ContingencyType.OCO,
        orders: [
          { ...sell("93000.00"), type: OrderType.LIMIT_MAKER, timeInForce: TimeInForce.UNSPECIFIED },
          { ...sell(""), type: OrderType.STOP_LOSS, timeInForce: TimeInForce.UNSPECIFIED, stopPrice: "20000.00" },
        ],
      },
      { onHeader: (h) => (list = h) },
    );
    expect(orderList?.orders).toHaveLength(2);
    expect(today(list)).toBe(today(single) + 2);
    expect((await alice.order().getOrderList({ orderListId: orderList!.orderListId })).orderList?.orderListId).toBe(orderList!.orderListId);
    expect((await alice.order().listOpenOrderLists({})).orderLists.map((l) => l.orderListId)).toEqual([orderList!.orderListId]);
    expect((await alice.order().listOrderLists({})).orderLists.map((l) => l.orderListId)).toContain(orderList!.orderListId);
    // Nobody lists or acts for another account, whichever field names it.
    const foreign = { symbol: "BTCUSDT", contingencyType: ContingencyType.OCO, orders: [{ ...sell("93000.00"), type: OrderType.LIMIT_MAKER, timeInForce: TimeInForce.UNSPECIFIED, accountId: alice.userId }] };
    expect((await failure(bob.order().placeOrderList(foreign))).code).toBe(Code.PermissionDenied);
    expect((await failure(bob.order().cancelOrderList({ accountId: alice.userId, symbol: "BTCUSDT", orderListId: orderList!.orderListId }))).code).toBe(Code.PermissionDenied);
    await alice.order().cancelOrderList({ symbol: "BTCUSDT", orderListId: orderList!.orderListId });
    await alice.order().cancelAllOrders({ symbol: "BTCUSDT" });
  });
});

describe("acting only for the caller", () => {
  it("refuses another account id with PermissionDenied and the error's details", async () => {
    const placed = (await alice.order().placeOrder(sell("92000.00"))).order!;
    for (const kind of Object.keys(TRANSPORTS) as TransportName[]) {
      const error = await failure(bob.order(kind).getOrder({ accountId: alice.userId, symbol: "BTCUSDT", orderId: placed.orderId }));
      expect(error.code).toBe(Code.PermissionDenied);
      expect(error.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "-2015", domain: "exchange", metadata: { userId: alice.userId } });
      expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("account_id");
    }
    expect((await failure(bob.order().cancelOrder({ accountId: alice.userId, symbol: "BTCUSDT", orderId: placed.orderId }))).code).toBe(Code.PermissionDenied);
    expect((await failure(bob.wallet().getBalances({ accountId: alice.userId }))).code).toBe(Code.PermissionDenied);
    expect((await failure(bob.order().placeOrder({ ...sell("92000.00"), accountId: alice.userId }))).code).toBe(Code.PermissionDenied);
    const replace = { cancel: { accountId: alice.userId, symbol: "BTCUSDT", orderId: placed.orderId }, place: { ...buy("1.00"), accountId: "" } };
    expect((await failure(bob.order().cancelReplaceOrder(replace))).code).toBe(Code.PermissionDenied);

    // Another user's order under one's own account is unknown, as the order service answers it.
    const read = await failure(bob.order().getOrder({ symbol: "BTCUSDT", orderId: placed.orderId }));
    expect(read.code).toBe(Code.NotFound);
    expect(read.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-2013");
    const cancel = await failure(bob.order().cancelOrder({ symbol: "BTCUSDT", orderId: placed.orderId }));
    expect(cancel.code).toBe(Code.NotFound);
    // Still alice's, still open.
    expect((await alice.order().listOpenOrders({ symbol: "BTCUSDT" })).orders.map((o) => o.orderId)).toContain(placed.orderId);
    await alice.order().cancelOrder({ symbol: "BTCUSDT", orderId: placed.orderId });
  });

  it("lets auth's account RPCs act on the caller's own account", async () => {
    const auth = createClient(AuthService, alice.transport());
    const { sessions } = await auth.listSessions({});
    expect(sessions.length).toBeGreaterThan(0);
    expect((await failure(auth.listSessions({ userId: bob.userId }))).code).toBe(Code.PermissionDenied);
  });
});

describe("authentication", () => {
  it("refuses a call without a token, with a garbage token or with a revoked session's token", async () => {
    const anonymous = createClient(WalletService, TRANSPORTS["Connect JSON"]([]));
    expect((await failure(anonymous.getBalances({}))).code).toBe(Code.Unauthenticated);
    for (const kind of Object.keys(TRANSPORTS) as TransportName[]) {
      const garbage = createClient(OrderService, TRANSPORTS[kind]([bearer(() => "not.a.token")]));
      const error = await failure(garbage.listOpenOrders({}));
      expect(error.code).toBe(Code.Unauthenticated);
      expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1002");
    }
    const carol = await signUpAndIn("carol@example.com");
    await carol.wallet().getBalances({});
    const auth = createClient(AuthService, carol.transport());
    const [session] = (await auth.listSessions({})).sessions;
    await auth.revokeSession({ sessionId: session!.sessionId });
    expect((await failure(carol.wallet().getBalances({}))).code).toBe(Code.Unauthenticated);
  });

  it("refuses an expired access token, and applies the order-rate limit", async () => {
    // A second exchange whose access tokens live three seconds (so two to three from the sign-in:
    // exp counts whole seconds), with one new order per day (a window that does not roll mid-test).
    const shortDir = mkdtempSync(join(tmpdir(), "edge-connect-ttl-"));
    const short = await startExchange(
      { service: "all", dataDir: shortDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", AUTH_ACCESS_TTL_SECONDS: "3", EDGE_ORDERS_PER_DAY: "1" },
    );
    try {
      const transport = (token = "") => createConnectTransport({ baseUrl: `${short.listening.http1Url}/connect`, interceptors: token ? [bearer(() => token)] : [] });
      const auth = createClient(AuthService, transport());
      const { userId } = await auth.signUp({ email: "dave@example.com", password: PASSWORD });
      const { tokens } = await auth.signIn({ email: "dave@example.com", password: PASSWORD });
      const shortParts = (short.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
      const wallet = createClient(WalletService, transport(tokens!.accessToken));
      await wallet.getBalances({});
      const order = createClient(OrderService, transport(tokens!.accessToken));
      // Only a placed order counts: one refused for want of funds does not, one placed does; the next is refused at the edge.
      const unfunded = await failure(order.placeOrder(sell("30000.00")));
      expect(unfunded.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-2010");
      await shortParts.wallet.creditDeposit("dave-btc", userId, "BTC", 10n ** 8n);
      expect((await order.placeOrder(sell("30000.00"))).order?.status).toBeDefined();
      const limited = await failure(order.placeOrder(sell("30000.00")));
      expect(limited.code).toBe(Code.ResourceExhausted);
      const info = limited.findDetails(ErrorInfoSchema)[0];
      // Binance's -1015 for the order count (the request weight is far from its limit).
      expect(info).toMatchObject({ reason: "-1015", metadata: { retryAfterMs: expect.stringMatching(/^\d+$/) } });
      expect(limited.rawMessage).toBe("Too many new orders; current limit is 1 orders per DAY.");
      // Retry-After as REST sends it: whole seconds, rounded up.
      expect(limited.metadata.get("retry-after")).toBe(String(Math.ceil(Number(info!.metadata.retryAfterMs) / 1000)));
      // Valid until it expires, then refused.
      const deadline = Date.now() + 4_000;
      let expired: ConnectError | undefined;
      while (!expired && Date.now() < deadline) {
        expired = await wallet.getBalances({}).then(() => undefined, (e: unknown) => ConnectError.from(e));
        if (!expired) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(expired?.code).toBe(Code.Unauthenticated);
    } finally {
      await short.stop();
      rmSync(shortDir, { recursive: true, force: true });
    }
  });

  it("serves public market data without a token", async () => {
    const market = createClient(MarketDataService, TRANSPORTS["gRPC-Web"]([]));
    expect((await market.getServerTime({})).serverTime).toBeGreaterThan(0n);
    const order = createClient(OrderService, TRANSPORTS["Connect JSON"]([]));
    expect((await order.getExchangeInfo({})).symbols.map((s) => s.symbol)).toContain("BTCUSDT");
  });

  it("serves the same API over gRPC on the h2c port", async () => {
    const grpc = createGrpcTransport({ baseUrl: `${exchange.listening.http2Url}/connect`, interceptors: [bearer(() => alice.token)] });
    expect((await createClient(WalletService, grpc).getBalances({})).balances.map((b) => b.asset)).toContain("BTC");
    expect((await failure(createClient(WalletService, grpc).getBalances({ accountId: bob.userId }))).code).toBe(Code.PermissionDenied);
  });
});

describe("withdrawals", () => {
  const BTC = 10n ** 8n;
  const address = "bc1qexampleexampleexampleexampleexample0";
  const withdraw = (withdrawalId: string, amount: string, totpCode = "") => ({ withdrawalId, asset: "BTC", network: "BTC", amount, address, totpCode });
  const authStore = () => (exchange.modules.find((module) => module.name === "auth") as unknown as AuthModule).store;
  /** As if the last security change were 25 h ago: the 24 h withdrawal lock has run out. */
  const ageLock = (userId: string) => authStore().markSecurityChange(userId, Date.now() - 25 * 60 * 60 * 1000);

  it("takes the caller's own withdrawal and holds it for approval above the asset's threshold", async () => {
    const carla = await signUpAndIn("carla@example.com");
    await parts.wallet.creditDeposit("fund-carla-btc", carla.userId, "BTC", 20n * BTC);
    const { withdrawal } = await carla.wallet().requestWithdrawal(withdraw("carla-w1", "12"));
    expect(withdrawal).toMatchObject({ withdrawalId: "carla-w1", accountId: carla.userId, asset: "BTC", amount: "12.00000000", status: TransferStatus.AWAITING_APPROVAL });
    expect((await carla.wallet("gRPC-Web").getBalances({ assets: ["BTC"] })).balances[0]).toMatchObject({ free: "8.00000000", pendingWithdrawal: "12.00000000" });
    expect((await carla.wallet().listWithdrawals({})).withdrawals.map((w) => w.withdrawalId)).toEqual(["carla-w1"]);
    expect(await carla.wallet().getFeeRates({})).toMatchObject({ tier: 0, makerBps: 10, takerBps: 10 });
    expect((await failure(carla.wallet().getFeeRates({ accountId: bob.userId }))).code).toBe(Code.PermissionDenied);
    // Its own allow-list: read, and replaced (no MFA, no lock for carla).
    expect(await carla.wallet().getWithdrawalAllowList({})).toMatchObject({ enabled: false, entries: [] });
    expect(await carla.wallet("Connect binary").setWithdrawalAllowList({ enabled: true, entries: [{ address, memo: "" }] })).toMatchObject({ enabled: true, entries: [{ address }] });
  });

  it("refuses to withdraw from, or read or set the allow-list of, another account", async () => {
    const before = (await bob.wallet().getBalances({})).balances;
    for (const kind of Object.keys(TRANSPORTS) as TransportName[]) {
      const wallet = alice.wallet(kind);
      for (const call of [
        () => wallet.requestWithdrawal({ ...withdraw(`steal-${kind}`, "0.01"), accountId: bob.userId }),
        () => wallet.getWithdrawalAllowList({ accountId: bob.userId }),
        () => wallet.setWithdrawalAllowList({ accountId: bob.userId, enabled: true, entries: [{ address, memo: "" }] }),
      ]) {
        // one call at a time: a call made before the previous one's answer was awaited rejects unobserved
        const refused = await failure(call());
        expect(refused.code).toBe(Code.PermissionDenied);
        expect(refused.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "-2015", metadata: { userId: bob.userId } });
      }
    }
    expect((await bob.wallet().getBalances({})).balances).toEqual(before);
    expect((await bob.wallet().listWithdrawals({})).withdrawals).toEqual([]);
    expect(await bob.wallet().getWithdrawalAllowList({})).toMatchObject({ enabled: false, entries: [] });
  });

  it("refuses a locked principal, then wants the MFA user's right TOTP code (checked by wallet through auth)", async () => {
    const grace = await signUpAndIn("grace@example.com");
    await parts.wallet.creditDeposit("fund-grace-btc", grace.userId, "BTC", BTC);
    const auth = createClient(AuthService, grace.transport());
    const { secret } = await auth.enrollTotp({});
    const confirmedAt = Date.now();
    await auth.confirmTotp({ code: await generate({ secret, epoch: Math.floor(confirmedAt / 1000) }) });

    // Enabling MFA is a security change: withdrawals and allow-list changes wait 24 h.
    for (const call of [() => grace.wallet().requestWithdrawal(withdraw("grace-locked", "0.1")), () => grace.wallet("gRPC-Web").setWithdrawalAllowList({ enabled: true, entries: [{ address, memo: "" }] })]) {
      const locked = await failure(call());
      expect(locked.code).toBe(Code.FailedPrecondition);
      expect(locked.rawMessage).toMatch(/^Withdrawals are locked until \d{4}-\d\d-\d\dT.+Z after a security change/);
      expect(locked.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "-4000", metadata: { key: "WITHDRAWALS_LOCKED", lockedUntil: expect.stringMatching(/^\d+$/) } });
    }
    // Reading stays allowed.
    expect((await grace.wallet().getWithdrawalAllowList({})).enabled).toBe(false);

    await ageLock(grace.userId);
    // The step after the one ConfirmTotp used (each step counts once; auth accepts one step of drift).
    const right = await generate({ secret, epoch: Math.floor(confirmedAt / 1000) + 30 });
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, "0");
    const missing = await failure(grace.wallet().requestWithdrawal(withdraw("grace-w1", "0.1")));
    expect(missing.code).toBe(Code.PermissionDenied);
    expect(missing.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "-1002", metadata: { key: "MFA_REQUIRED" } });
    expect(missing.rawMessage).toMatch(/code required/);
    const mistaken = await failure(grace.wallet().requestWithdrawal(withdraw("grace-w1", "0.1", wrong)));
    expect(mistaken.code).toBe(Code.PermissionDenied);
    expect(mistaken.rawMessage).toMatch(/Invalid two-factor/);
    expect((await grace.wallet().listWithdrawals({})).withdrawals).toEqual([]);

    const { withdrawal } = await grace.wallet("Connect binary").requestWithdrawal(withdraw("grace-w1", "0.1", right));
    expect(withdrawal).toMatchObject({ withdrawalId: "grace-w1", accountId: grace.userId, amount: "0.10000000" });
    expect([TransferStatus.PENDING, TransferStatus.COMPLETED]).toContain(withdrawal!.status);
    const btc = (await grace.wallet().getBalances({ assets: ["BTC"] })).balances[0]!;
    expect(btc.free).toBe("0.90000000");
  });

  it("refuses a withdrawal after a password change, on the new session too", async () => {
    const heidi = await signUpAndIn("heidi@example.com");
    const newPassword = "another horse battery staple";
    await createClient(AuthService, heidi.transport()).changePassword({ currentPassword: PASSWORD, newPassword });
    const { tokens } = await createClient(AuthService, TRANSPORTS["Connect JSON"]([])).signIn({ email: "heidi@example.com", password: newPassword });
    const wallet = createClient(WalletService, TRANSPORTS["Connect JSON"]([bearer(() => tokens!.accessToken)]));
    const locked = await failure(wallet.requestWithdrawal(withdraw("heidi-w1", "0.01")));
    expect(locked.code).toBe(Code.FailedPrecondition);
    expect(locked.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: "-4000" });
  });
});

describe("internal RPCs", () => {
  it("are unreachable: Unimplemented inside an allowed service, and other services are not routed", async () => {
    const before = (await alice.wallet().getBalances({ assets: ["BTC"] })).balances;
    for (const kind of Object.keys(TRANSPORTS) as TransportName[]) {
      const wallet = alice.wallet(kind);
      const credit = await failure(wallet.creditAccount({ creditId: `door-${kind}`, accountId: alice.userId, asset: "BTC", amount: "1000", reason: "free money" }));
      expect(credit.code).toBe(Code.Unimplemented);
      expect((await failure(wallet.approveWithdrawal({ withdrawalId: "w" }))).code).toBe(Code.Unimplemented);
      const auth = createClient(AuthService, alice.transport(kind));
      expect((await failure(auth.authenticate({ credential: { case: "bearerToken", value: alice.token } }))).code).toBe(Code.Unimplemented);
      const matching = createClient(MatchingService, alice.transport(kind));
      expect((await failure(matching.getBook({ symbol: "BTCUSDT" } as never))).code).toBe(Code.Unimplemented);
    }
    expect((await alice.wallet().getBalances({ assets: ["BTC"] })).balances).toEqual(before);
  });
});

describe("streams", () => {
  it("streams public trades and the caller's own order updates", async () => {
    const controller = new AbortController();
    const trades = createClient(MarketDataService, TRANSPORTS["gRPC-Web"]([])).streamTrades({ symbol: "BTCUSDT" }, { signal: controller.signal })[Symbol.asyncIterator]();
    const updates = alice.order("Connect binary").streamOrderUpdates({}, { signal: controller.signal })[Symbol.asyncIterator]();
    const within = <T>(next: Promise<T>) => Promise.race([next, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 250))]);
    try {
      // The streams have no history: trade until each has heard something (they open within a round trip or two).
      const nextTrade = trades.next();
      const nextUpdate = updates.next();
      let trade: PublicTrade | undefined;
      let update: OrderUpdate | undefined;
      const soldIds: bigint[] = [];
      for (let attempt = 0; attempt < 20 && !(trade && update); attempt++) {
        soldIds.push((await alice.order().placeOrder(sell("30000.00", "0.00100000"))).order!.orderId);
        await bob.order().placeOrder(buy("30000.00", "0.00100000"));
        trade ??= (await within(nextTrade))?.value?.trade;
        update ??= (await within(nextUpdate))?.value?.update;
      }
      expect(trade).toMatchObject({ symbol: "BTCUSDT", price: "30000.00000000", qty: "0.00100000" });
      expect(update?.order?.accountId).toBe(alice.userId);
      expect(soldIds).toContain(update?.order?.orderId);
    } finally {
      controller.abort();
    }
  });
});

describe("balance updates", () => {
  it("streams the caller's own balance updates from its cursor, and refuses another account's", async () => {
    const controller = new AbortController();
    try {
      const stream = alice.wallet("Connect binary").streamBalanceUpdates({}, { signal: controller.signal })[Symbol.asyncIterator]();
      const start = (await stream.next()).value!;
      expect(start.update).toBeUndefined();
      await parts.wallet.creditDeposit("connect-bob-eth", bob.userId, "ETH", 5n);
      await parts.wallet.creditDeposit("connect-alice-btc", alice.userId, "BTC", 12_345n);
      const next = (await stream.next()).value!;
      expect(next.update).toMatchObject({ accountId: alice.userId, asset: "BTC", delta: "0.00012345" });
      // Resumed from the starting cursor: the same update, and nothing of bob's before it.
      const resumed = alice.wallet("gRPC-Web").streamBalanceUpdates({ cursor: start.cursor }, { signal: controller.signal })[Symbol.asyncIterator]();
      expect((await resumed.next()).value!.cursor).toBe(start.cursor);
      expect((await resumed.next()).value!).toEqual(next);
      const foreign = bob.wallet().streamBalanceUpdates({ accountId: alice.userId }, { signal: controller.signal })[Symbol.asyncIterator]();
      expect((await failure(foreign.next())).code).toBe(Code.PermissionDenied);
    } finally {
      controller.abort();
    }
  });
});

describe("plain HTTP", () => {
  it("answers a JSON POST as curl would send it, and errors as Connect JSON without a stack", async () => {
    const url = `${baseUrl}/exchange.wallet.v1.WalletService/GetBalances`;
    const ok = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${alice.token}` }, body: JSON.stringify({ assets: ["BTC"] }) });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { balances: { asset: string; free: string }[] };
    expect(body.balances[0]).toMatchObject({ asset: "BTC" });

    const refused = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${bob.token}` }, body: JSON.stringify({ accountId: alice.userId }) });
    expect(refused.status).toBe(403);
    const error = (await refused.json()) as { code: string; message: string; details: { type: string }[] };
    expect(error).toMatchObject({ code: "permission_denied" });
    expect(error.details.map((d) => d.type)).toContain("google.rpc.ErrorInfo");
    expect(JSON.stringify(error)).not.toMatch(/\bat .*\.ts:\d+/);

    const anonymous = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(anonymous.status).toBe(401);
  });
});

describe("CORS", () => {
  const url = () => `${baseUrl}/exchange.order.v1.OrderService/PlaceOrder`;
  const preflight = (origin: string) =>
    fetch(url(), { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type, connect-protocol-version" } });

  it("answers a preflight from an allowed origin with the Connect and gRPC-Web headers", async () => {
    const response = await preflight(APP_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(response.headers.get("access-control-allow-credentials")).toBeNull();
    const allowed = (response.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(/,\s*/);
    expect(allowed).toEqual(expect.arrayContaining(["authorization", "content-type", "connect-protocol-version", "x-grpc-web", "grpc-timeout"]));
    expect(response.headers.get("access-control-allow-methods")).toMatch(/POST/);
  });

  it("gives another origin no CORS headers", async () => {
    const response = await preflight("https://evil.example.com");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    expect(response.headers.get("access-control-allow-headers")).toBeNull();
    const actual = await fetch(`${baseUrl}/exchange.marketdata.v1.MarketDataService/Ping`, { method: "POST", headers: { origin: "https://evil.example.com", "content-type": "application/json" }, body: "{}" });
    expect(actual.status).toBe(200);
    expect(actual.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("lets an allowed origin read the answer and its headers", async () => {
    const response = await fetch(`${baseUrl}/exchange.marketdata.v1.MarketDataService/Ping`, { method: "POST", headers: { origin: APP_ORIGIN, "content-type": "application/json" }, body: "{}" });
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect((response.headers.get("access-control-expose-headers") ?? "").toLowerCase()).toMatch(/grpc-status.*x-mbx-used-weight-1m/);
  });
});
