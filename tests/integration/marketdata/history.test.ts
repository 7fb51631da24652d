import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Client, type ConnectRouter } from "@connectrpc/connect";
import { Side } from "#gen/exchange/common/v1/common_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { OpenSearchIndex } from "#kit/adapters/search-index.opensearch.js";
import { SqliteSearchIndex } from "#kit/adapters/search-index.sqlite.js";
import type { SearchIndex } from "#kit/ports/search-index.port.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { createMarketDataModule, type MarketDataModule } from "../../../services/marketdata/src/main.js";
import { engines } from "../../support/engines.js";
import { Matching } from "./support.js";

// Market history end to end: trades from a real matching engine, projected by marketdata, copied
// into the search index by its indexing loop, answered by SearchTrades and the aggregations. The
// same test on the embedded index (SQLite) and on OpenSearch 2.19. BTCUSDT: tick 0.01, step
// 0.00001, both assets at scale 8.

const T0 = Date.parse("2024-03-11T10:00:00Z");
const orderRoutes = (router: ConnectRouter) =>
  router.service(OrderService, { getExchangeInfo: () => ({ symbols: [{ symbol: "BTCUSDT", baseAssetPrecision: 8, quoteAssetPrecision: 8, filters: { tickSize: "0.01", stepSize: "0.00001" } }] }) });

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached: ${JSON.stringify(value, (_, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const indexes: { name: string; open: (dir: string) => SearchIndex }[] = [
  { name: "sqlite", open: (dir) => new SqliteSearchIndex({ file: join(dir, "market-history.sqlite") }) },
  { name: "opensearch", open: () => new OpenSearchIndex({ node: engines.opensearchUrl, index: `marketdata-history-test-${process.pid}-${Date.now()}` }) },
];

describe.each(indexes)("market history on $name", ({ open }) => {
  let dir: string;
  let matching: Matching;
  let module: MarketDataModule;
  let index: SearchIndex;
  let client: Client<typeof MarketDataService>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "marketdata-history-"));
    matching = await Matching.start(join(dir, "matching"));
    const transports = { matching: inProcessTransport(matching.module.routes), order: inProcessTransport(orderRoutes) };
    index = open(dir);
    module = await createMarketDataModule({
      databaseUrl: `sqlite:${join(dir, "marketdata.sqlite")}`,
      directory: { transport: (service) => transports[service as keyof typeof transports] },
      history: index,
      historyIndexMs: 20,
      retryMs: 50,
    });
    await module.start?.();
    client = createClient(MarketDataService, inProcessTransport(module.routes));
    // price (ticks of 0.01), lots of 0.00001
    await matching.trade("BTCUSDT", T0, 3_000_000n, 10_000n, Side.BUY); // 30000 x 0.1
    await matching.trade("BTCUSDT", T0 + 1_000, 3_001_000n, 20_000n, Side.SELL); // 30010 x 0.2
    await matching.trade("BTCUSDT", T0 + 61_000, 3_000_500n, 30_000n, Side.BUY); // 30005 x 0.3
    await matching.trade("BTCUSDT", T0 + 62_000, 2_999_000n, 40_000n, Side.BUY); // 29990 x 0.4
    // The indexing loop creates the index, then copies the trades within ~20 ms of their projection.
    await until(async () => {
      if (index instanceof OpenSearchIndex) await index.refresh().catch(() => undefined);
      return (await client.searchTrades({ symbol: "BTCUSDT" }).catch(() => ({ trades: [] }))).trades.length;
    }, (n) => n === 4);
  }, 30_000);

  afterAll(async () => {
    if (index instanceof OpenSearchIndex) {
      await fetch(`${engines.opensearchUrl}/${index.indexName}`, { method: "DELETE" }).catch(() => undefined);
      await fetch(`${engines.opensearchUrl}/_index_template/${index.indexName}-template`, { method: "DELETE" }).catch(() => undefined);
    }
    await module?.stop?.();
    await matching?.module.stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("searches trades by time range, price and size bands, page by page", async () => {
    const all = await client.searchTrades({ symbol: "BTCUSDT" });
    expect(all.trades.map((t) => [Number(t.id), t.price, t.qty, t.quoteQty, Number(t.time), t.isBuyerMaker])).toEqual([
      [1, "30000.00000000", "0.10000000", "3000.00000000", T0, false],
      [2, "30010.00000000", "0.20000000", "6002.00000000", T0 + 1_000, true],
      [3, "30005.00000000", "0.30000000", "9001.50000000", T0 + 61_000, false],
      [4, "29990.00000000", "0.40000000", "11996.00000000", T0 + 62_000, false],
    ]);
    const ids = async (filter: object, extra: object = {}) => (await client.searchTrades({ symbol: "BTCUSDT", filter, ...extra })).trades.map((t) => Number(t.id));
    expect(await ids({ minPrice: "30000", maxPrice: "30006" })).toEqual([1, 3]);
    expect(await ids({ minQty: "0.25" })).toEqual([3, 4]);
    expect(await ids({ maxQty: "0.2", startTime: BigInt(T0 + 500) })).toEqual([2]);
    expect(await ids({ startTime: BigInt(T0), endTime: BigInt(T0 + 61_000) })).toEqual([1, 2]);
    expect(await ids({}, { descending: true })).toEqual([4, 3, 2, 1]);

    const first = await client.searchTrades({ symbol: "BTCUSDT", limit: 3 });
    const rest = await client.searchTrades({ symbol: "BTCUSDT", limit: 3, cursor: first.nextCursor });
    expect([...first.trades, ...rest.trades].map((t) => Number(t.id))).toEqual([1, 2, 3, 4]);
    expect(rest.nextCursor).toBe("");
  });

  it("answers OHLCV of any interval, VWAP and volume by price level, exactly", async () => {
    const { candles } = await client.getTradeCandles({ symbol: "BTCUSDT", intervalMs: 60_000n });
    expect(candles.map((c) => [Number(c.openTime), Number(c.closeTime), c.open, c.high, c.low, c.close, c.volume, c.quoteVolume, c.vwap, Number(c.tradeCount), Number(c.firstTradeId), Number(c.lastTradeId)])).toEqual([
      [T0, T0 + 59_999, "30000.00000000", "30010.00000000", "30000.00000000", "30010.00000000", "0.30000000", "9002.00000000", "30006.66666666", 2, 1, 2],
      [T0 + 60_000, T0 + 119_999, "30005.00000000", "30005.00000000", "29990.00000000", "29990.00000000", "0.70000000", "20997.50000000", "29996.42857142", 2, 3, 4],
    ]);
    // Any interval: 7 s buckets, aligned to the epoch.
    const odd = await client.getTradeCandles({ symbol: "BTCUSDT", intervalMs: 7_000n });
    expect(odd.candles.map((c) => Number(c.tradeCount)).reduce((a, b) => a + b, 0)).toBe(4);
    expect(odd.candles.every((c) => Number(c.openTime) % 7_000 === 0)).toBe(true);

    const { summary } = await client.getTradeSummary({ symbol: "BTCUSDT", filter: { minQty: "0.2" } });
    expect([summary?.volume, summary?.quoteVolume, summary?.vwap, Number(summary?.tradeCount)]).toEqual(["0.90000000", "26999.50000000", "29999.44444444", 3]);
    expect((await client.getTradeSummary({ symbol: "BTCUSDT", filter: { minPrice: "99999" } })).summary).toBeUndefined();

    const { levels } = await client.getVolumeByPrice({ symbol: "BTCUSDT", priceStep: "10" });
    expect(levels.map((l) => [l.price, l.volume, l.quoteVolume, Number(l.tradeCount)])).toEqual([
      ["29990.00000000", "0.40000000", "11996.00000000", 1],
      ["30000.00000000", "0.40000000", "12001.50000000", 2],
      ["30010.00000000", "0.20000000", "6002.00000000", 1],
    ]);
  });

  it("refuses bad filters, steps and cursors with InvalidArgument", async () => {
    const codeOf = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => ConnectError.from(e).code);
    expect(await codeOf(client.searchTrades({ symbol: "BTCUSDT", filter: { minPrice: "abc" } }))).toBe(Code.InvalidArgument);
    expect(await codeOf(client.searchTrades({ symbol: "BTCUSDT", filter: { startTime: 5n, endTime: 5n } }))).toBe(Code.InvalidArgument);
    expect(await codeOf(client.getTradeCandles({ symbol: "BTCUSDT", intervalMs: 0n }))).toBe(Code.InvalidArgument);
    expect((await client.getTradeCandles({ symbol: "BTCUSDT", intervalMs: 1n })).candles).toHaveLength(4);
    expect(await codeOf(client.getVolumeByPrice({ symbol: "BTCUSDT", priceStep: "0" }))).toBe(Code.InvalidArgument);
    expect(await codeOf(client.searchTrades({ symbol: "BTCUSDT", cursor: "not-a-cursor" }))).toBe(Code.InvalidArgument);
  });
});
