import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { expectConserved } from "../wallet/ledger-store.contract.js";
import { balanceOf } from "./support.js";

// AmendOrder (keepPriority) with the whole exchange in one process: the order's quantity is
// lowered where it rests (it is still first in its queue), the freed part of its hold goes back
// to available, and after a restart the journal replays to the same book (the amendment is a
// journaled matching command like the others).

let dataDir: string;
let exchange: RunningExchange;
let orders: Client<typeof OrderService>;
let wallet: Client<typeof WalletService>;
let matching: Client<typeof MatchingService>;
let parts: WalletParts;
const SYMBOL = "BTCUSDT";

async function start() {
  exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "warn" });
  const transport = createGrpcTransport({ baseUrl: exchange.listening.http2Url });
  orders = createClient(OrderService, transport);
  wallet = createClient(WalletService, transport);
  matching = createClient(MatchingService, transport);
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "amend-"));
  await start();
  await parts.wallet.creditDeposit("am-gina-btc", "gina", "BTC", 1n * 10n ** 8n);
  await parts.wallet.creditDeposit("am-hank-btc", "hank", "BTC", 1n * 10n ** 8n);
  await parts.wallet.creditDeposit("am-ivan-usdt", "ivan", "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const sell = (accountId: string, quantity: string, price: string, clientOrderId: string) =>
  orders.placeOrder({ accountId, symbol: SYMBOL, side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity, price, clientOrderId });
const errorOf = async (promise: Promise<unknown>) => ConnectError.from(await promise.then(() => undefined, (e: unknown) => e));
const reasonOf = (error: ConnectError) => error.findDetails(ErrorInfoSchema)[0]?.reason;

describe("AmendOrder (keepPriority)", () => {
  let ginaId: bigint;

  it("lowers the quantity in place and releases the freed part of the hold", async () => {
    ginaId = (await sell("gina", "0.5", "40000", "gina-1")).order!.orderId;
    await sell("hank", "0.5", "40000", "hank-1");
    expect(await balanceOf(wallet, "gina", "BTC")).toMatchObject({ free: "0.50000000", locked: "0.50000000" });

    const amended = await orders.amendOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId, newQty: "0.2" });
    expect(amended.order).toMatchObject({ orderId: ginaId, status: OrderStatus.NEW, origQty: "0.20000000", executedQty: "0.00000000" });
    expect(await balanceOf(wallet, "gina", "BTC")).toMatchObject({ free: "0.80000000", locked: "0.20000000" });
    const book = await matching.getBook({ symbol: SYMBOL, depth: 5 });
    expect(book.asks[0]).toMatchObject({ quantityLots: String(70_000) }); // 0.7 BTC in lots of 0.00001
    await expectConserved(parts.store);
  });

  it("keeps the queue priority: the next buy fills the amended order first", async () => {
    const buy = await orders.placeOrder({ accountId: "ivan", symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.1", price: "40000" });
    expect(buy.order?.status).toBe(OrderStatus.FILLED);
    const gina = await orders.getOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId });
    expect(gina.order).toMatchObject({ status: OrderStatus.PARTIALLY_FILLED, executedQty: "0.10000000", origQty: "0.20000000" });
    expect((await orders.getOrder({ accountId: "hank", symbol: SYMBOL, origClientOrderId: "hank-1" })).order?.executedQty).toBe("0.00000000");
  });

  it("a partially filled order can be lowered to just above what it executed", async () => {
    const amended = await orders.amendOrder({ accountId: "gina", symbol: SYMBOL, origClientOrderId: "gina-1", newQty: "0.15" });
    expect(amended.order).toMatchObject({ status: OrderStatus.PARTIALLY_FILLED, origQty: "0.15000000", executedQty: "0.10000000" });
    expect(await balanceOf(wallet, "gina", "BTC")).toMatchObject({ free: "0.85000000", locked: "0.05000000" });
    await expectConserved(parts.store);
  });

  it("refuses increases, quantities at or below the executed one, other users' and closed orders, changing nothing", async () => {
    const before = await orders.getOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId });
    expect(reasonOf(await errorOf(orders.amendOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId, newQty: "0.15" })))).toBe("-1130");
    expect(reasonOf(await errorOf(orders.amendOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId, newQty: "0.3" })))).toBe("-1130");
    expect(reasonOf(await errorOf(orders.amendOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId, newQty: "0.1" })))).toBe("-1130");
    expect(reasonOf(await errorOf(orders.amendOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId, newQty: "0.123456" })))).toBe("-1013");
    expect(reasonOf(await errorOf(orders.amendOrder({ accountId: "hank", symbol: SYMBOL, orderId: ginaId, newQty: "0.12" })))).toBe("-2013");
    expect(reasonOf(await errorOf(orders.amendOrder({ accountId: "gina", symbol: SYMBOL, orderId: 999_999n, newQty: "0.12" })))).toBe("-2013");
    const buyer = await orders.getOrder({ accountId: "ivan", symbol: SYMBOL, orderId: ginaId + 2n });
    expect(buyer.order?.status).toBe(OrderStatus.FILLED);
    expect(reasonOf(await errorOf(orders.amendOrder({ accountId: "ivan", symbol: SYMBOL, orderId: ginaId + 2n, newQty: "0.05" })))).toBe("-2013");
    expect((await orders.getOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId })).order).toEqual(before.order);
    expect(await balanceOf(wallet, "gina", "BTC")).toMatchObject({ free: "0.85000000", locked: "0.05000000" });
  });

  it("replays to the same book after a restart: the amended order keeps its size and place", async () => {
    const before = await matching.getBook({ symbol: SYMBOL, depth: 5 });
    await exchange.stop();
    await start();
    const after = await matching.getBook({ symbol: SYMBOL, depth: 5 });
    expect(after).toEqual(before);
    // 0.05 left on gina's order, then hank's 0.5: a 0.06 buy fills gina's 0.05 first.
    const buy = await orders.placeOrder({ accountId: "ivan", symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.06", price: "40000" });
    expect(buy.order?.status).toBe(OrderStatus.FILLED);
    expect((await orders.getOrder({ accountId: "gina", symbol: SYMBOL, orderId: ginaId })).order).toMatchObject({ status: OrderStatus.FILLED, executedQty: "0.15000000" });
    expect((await orders.getOrder({ accountId: "hank", symbol: SYMBOL, origClientOrderId: "hank-1" })).order?.executedQty).toBe("0.01000000");
    expect(await balanceOf(wallet, "gina", "BTC")).toMatchObject({ free: "0.85000000", locked: "0.00000000" });
    await expectConserved(parts.store);
  });
});
