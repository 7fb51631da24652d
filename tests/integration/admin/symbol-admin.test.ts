import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { SymbolAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { OrderStatus, OrderType, Side, SymbolStatus, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { failure, startEmbedded, type Embedded, type Person } from "./support.js";
import { until } from "../../support/until.js";

// The symbol lifecycle from the back office (exchange.admin.v1.SymbolAdminService on order's internal port), and
// what users then see through the edge: orders refused with Binance's -2010 "Market is closed.", cancels allowed
// where they should be, exchangeInfo's status. Every change is in order's audit log; a caller without the
// operator role changes nothing.

let env: Embedded;
let operator: Person;
let admin: Person;
let user: Person;
let trader: Person;
let seller: Person;
let ops: Client<typeof SymbolAdminService>;

beforeAll(async () => {
  env = await startEmbedded("symbol-admin-");
  operator = await env.signUp("operator@example.com", ["user", "operator"]);
  admin = await env.signUp("admin@example.com", ["user", "admin"]);
  user = await env.signUp("user@example.com");
  trader = await env.signUp("trader@example.com");
  seller = await env.signUp("seller@example.com");
  ops = createClient(SymbolAdminService, operator.internal);
  await env.wallet.wallet.creditDeposit("fund-trader-usdt", trader.userId, "USDT", 1_000_000n * 10n ** 8n);
  await env.wallet.wallet.creditDeposit("fund-trader-btc", trader.userId, "BTC", 10n * 10n ** 8n);
  await env.wallet.wallet.creditDeposit("fund-seller-eth", seller.userId, "ETH", 100n * 10n ** 18n);
}, 60_000);

afterAll(async () => {
  await env?.exchange.stop();
  if (env) rmSync(env.dataDir, { recursive: true, force: true });
});

const buy = (symbol: string, price: string, quantity = "0.1") => ({ symbol, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price, quantity });

async function statusOf(symbol: string): Promise<SymbolStatus> {
  const { symbols } = await ops.listSymbols({});
  return symbols.find((s) => s.symbol === symbol)!.status;
}

async function restStatus(symbol: string): Promise<string> {
  const response = await fetch(`${env.exchange.listening.http1Url}/api/v3/exchangeInfo?symbol=${symbol}`);
  const body = (await response.json()) as { symbols?: { status: string }[] };
  return body.symbols?.[0]?.status ?? "(not listed)";
}

/** The edge caches exchangeInfo for a few seconds: poll it (every 100 ms: exchangeInfo weighs 20 against the IP's limit). */
async function untilRestStatus(symbol: string, status: string): Promise<void> {
  await until(async () => (await restStatus(symbol)) === status, 10_000, 100);
}

async function expectMarketClosed(call: Promise<unknown>): Promise<void> {
  const error = await failure(call);
  expect(error.code).toBe(Code.FailedPrecondition);
  expect(error.rawMessage).toBe("Market is closed.");
  expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-2010");
}

describe("who may run the back office", () => {
  it("refuses a caller without a token (Unauthenticated) and a user without the role (PermissionDenied), changing nothing", async () => {
    const before = (await ops.listSymbolAudit({})).entries.length;
    const anonymous = createClient(SymbolAdminService, env.anonymous);
    expect((await failure(anonymous.haltSymbols({ reason: "no token" }))).code).toBe(Code.Unauthenticated);
    const plain = createClient(SymbolAdminService, user.internal);
    for (const call of [
      () => plain.haltSymbols({ reason: "not mine to halt" }),
      () => plain.setSymbolStatus({ symbol: "BTCUSDT", status: SymbolStatus.BREAK, reason: "x" }),
      () => plain.listSymbolAudit({}),
      () => plain.listSymbols({}),
    ]) {
      const error = await failure(call());
      expect(error.code).toBe(Code.PermissionDenied);
    }
    expect(await statusOf("BTCUSDT")).toBe(SymbolStatus.TRADING);
    expect(await statusOf("ETHUSDT")).toBe(SymbolStatus.TRADING);
    expect((await ops.listSymbolAudit({})).entries.length).toBe(before);
    // A user's order still trades: nothing was halted.
    const order = createClient(OrderService, trader.edge);
    const placed = await order.placeOrder(buy("BTCUSDT", "100.00"));
    await order.cancelOrder({ symbol: "BTCUSDT", orderId: placed.order!.orderId });
  });

  it("lets an admin act too (admin holds every role)", async () => {
    const { symbols } = await createClient(SymbolAdminService, admin.internal).listSymbols({});
    expect(symbols.map((s) => s.symbol)).toEqual(expect.arrayContaining(["BTCUSDT", "ETHUSDT"]));
  });
});

describe("halt, cancel-only, resume", () => {
  it("halts a symbol: new orders get -2010 'Market is closed.' through the edge, cancels still work, exchangeInfo says HALT", async () => {
    const order = createClient(OrderService, trader.edge);
    const resting = (await order.placeOrder(buy("BTCUSDT", "100.00"))).order!;
    const halted = await ops.setSymbolStatus({ symbol: "BTCUSDT", status: SymbolStatus.HALT, reason: "incident 42" });
    expect(halted.symbol?.status).toBe(SymbolStatus.HALT);
    expect(halted.audit).toMatchObject({ actor: operator.userId, action: "symbol.halt", target: "BTCUSDT", reason: "incident 42" });
    expect(JSON.parse(halted.audit!.beforeJson).status).toBe("TRADING");
    expect(JSON.parse(halted.audit!.afterJson).status).toBe("HALT");
    await expectMarketClosed(order.placeOrder(buy("BTCUSDT", "101.00")));
    // The other symbol trades on.
    const eth = (await order.placeOrder(buy("ETHUSDT", "100.00", "0.1"))).order!;
    await order.cancelOrder({ symbol: "ETHUSDT", orderId: eth.orderId });
    // HALT still takes cancels (Binance's kill switch stops trading, not the way out).
    expect((await order.cancelOrder({ symbol: "BTCUSDT", orderId: resting.orderId })).order?.status).toBe(OrderStatus.CANCELED);
    await untilRestStatus("BTCUSDT", "HALT");
  });

  it("cancel-only refuses new orders and takes cancels; resuming trades again", async () => {
    const order = createClient(OrderService, trader.edge);
    await ops.setSymbolStatus({ symbol: "BTCUSDT", status: SymbolStatus.TRADING, reason: "incident 42 over" });
    const resting = (await order.placeOrder(buy("BTCUSDT", "100.00"))).order!;
    await ops.setSymbolStatus({ symbol: "BTCUSDT", status: SymbolStatus.CANCEL_ONLY, reason: "maintenance" });
    await expectMarketClosed(order.placeOrder(buy("BTCUSDT", "100.00")));
    expect((await order.cancelOrder({ symbol: "BTCUSDT", orderId: resting.orderId })).order?.status).toBe(OrderStatus.CANCELED);
    const resumed = await ops.setSymbolStatus({ symbol: "BTCUSDT", status: SymbolStatus.TRADING, reason: "maintenance done" });
    expect(resumed.audit?.action).toBe("symbol.resume");
    const again = (await order.placeOrder(buy("BTCUSDT", "100.00"))).order!;
    expect(again.status).toBe(OrderStatus.NEW);
    await order.cancelOrder({ symbol: "BTCUSDT", orderId: again.orderId });
    await untilRestStatus("BTCUSDT", "TRADING");
  });

  it("the kill switch halts every symbol at once, each in the audit log", async () => {
    const order = createClient(OrderService, trader.edge);
    const { symbols, audit } = await ops.haltSymbols({ reason: "market-wide stop" });
    expect(symbols.map((s) => [s.symbol, s.status])).toEqual(expect.arrayContaining([["BTCUSDT", SymbolStatus.HALT], ["ETHUSDT", SymbolStatus.HALT]]));
    expect(audit.every((entry) => entry.action === "symbol.kill-switch" && entry.actor === operator.userId && entry.reason === "market-wide stop")).toBe(true);
    await expectMarketClosed(order.placeOrder(buy("BTCUSDT", "100.00")));
    await expectMarketClosed(order.placeOrder(buy("ETHUSDT", "100.00", "0.1")));
    for (const symbol of ["BTCUSDT", "ETHUSDT"]) await ops.setSymbolStatus({ symbol, status: SymbolStatus.TRADING, reason: "stop lifted" });
    const placed = (await order.placeOrder(buy("ETHUSDT", "100.00", "0.1"))).order!;
    await order.cancelOrder({ symbol: "ETHUSDT", orderId: placed.orderId });
  });

  it("refuses an unknown symbol with -1121 and records nothing", async () => {
    const before = (await ops.listSymbolAudit({})).entries[0]?.id;
    const error = await failure(ops.setSymbolStatus({ symbol: "NOPEUSDT", status: SymbolStatus.HALT, reason: "x" }));
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1121");
    expect((await ops.listSymbolAudit({ limit: 1 })).entries[0]?.id).toBe(before);
  });
});

describe("listing and delisting", () => {
  const filters = { tickSize: "0.00001", stepSize: "0.001", minPrice: "0.00001", maxPrice: "100", minQty: "0.001", maxQty: "10000", minNotional: "0.0001", maxNotional: "1000", marketBandBps: 500 };

  it("refuses filters whose tick x lot is not a whole number of quote units, and unknown assets", async () => {
    expect((await failure(ops.addSymbol({ symbol: "ETHBTC", baseAsset: "ETH", quoteAsset: "BTC", filters: { ...filters, stepSize: "0.0001" }, reason: "listing" }))).code).toBe(Code.InvalidArgument);
    expect((await failure(ops.addSymbol({ symbol: "DOGEBTC", baseAsset: "DOGE", quoteAsset: "BTC", filters, reason: "listing" }))).code).toBe(Code.InvalidArgument);
    expect((await failure(ops.addSymbol({ symbol: "ETHBTC", baseAsset: "ETH", quoteAsset: "BTC", filters: { ...filters, avgPriceMins: 61 }, reason: "listing" }))).code).toBe(Code.InvalidArgument);
    expect((await ops.listSymbols({})).symbols.some((s) => s.symbol === "ETHBTC")).toBe(false);
  });

  it("lists a symbol halted, opens it, and it trades through the edge", async () => {
    const added = await ops.addSymbol({ symbol: "ETHBTC", baseAsset: "ETH", quoteAsset: "BTC", filters: { ...filters, avgPriceMins: 1 }, reason: "listing ETHBTC" });
    expect(added.symbol).toMatchObject({ symbol: "ETHBTC", status: SymbolStatus.HALT, baseAssetPrecision: 18, quoteAssetPrecision: 8, filters: { avgPriceMins: 1 } });
    // A symbol listed without it averages Binance's 5 minutes.
    expect((await ops.listSymbols({})).symbols.find((s) => s.symbol === "BTCUSDT")?.filters?.avgPriceMins).toBe(5);
    expect(added.audit).toMatchObject({ action: "symbol.add", target: "ETHBTC", beforeJson: "" });
    expect((await failure(ops.addSymbol({ symbol: "ETHBTC", baseAsset: "ETH", quoteAsset: "BTC", filters, reason: "again" }))).code).toBe(Code.AlreadyExists);
    const order = createClient(OrderService, trader.edge);
    await expectMarketClosed(order.placeOrder(buy("ETHBTC", "0.05000", "1.000")));
    await ops.setSymbolStatus({ symbol: "ETHBTC", status: SymbolStatus.TRADING, reason: "open ETHBTC" });
    const sell = (await createClient(OrderService, seller.edge).placeOrder({ ...buy("ETHBTC", "0.05000", "1.000"), side: Side.SELL })).order!;
    const bought = (await order.placeOrder(buy("ETHBTC", "0.05000", "1.000"))).order!;
    expect(bought.status).toBe(OrderStatus.FILLED);
    expect(bought.executedQty).toBe("1.000000000000000000");
    expect((await createClient(OrderService, seller.edge).getOrder({ symbol: "ETHBTC", orderId: sell.orderId })).order?.status).toBe(OrderStatus.FILLED);
    await untilRestStatus("ETHBTC", "TRADING");
    // exchangeInfo reports the symbol's window on the filters that use it.
    const info = (await (await fetch(`${env.exchange.listening.http1Url}/api/v3/exchangeInfo?symbol=ETHBTC`)).json()) as { symbols: { filters: { filterType: string; avgPriceMins?: number }[] }[] };
    expect(info.symbols[0]!.filters.filter((f) => f.avgPriceMins !== undefined).map((f) => [f.filterType, f.avgPriceMins])).toEqual([
      ["NOTIONAL", 1],
      ["PERCENT_PRICE_BY_SIDE", 1],
    ]);
  });

  it("delists: open orders are canceled and their funds released, then nothing is accepted", async () => {
    const order = createClient(OrderService, trader.edge);
    const wallet = createClient(WalletService, trader.edge);
    const locked = async () => (await wallet.getBalances({ assets: ["BTC"] })).balances[0]?.locked;
    const resting = (await order.placeOrder(buy("ETHBTC", "0.04000", "2.000"))).order!;
    expect(await locked()).not.toBe("0.00000000");
    const delisted = await ops.delistSymbol({ symbol: "ETHBTC", reason: "delisting ETHBTC" });
    expect(delisted.canceledOrders).toBe(1);
    expect(delisted.symbol?.status).toBe(SymbolStatus.BREAK);
    expect(JSON.parse(delisted.audit!.afterJson)).toMatchObject({ status: "BREAK", canceledOrders: 1 });
    expect((await order.getOrder({ symbol: "ETHBTC", orderId: resting.orderId })).order?.status).toBe(OrderStatus.CANCELED);
    expect(await locked()).toBe("0.00000000");
    await expectMarketClosed(order.placeOrder(buy("ETHBTC", "0.04000", "1.000")));
  });

  it("keeps every action in the audit log, newest first, by pages", async () => {
    const { entries } = await ops.listSymbolAudit({ limit: 3 });
    expect(entries.map((e) => e.action)).toEqual(["symbol.delist", "symbol.resume", "symbol.add"]);
    expect(entries.every((e) => e.actor === operator.userId && e.time > 0n)).toBe(true);
    const older = await ops.listSymbolAudit({ beforeId: entries[2]!.id, limit: 1000 });
    expect(older.entries[0]!.id).toBeLessThan(entries[2]!.id);
    expect(older.entries.at(-1)?.action).toBe("symbol.halt");
  });
});
