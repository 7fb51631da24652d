import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { ExecutionType, OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { EntryStream } from "../../support/order-entry-stream.js";
import { until } from "../../support/until.js";
import { reconcileClosedBook } from "./support.js";

// StreamOrderEntry over real gRPC against the embedded exchange: many orders in flight on one
// stream, acks in request order, a bad request refused alone, fills reported after the ack,
// and a client order id resent on a new stream (a reconnect) answered with the stored order.

let dataDir: string;
let exchange: RunningExchange;
let orders: Client<typeof OrderService>;
let wallet: Client<typeof WalletService>;
const BTC = 10n ** 8n;
const deposits = new Map([
  ["alice", { btc: 2n * BTC, usdt: 0n }],
  ["bob", { btc: 0n, usdt: 100_000n * BTC }],
]);

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "order-entry-"));
  exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "warn" });
  const transport = createGrpcTransport({ baseUrl: exchange.listening.http2Url });
  orders = createClient(OrderService, transport);
  wallet = createClient(WalletService, transport);
  const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  for (const [account, { btc, usdt }] of deposits) {
    if (btc > 0n) await parts.wallet.creditDeposit(`fund-${account}-btc`, account, "BTC", btc);
    if (usdt > 0n) await parts.wallet.creditDeposit(`fund-${account}-usdt`, account, "USDT", usdt);
  }
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const sell = (clientOrderId: string, price: string, accountId = "alice") => ({
  action: { case: "place" as const, value: { accountId, symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price, quantity: "0.001", clientOrderId } },
});
const cancel = (origClientOrderId: string, accountId = "alice") => ({ action: { case: "cancel" as const, value: { accountId, symbol: "BTCUSDT", origClientOrderId } } });

