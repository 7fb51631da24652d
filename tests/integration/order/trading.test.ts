import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { expectConserved } from "../wallet/ledger-store.contract.js";
import { balanceOf } from "./support.js";

// The whole path of an order in embedded mode, over real HTTP/2 gRPC: order validates and
// holds funds in wallet, matching fills it, order settles the trade in wallet (fees to the
// fee account) and releases what is left of each hold. Funds are conserved throughout.

let dataDir: string;
let exchange: RunningExchange;
let orders: Client<typeof OrderService>;
let wallet: Client<typeof WalletService>;
let parts: WalletParts;

async function start() {
  exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "warn" });
  const transport = createGrpcTransport({ baseUrl: exchange.listening.http2Url });
  orders = createClient(OrderService, transport);
  wallet = createClient(WalletService, transport);
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "trading-"));
  await start();
  await parts.wallet.creditDeposit("fund-alice-btc", "alice", "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("fund-bob-usdt", "bob", "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const errorOf = async (promise: Promise<unknown>) => ConnectError.from(await promise.then(() => undefined, (e: unknown) => e));
const reasonOf = (error: ConnectError) => error.findDetails(ErrorInfoSchema)[0]?.reason;

describe("trading end to end", () => {
  it("rests a sell, fills a crossing buy at the maker price, settles with fees, releases price improvement", async () => {
    const sell = await orders.placeOrder({ accountId: "alice", symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.5", price: "30000", clientOrderId: "alice-1" });
    expect(sell.order?.status).toBe(OrderStatus.NEW);
    expect(await balanceOf(wallet, "alice", "BTC")).toMatchObject({ free: "1.50000000", locked: "0.50000000" });

    const buy = await orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.2", price: "30010" });
    expect(buy.order).toMatchObject({ status: OrderStatus.FILLED, executedQty: "0.20000000", cummulativeQuoteQty: "6000.00000000" });

    // Bob held 0.2 x 30010 = 6002 USDT, paid 6000 at the maker's price: the 2 USDT improvement is free again.
    expect(await balanceOf(wallet, "bob", "USDT")).toMatchObject({ free: "94000.00000000", locked: "0.00000000" });
    const bobBtc = await balanceOf(wallet, "bob", "BTC");
    const aliceUsdt = await balanceOf(wallet, "alice", "USDT");
    expect(BigInt(bobBtc.free.replace(".", ""))).toBeLessThan(20_000_000n); // 0.2 BTC minus the taker fee
    expect(BigInt(bobBtc.free.replace(".", ""))).toBeGreaterThan(19_900_000n);
    expect(BigInt(aliceUsdt.free.replace(".", ""))).toBeLessThan(600_000_000_000n);
    expect(await balanceOf(wallet, "alice", "BTC")).toMatchObject({ free: "1.50000000", locked: "0.30000000" });

    const { trades } = await orders.listMyTrades({ accountId: "bob", symbol: "BTCUSDT" });
    expect(trades).toHaveLength(1);
    expect(trades[0]).toMatchObject({ price: "30000.00000000", qty: "0.20000000", quoteQty: "6000.00000000", isBuyer: true, isMaker: false, commissionAsset: "BTC" });
    expect(20_000_000n - BigInt(trades[0].commission.replace(".", ""))).toBe(BigInt(bobBtc.free.replace(".", "")));
    const alice = await orders.getOrder({ accountId: "alice", symbol: "BTCUSDT", origClientOrderId: "alice-1" });
    expect(alice.order).toMatchObject({ status: OrderStatus.PARTIALLY_FILLED, executedQty: "0.20000000" });
    await expectConserved(parts.store);
  });

  it("is idempotent on (account, clientOrderId)", async () => {
    const again = await orders.placeOrder({ accountId: "alice", symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.5", price: "30000", clientOrderId: "alice-1" });
    expect(again.order?.orderId).toBe(1n);
    expect(await balanceOf(wallet, "alice", "BTC")).toMatchObject({ locked: "0.30000000" });
  });

  it("refuses bad orders with Binance codes and changes nothing", async () => {
    const before = await balanceOf(wallet, "bob", "USDT");
    const offTick = await errorOf(orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, quantity: "0.1", price: "100.001" }));
    expect(offTick.code).toBe(Code.InvalidArgument);
    expect(reasonOf(offTick)).toBe("-1013");
    expect(offTick.rawMessage).toContain("PRICE_FILTER");
    const offStep = await errorOf(orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, quantity: "0.000001", price: "100" }));
    expect(reasonOf(offStep)).toBe("-1013");
    expect(offStep.rawMessage).toContain("LOT_SIZE");
    const tooPrecise = await errorOf(orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, quantity: "0.1", price: "100.123456789" }));
    expect(reasonOf(tooPrecise)).toBe("-1111");
    const tooSmall = await errorOf(orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, quantity: "0.00001", price: "100" }));
    expect(reasonOf(tooSmall)).toBe("-1013");
    const tooPoor = await errorOf(orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, quantity: "5", price: "29000" }));
    expect(tooPoor.code, tooPoor.message).toBe(Code.FailedPrecondition);
    expect(reasonOf(tooPoor)).toBe("-2010");
    const wouldTake = await errorOf(orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT_MAKER, quantity: "0.1", price: "30000" }));
    expect(reasonOf(wouldTake)).toBe("-2010");
    expect(wouldTake.rawMessage).toContain("immediately match");
    const badSymbol = await errorOf(orders.placeOrder({ accountId: "bob", symbol: "NOPEUSDT", side: Side.BUY, type: OrderType.LIMIT, quantity: "1", price: "1" }));
    expect(reasonOf(badSymbol)).toBe("-1121");
    expect(await balanceOf(wallet, "bob", "USDT")).toEqual(before);
    const open = await orders.listOpenOrders({ accountId: "bob", symbol: "BTCUSDT" });
    expect(open.orders).toEqual([]);
    await expectConserved(parts.store);
  });

  it("does not let one account read or cancel another's order", async () => {
    const read = await errorOf(orders.getOrder({ accountId: "bob", symbol: "BTCUSDT", orderId: 1n }));
    expect(read.code).toBe(Code.NotFound);
    expect(reasonOf(read)).toBe("-2013");
    const cancel = await errorOf(orders.cancelOrder({ accountId: "bob", symbol: "BTCUSDT", orderId: 1n }));
    expect(reasonOf(cancel)).toBe("-2013");
    expect((await orders.getOrder({ accountId: "alice", symbol: "BTCUSDT", orderId: 1n })).order?.status).toBe(OrderStatus.PARTIALLY_FILLED);
  });

  it("buys at market by quote amount and expires nothing it cannot fill", async () => {
    const market = await orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.MARKET, quoteOrderQty: "3000" });
    expect(market.order).toMatchObject({ status: OrderStatus.FILLED, executedQty: "0.10000000", cummulativeQuoteQty: "3000.00000000" });
    expect(await balanceOf(wallet, "bob", "USDT")).toMatchObject({ free: "91000.00000000", locked: "0.00000000" });
    await expectConserved(parts.store);
  });

  it("credits coins sent on the simulated chain after the network's confirmations", async () => {
    const { address, memo } = await wallet.getDepositAddress({ accountId: "carol", asset: "BTC", network: "BTC" });
    const sent = await fetch(`${exchange.listening.http1Url}/simulated-chain/transfers`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ network: "BTC", address, memo, asset: "BTC", amount: "0.25" }),
    });
    expect(sent.status).toBe(200);
    const bad = await fetch(`${exchange.listening.http1Url}/simulated-chain/transfers`, { method: "POST", body: JSON.stringify({ network: "BTC", address, asset: "BTC", amount: "0.123456789" }) });
    expect(bad.status).toBe(400);
    const deadline = Date.now() + 15_000;
    let credited = await balanceOf(wallet, "carol", "BTC");
    while (credited.free !== "0.25000000" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      credited = await balanceOf(wallet, "carol", "BTC");
    }
    expect(credited.free).toBe("0.25000000");
    const { deposits } = await wallet.listDeposits({ accountId: "carol" });
    expect(deposits).toHaveLength(1);
    expect(deposits[0].confirmations).toBeGreaterThanOrEqual(2);
    await expectConserved(parts.store);
  });

  it("cancels the rest and returns the held funds; survives a restart unchanged", async () => {
    const canceled = await orders.cancelOrder({ accountId: "alice", symbol: "BTCUSDT", orderId: 1n });
    expect(canceled.order).toMatchObject({ status: OrderStatus.CANCELED, executedQty: "0.30000000" });
    expect(await balanceOf(wallet, "alice", "BTC")).toMatchObject({ free: "1.70000000", locked: "0.00000000" });
    const twice = await errorOf(orders.cancelOrder({ accountId: "alice", symbol: "BTCUSDT", orderId: 1n }));
    expect(reasonOf(twice)).toBe("-2011");

    const history = await orders.listOrders({ accountId: "alice", symbol: "BTCUSDT" });
    const balancesBefore = await wallet.getBalances({ accountId: "alice" });
    await exchange.stop();
    await start();
    expect((await orders.listOrders({ accountId: "alice", symbol: "BTCUSDT" })).orders).toEqual(history.orders);
    expect(await wallet.getBalances({ accountId: "alice" })).toEqual(balancesBefore);
    await expectConserved(parts.store);
  });
});
