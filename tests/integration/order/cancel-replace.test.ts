import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { create } from "@bufbuild/protobuf";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { CancelReplaceMode, CancelRestrictions, OperationResult, OrderService, PlaceOrderRequestSchema, type PlaceOrderRequest } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { expectConserved } from "../wallet/ledger-store.contract.js";
import { balanceOf } from "./support.js";

// CancelReplaceOrder over real gRPC with the whole exchange in one process: the old order's
// hold is released before the new one is taken (so a replacement may use the same funds), the
// two modes, failures reported per half, retries by client order id, account isolation, and
// bad requests that change nothing.

let dataDir: string;
let exchange: RunningExchange;
let orders: Client<typeof OrderService>;
let wallet: Client<typeof WalletService>;
let parts: WalletParts;

const SYMBOL = "BTCUSDT";

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "cancel-replace-"));
  exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "warn" });
  const transport = createGrpcTransport({ baseUrl: exchange.listening.http2Url });
  orders = createClient(OrderService, transport);
  wallet = createClient(WalletService, transport);
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  // carol: exactly 3000 USDT, so a replacement only fits once the old hold is gone.
  await parts.wallet.creditDeposit("cr-carol-usdt", "carol", "USDT", 3_000n * 10n ** 8n);
  await parts.wallet.creditDeposit("cr-dave-btc", "dave", "BTC", 1n * 10n ** 8n);
  await parts.wallet.creditDeposit("cr-dave-usdt", "dave", "USDT", 10_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const limitBuy = (accountId: string, quantity: string, price: string, clientOrderId = ""): PlaceOrderRequest =>
  create(PlaceOrderRequestSchema, { accountId, symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity, price, clientOrderId });

function replace(accountId: string, cancel: { orderId?: bigint; origClientOrderId?: string }, place: PlaceOrderRequest, extra: { mode?: CancelReplaceMode; cancelRestrictions?: CancelRestrictions } = {}) {
  return orders.cancelReplaceOrder({ cancel: { accountId, symbol: SYMBOL, orderId: cancel.orderId ?? 0n, origClientOrderId: cancel.origClientOrderId ?? "" }, place, ...extra });
}

const errorOf = async (promise: Promise<unknown>) => ConnectError.from(await promise.then(() => undefined, (e: unknown) => e));
const reasonOf = (error: ConnectError) => error.findDetails(ErrorInfoSchema)[0]?.reason;

describe("CancelReplaceOrder", () => {
  it("cancels, releases the old hold and takes the new one, with exact balances", async () => {
    const old = (await orders.placeOrder(limitBuy("carol", "0.1", "29000", "carol-old"))).order!;
    expect(await balanceOf(wallet, "carol", "USDT")).toMatchObject({ free: "100.00000000", locked: "2900.00000000" });

    // 0.1 x 30000 = 3000 USDT: only fits because the 2900 held for the old order is released first.
    const answer = await replace("carol", { orderId: old.orderId }, limitBuy("carol", "0.1", "30000", "carol-new"));
    expect(answer.cancelResult).toBe(OperationResult.SUCCESS);
    expect(answer.newOrderResult).toBe(OperationResult.SUCCESS);
    expect(answer.canceled).toMatchObject({ orderId: old.orderId, status: OrderStatus.CANCELED, clientOrderId: "carol-old" });
    expect(answer.placed).toMatchObject({ status: OrderStatus.NEW, clientOrderId: "carol-new", price: "30000.00000000", origQty: "0.10000000" });
    expect(answer.placed!.orderId).toBeGreaterThan(old.orderId);
    expect(await balanceOf(wallet, "carol", "USDT")).toMatchObject({ free: "0.00000000", locked: "3000.00000000" });
    expect((await orders.listOpenOrders({ accountId: "carol", symbol: SYMBOL })).orders.map((o) => o.orderId)).toEqual([answer.placed!.orderId]);
    await expectConserved(parts.store);
  });

  it("answers a retry with the same new client order id without canceling or placing again", async () => {
    const before = (await orders.listOrders({ accountId: "carol", symbol: SYMBOL, page: { pageSize: 1000 } })).orders.length;
    const retry = await replace("carol", { origClientOrderId: "carol-old" }, limitBuy("carol", "0.1", "30000", "carol-new"));
    expect(retry.cancelResult).toBe(OperationResult.SUCCESS);
    expect(retry.newOrderResult).toBe(OperationResult.SUCCESS);
    expect(retry.canceled).toMatchObject({ clientOrderId: "carol-old", status: OrderStatus.CANCELED });
    expect(retry.placed).toMatchObject({ clientOrderId: "carol-new", status: OrderStatus.NEW });
    expect((await orders.listOrders({ accountId: "carol", symbol: SYMBOL, page: { pageSize: 1000 } })).orders).toHaveLength(before);
    expect(await balanceOf(wallet, "carol", "USDT")).toMatchObject({ free: "0.00000000", locked: "3000.00000000" });
  });

  it("STOP_ON_FAILURE: a cancel that fails places nothing", async () => {
    const before = await balanceOf(wallet, "carol", "USDT");
    const count = (await orders.listOrders({ accountId: "carol", symbol: SYMBOL, page: { pageSize: 1000 } })).orders.length;
    const answer = await replace("carol", { orderId: 999_999n }, limitBuy("carol", "0.001", "10000", "carol-stop"), { mode: CancelReplaceMode.STOP_ON_FAILURE });
    expect(answer.cancelResult).toBe(OperationResult.FAILURE);
    expect(answer.cancelError).toMatchObject({ code: -2011, message: "Unknown order sent." });
    expect(answer.newOrderResult).toBe(OperationResult.NOT_ATTEMPTED);
    expect(answer.placed).toBeUndefined();
    expect((await orders.listOrders({ accountId: "carol", symbol: SYMBOL, page: { pageSize: 1000 } })).orders).toHaveLength(count);
    expect(await balanceOf(wallet, "carol", "USDT")).toEqual(before);
  });

  it("another account's order answers like a missing one, and stays open", async () => {
    const theirs = (await orders.listOpenOrders({ accountId: "carol", symbol: SYMBOL })).orders[0]!;
    const answer = await replace("dave", { orderId: theirs.orderId }, limitBuy("dave", "0.001", "10000", "dave-steal"));
    expect(answer.cancelResult).toBe(OperationResult.FAILURE);
    expect(answer.cancelError).toMatchObject({ code: -2011, message: "Unknown order sent." });
    expect(answer.newOrderResult).toBe(OperationResult.NOT_ATTEMPTED);
    expect((await orders.getOrder({ accountId: "carol", symbol: SYMBOL, orderId: theirs.orderId })).order?.status).toBe(OrderStatus.NEW);
    const byClientId = await replace("dave", { origClientOrderId: "carol-new" }, limitBuy("dave", "0.001", "10000", "dave-steal"));
    expect(byClientId.cancelError).toMatchObject({ code: -2011 });
  });

  it("ALLOW_FAILURE: places the new order although the cancel failed", async () => {
    const answer = await replace("dave", { orderId: 999_998n }, limitBuy("dave", "0.01", "20000", "dave-allow"), { mode: CancelReplaceMode.ALLOW_FAILURE });
    expect(answer.cancelResult).toBe(OperationResult.FAILURE);
    expect(answer.cancelError?.code).toBe(-2011);
    expect(answer.newOrderResult).toBe(OperationResult.SUCCESS);
    expect(answer.placed).toMatchObject({ clientOrderId: "dave-allow", status: OrderStatus.NEW });
    expect(await balanceOf(wallet, "dave", "USDT")).toMatchObject({ free: "9800.00000000", locked: "200.00000000" });
  });

  it("reports a new order that fails after a successful cancel, with the old hold released", async () => {
    const old = (await orders.placeOrder(limitBuy("dave", "0.01", "19000", "dave-old2"))).order!;
    expect(await balanceOf(wallet, "dave", "USDT")).toMatchObject({ free: "9610.00000000", locked: "390.00000000" });
    // 1 BTC at 20000 = 20000 USDT: more than dave has even with the old hold released.
    const answer = await replace("dave", { orderId: old.orderId }, limitBuy("dave", "1", "20000", "dave-too-big"));
    expect(answer.cancelResult).toBe(OperationResult.SUCCESS);
    expect(answer.canceled).toMatchObject({ orderId: old.orderId, status: OrderStatus.CANCELED });
    expect(answer.newOrderResult).toBe(OperationResult.FAILURE);
    expect(answer.newOrderError?.code).toBe(-2010);
    expect(await balanceOf(wallet, "dave", "USDT")).toMatchObject({ free: "9800.00000000", locked: "200.00000000" });
    await expectConserved(parts.store);
  });

  it("applies cancelRestrictions to the order's status", async () => {
    const old = (await orders.placeOrder(limitBuy("dave", "0.01", "18000", "dave-restricted"))).order!;
    const answer = await replace("dave", { orderId: old.orderId }, limitBuy("dave", "0.01", "18100", "dave-r2"), { cancelRestrictions: CancelRestrictions.ONLY_PARTIALLY_FILLED });
    expect(answer.cancelResult).toBe(OperationResult.FAILURE);
    expect(answer.cancelError).toMatchObject({ code: -2011, message: "Order was not canceled due to cancel restrictions." });
    expect(answer.newOrderResult).toBe(OperationResult.NOT_ATTEMPTED);
    expect((await orders.getOrder({ accountId: "dave", symbol: SYMBOL, orderId: old.orderId })).order?.status).toBe(OrderStatus.NEW);
    const allowed = await replace("dave", { orderId: old.orderId }, limitBuy("dave", "0.01", "18100", "dave-r3"), { cancelRestrictions: CancelRestrictions.ONLY_NEW });
    expect([allowed.cancelResult, allowed.newOrderResult]).toEqual([OperationResult.SUCCESS, OperationResult.SUCCESS]);
  });

  it("refuses bad requests before canceling anything", async () => {
    const open = (await orders.listOpenOrders({ accountId: "dave", symbol: SYMBOL })).orders;
    const usdt = await balanceOf(wallet, "dave", "USDT");
    const target = open[0]!.orderId;
    // New order failing its filters (price off the tick): -1013, the old order stays.
    const filter = await errorOf(replace("dave", { orderId: target }, limitBuy("dave", "0.01", "18100.001", "dave-bad1")));
    expect(reasonOf(filter)).toBe("-1013");
    // Neither cancel id: -1102.
    expect(reasonOf(await errorOf(replace("dave", {}, limitBuy("dave", "0.01", "18100", "dave-bad2"))))).toBe("-1102");
    // cancel and place for different accounts: -1130.
    const mixed = await errorOf(replace("dave", { orderId: target }, limitBuy("carol", "0.01", "18100", "dave-bad3")));
    expect(reasonOf(mixed)).toBe("-1130");
    // Unknown symbol: -1121.
    const unknown = await errorOf(
      orders.cancelReplaceOrder({ cancel: { accountId: "dave", symbol: "NOPE1", orderId: target }, place: { ...limitBuy("dave", "0.01", "18100"), symbol: "NOPE1" } }),
    );
    expect(reasonOf(unknown)).toBe("-1121");
    expect((await orders.listOpenOrders({ accountId: "dave", symbol: SYMBOL })).orders).toEqual(open);
    expect(await balanceOf(wallet, "dave", "USDT")).toEqual(usdt);
  });
});
