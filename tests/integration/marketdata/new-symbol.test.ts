import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient, type ConnectRouter } from "@connectrpc/connect";
import { Side } from "#gen/exchange/common/v1/common_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { createMarketDataModule, type MarketDataModule } from "../../../services/marketdata/src/main.js";
import { Matching } from "./support.js";

// A symbol listed in order's registry after marketdata started is projected without a restart:
// the running module polls GetExchangeInfo (here every 50 ms) and starts the symbol's consumer.
// Order is a stand-in serving GetExchangeInfo from a list the test grows; matching is real.

const listed = (symbol: string) => ({ symbol, baseAssetPrecision: 8, quoteAssetPrecision: 8, filters: { tickSize: "0.01", stepSize: "0.00001" } });

let dir: string;
let matching: Matching;
let module: MarketDataModule;
const registry = [listed("BTCUSDT")];
let exchangeInfoCalls = 0;

const orderRoutes = (router: ConnectRouter) =>
  router.service(OrderService, {
    getExchangeInfo: () => {
      exchangeInfoCalls++;
      return { symbols: registry };
    },
  });

/** Reads until `done` (errors, such as BAD_SYMBOL before the poll found the symbol, are read again). */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await read().catch((error: unknown) => {
      if (Date.now() > deadline) throw error;
      return undefined;
    });
    if (value !== undefined && (done(value) || Date.now() > deadline)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "marketdata-new-symbol-"));
  matching = await Matching.start(join(dir, "matching"));
  const transports = { matching: inProcessTransport(matching.module.routes), order: inProcessTransport(orderRoutes) };
  module = await createMarketDataModule({
    databaseUrl: `sqlite:${join(dir, "marketdata.sqlite")}`,
    directory: { transport: (service) => transports[service as keyof typeof transports] },
    symbolPollMs: 50,
    retryMs: 50,
  });
  await module.start?.();
});

afterAll(async () => {
  await module?.stop?.();
  await matching?.module.stop?.();
  rmSync(dir, { recursive: true, force: true });
});

describe("a symbol added while marketdata runs", () => {
  it("is projected without a restart, once", async () => {
    const client = createClient(MarketDataService, inProcessTransport(module.routes));
    const btc = await matching.trade("BTCUSDT", Date.parse("2024-03-11T00:00:00Z"), 3_000_000n, 10_000n, Side.BUY);
    await until(() => Promise.resolve(module.marketData.appliedSequence("BTCUSDT")), (s) => s >= Number(btc.sequence));

    // Trades on a symbol order does not list yet are not followed.
    const early = await matching.trade("SOLUSDT", Date.parse("2024-03-11T00:00:01Z"), 15_000n, 20_000n, Side.SELL);
    const calls = exchangeInfoCalls;
    await until(() => Promise.resolve(exchangeInfoCalls), (n) => n >= calls + 2);
    expect(module.marketData.appliedSequence("SOLUSDT")).toBe(0);

    // Order lists it: the next poll starts its consumer, which replays matching's stream from the start.
    registry.push(listed("SOLUSDT"));
    const late = await matching.trade("SOLUSDT", Date.parse("2024-03-11T00:00:02Z"), 15_100n, 30_000n, Side.BUY);
    const { trades } = await until(() => client.listTrades({ symbol: "SOLUSDT" }), (r) => r.trades.length >= 2);
    expect(trades.map((t) => [Number(t.id), t.price, t.qty, t.isBuyerMaker, Number(t.time)])).toEqual([
      [1, "150.00000000", "0.20000000", true, Number(early.timestamp)],
      [2, "151.00000000", "0.30000000", false, Number(late.timestamp)],
    ]);

    // Later polls find it known and start nothing more: one consumer, each trade stored once.
    const seen = exchangeInfoCalls;
    await until(() => Promise.resolve(exchangeInfoCalls), (n) => n >= seen + 3);
    const next = await matching.trade("SOLUSDT", Date.parse("2024-03-11T00:00:03Z"), 15_200n, 10_000n, Side.BUY);
    const after = await until(() => client.listTrades({ symbol: "SOLUSDT" }), (r) => r.trades.length >= 3);
    expect(after.trades.map((t) => Number(t.id))).toEqual([1, 2, 3]);
    expect(module.marketData.appliedSequence("SOLUSDT")).toBe(Number(next.sequence));
    const [day] = (await client.listKlines({ symbol: "SOLUSDT", interval: "1d" })).klines;
    expect(day).toMatchObject({ tradeCount: 3n, volume: "0.60000000" });
  });
});
