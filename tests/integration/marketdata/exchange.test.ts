import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";

// marketdata in the whole embedded exchange over HTTP/2 gRPC: trades placed through order show
// up as public trades with exact decimals, and a restart of the process resumes the projection
// from its stored sequence without losing or repeating a trade.

let dataDir: string;
let exchange: RunningExchange;
let orders: Client<typeof OrderService>;
let marketData: Client<typeof MarketDataService>;
let aggregatesBefore: (string | number)[][] = [];

async function start() {
  exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "warn" });
  const transport = createGrpcTransport({ baseUrl: exchange.listening.http2Url });
  orders = createClient(OrderService, transport);
  marketData = createClient(MarketDataService, transport);
}

async function tradesWhen(count: number) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { trades } = await marketData.listTrades({ symbol: "BTCUSDT" });
    if (trades.length >= count || Date.now() > deadline) return trades;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "marketdata-exchange-"));
  await start();
  const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  await parts.wallet.creditDeposit("md-alice-btc", "alice", "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("md-bob-usdt", "bob", "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("marketdata in the embedded exchange", () => {
  it("projects trades placed through order with exact prices and quantities", async () => {
    const limit = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC };
    await orders.placeOrder({ ...limit, accountId: "alice", side: Side.SELL, quantity: "0.2", price: "30000.01" });
    await orders.placeOrder({ ...limit, accountId: "alice", side: Side.SELL, quantity: "0.5", price: "30000.02" });
    const buy = await orders.placeOrder({ ...limit, accountId: "bob", side: Side.BUY, quantity: "0.2002", price: "30010" });
    expect(buy.order?.status).toBe(OrderStatus.FILLED);
    const trades = await tradesWhen(2);
    expect(trades.map((t) => ({ price: t.price, qty: t.qty, quoteQty: t.quoteQty, isBuyerMaker: t.isBuyerMaker }))).toEqual([
      { price: "30000.01000000", qty: "0.20000000", quoteQty: "6000.00200000", isBuyerMaker: false },
      { price: "30000.02000000", qty: "0.00020000", quoteQty: "6.00000400", isBuyerMaker: false },
    ]);
    const ticker = (await marketData.getTicker24h({ symbol: "BTCUSDT" })).ticker!;
    expect(ticker).toMatchObject({ openPrice: "30000.01000000", lastPrice: "30000.02000000", volume: "0.20020000", quoteVolume: "6006.00200400", count: 2n });
    expect(await marketData.getBookTicker({ symbol: "BTCUSDT" })).toMatchObject({ askPrice: "30000.02000000", askQty: "0.49980000", bidPrice: "" });
    // One taker across two prices: two aggregates.
    aggregatesBefore = (await marketData.listAggTrades({ symbol: "BTCUSDT" })).aggTrades.map((a) => [Number(a.id), a.price, a.qty, Number(a.firstTradeId), Number(a.lastTradeId)]);
    expect(aggregatesBefore).toEqual([
      [1, "30000.01000000", "0.20000000", 1, 1],
      [2, "30000.02000000", "0.00020000", 2, 2],
    ]);
  });

  it("resumes after a restart without losing or repeating trades", async () => {
    await exchange.stop();
    await start();
    const limit = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC };
    await orders.placeOrder({ ...limit, accountId: "bob", side: Side.BUY, quantity: "0.1", price: "30000.02" });
    const trades = await tradesWhen(3);
    expect(trades.map((t) => [Number(t.id), t.price, t.qty])).toEqual([
      [1, "30000.01000000", "0.20000000"],
      [2, "30000.02000000", "0.00020000"],
      [3, "30000.02000000", "0.10000000"],
    ]);
    const [day] = (await marketData.listKlines({ symbol: "BTCUSDT", interval: "1d" })).klines;
    expect(day).toMatchObject({ tradeCount: 3n, volume: "0.30020000" });
    // Aggregate ids published before the restart are kept; the new taker's aggregate comes after them.
    const { aggTrades } = await marketData.listAggTrades({ symbol: "BTCUSDT" });
    expect(aggTrades.map((a) => [Number(a.id), a.price, a.qty, Number(a.firstTradeId), Number(a.lastTradeId)])).toEqual(aggregatesBefore.concat([[3, "30000.02000000", "0.10000000", 3, 3]]));
  });
});