describe("StreamOrderEntry over gRPC", () => {
  it("acknowledges many orders in request order, refuses a bad one alone, then reports fills", async () => {
    const stream = new EntryStream(orders);
    // 199 orders and "bad-symbol": alice's 200 open orders, exactly the symbol's MAX_NUM_ORDERS.
    const N = 199;
    for (let i = 0; i < N; i++) {
      stream.send(sell(`s-${i}`, String(30_000 + i)));
      if (i === 100) stream.send(sell("bad-symbol", "40000", "alice"), { action: { case: "place", value: { ...sell("x", "1").action.value, symbol: "btc usdt", clientOrderId: "malformed" } } });
      if (i === 150) stream.send(sell("not-mine", "30000", "bob"));
    }
    const acks = await stream.untilAcks(N + 3);
    expect(acks.map((ack) => Number(ack.requestIndex))).toEqual(acks.map((_, i) => i));
    const byId = new Map(acks.map((ack) => [ack.clientOrderId, ack]));
    // The malformed request: -1102 naming the field; the others of the stream are placed.
    const malformed = byId.get("malformed")!.result;
    expect(malformed.case).toBe("error");
    expect(malformed.value).toMatchObject({ code: Code.InvalidArgument, binanceCode: -1102, fieldViolations: [{ field: "place.symbol" }] });
    // "bad-symbol" is well formed: its own order, placed.
    expect(byId.get("bad-symbol")!.result.case).toBe("order");
    expect(byId.get("not-mine")!.result.value).toMatchObject({ code: Code.PermissionDenied, binanceCode: -2015 });
    const placed = acks.filter((ack) => ack.result.case === "order");
    expect(placed).toHaveLength(N + 1);
    for (const ack of placed) expect(ack.result.value).toMatchObject({ accountId: "alice", status: OrderStatus.NEW, clientOrderId: ack.clientOrderId });

    // Bob takes the three cheapest: alice's stream reports each fill after that order's ack.
    await orders.placeOrder({ accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.IOC, price: "30002", quantity: "0.003" });
    await until(() => stream.reports().filter((r) => r.executionType === ExecutionType.TRADE).length >= 3);
    const lines = stream.responses.map((r) => (r.event.case === "ack" ? `ack ${r.event.value.clientOrderId}` : `${ExecutionType[r.event.value!.executionType]} ${r.event.value!.order!.clientOrderId}`));
    for (const id of ["s-0", "s-1", "s-2"]) {
      expect(lines.indexOf(`TRADE ${id}`)).toBeGreaterThan(lines.indexOf(`ack ${id}`));
      expect(lines.indexOf(`NEW ${id}`)).toBeGreaterThan(lines.indexOf(`ack ${id}`));
    }
    const fill = stream.reports().find((r) => r.order?.clientOrderId === "s-0" && r.executionType === ExecutionType.TRADE)!;
    expect(fill).toMatchObject({ lastExecutedQty: "0.00100000", lastExecutedPrice: "30000.00000000", order: { status: OrderStatus.FILLED } });
    // Nobody else's orders on alice's stream.
    expect(stream.reports().every((r) => r.order?.accountId === "alice")).toBe(true);
    await stream.end();
    expect(stream.error).toBeUndefined();

    // A reconnect: the same client order ids again on a new stream are retries, and cancels go through once.
    const again = new EntryStream(orders);
    again.send(sell("s-10", "99999"), cancel("s-11"), cancel("s-11"), cancel("s-0"));
    const [retried, canceled, recanceled, filled] = await again.untilAcks(4);
    expect(retried!.result.value).toMatchObject({ orderId: (byId.get("s-10")!.result.value as { orderId: bigint }).orderId, price: "30010.00000000", status: OrderStatus.NEW });
    expect(canceled!.result.value).toMatchObject({ clientOrderId: "s-11", status: OrderStatus.CANCELED });
    expect(recanceled!.result.value).toMatchObject({ clientOrderId: "s-11", status: OrderStatus.CANCELED });
    expect(filled!.result.value).toMatchObject({ code: Code.FailedPrecondition, binanceCode: -2011 });
    await again.end();
    expect((await orders.listOrders({ accountId: "alice", symbol: "BTCUSDT", page: { pageSize: 1000 } })).orders).toHaveLength(N + 1);

    // Money: everything closed, balances are deposits plus trades minus fees.
    await orders.cancelAllOrders({ accountId: "alice", symbol: "BTCUSDT" });
    expect(await reconcileClosedBook(orders, wallet, deposits)).toEqual({ trades: 3 });
  });

  it("places each order once when a client cut off mid-stream resends everything on a new stream", async () => {
    const buy = (clientOrderId: string) => ({
      action: { case: "place" as const, value: { accountId: "bob", symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: "10000", quantity: "0.001", clientOrderId } },
    });
    const ids = Array.from({ length: 200 }, (_, i) => `cut-${i}`);
    const abort = new AbortController();
    const first = new EntryStream(orders, { signal: abort.signal });
    first.send(...ids.map(buy));
    await first.untilAcks(20);
    abort.abort(); // the connection is lost with requests in flight
    await first.done;
    expect(first.acks().length).toBeLessThan(ids.length);
    for (const ack of first.acks()) expect(ack.result.case).toBe("order");

    const second = new EntryStream(orders);
    second.send(...ids.map(buy));
    const acks = await second.untilAcks(ids.length);
    await second.end();
    expect(acks.map((ack) => ack.clientOrderId)).toEqual(ids);
    for (const ack of acks) expect(ack.result.case, `${ack.clientOrderId}: ${JSON.stringify(ack.result.value, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`).toBe("order");
    // What the first stream had acknowledged is the same order on the second.
    for (const ack of first.acks()) expect((acks[Number(ack.requestIndex)]!.result.value as { orderId: bigint }).orderId).toBe((ack.result.value as { orderId: bigint }).orderId);
    const stored = (await orders.listOrders({ accountId: "bob", symbol: "BTCUSDT", page: { pageSize: 1000 } })).orders.filter((order) => order.clientOrderId.startsWith("cut-"));
    expect(stored.map((order) => order.clientOrderId).sort()).toEqual([...ids].sort());
    await orders.cancelAllOrders({ accountId: "bob", symbol: "BTCUSDT" });
  });
});
