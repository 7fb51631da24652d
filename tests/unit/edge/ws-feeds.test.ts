import { EventEmitter } from "node:events";
import { create } from "@bufbuild/protobuf";
import { WebSocket } from "ws";
import { describe, expect, it } from "vitest";
import { AggTradeSchema, DepthUpdateSchema, GetDepthResponseSchema, KlineSchema, type DepthUpdate, PublicTradeSchema, type Kline, type PublicTrade } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import type { EdgeServices } from "../../../edge/src/rest/services.js";
import { MarketFeeds, type FeedOptions, type TopicSubscriber } from "../../../edge/src/ws/market-feeds.js";
import { Connection, DEFAULT_WEBSOCKET_LIMITS, type MarketStreams } from "../../../edge/src/ws/market-streams.js";
import { parseStreamName, type StreamName } from "../../../edge/src/ws/streams.js";

// The upstream side with fake marketdata calls: shared trade stream, reconnects, kline closing,
// book ticker changes only.

const OPTIONS: FeedOptions = { bookTickerPollMs: 10, reconnectMinMs: 5, reconnectMaxMs: 20, klineCloseGraceMs: 20, miniTickerMinIntervalMs: 1000, now: Date.now };
const trade = (id: number) => create(PublicTradeSchema, { symbol: "BTCUSDT", id: BigInt(id), price: "1.00", qty: "2.00", quoteQty: "2.00", time: BigInt(Date.now()) });
const stream = (name: string) => parseStreamName(name) as StreamName;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Collector implements TopicSubscriber {
  readonly events: { stream: string; data: Record<string, unknown> }[] = [];
  deliver(stream: string, json: string): void {
    this.events.push({ stream, data: JSON.parse(json) as Record<string, unknown> });
  }
}

async function until(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await sleep(5);
  }
}

/** StreamTrades calls: each call takes the next script (trades, then it ends), or waits until aborted. */
function fakeServices(scripts: PublicTrade[][], extra: Partial<EdgeServices["marketData"]> = {}) {
  const calls: AbortSignal[] = [];
  const marketData = {
    async *streamTrades(_request: unknown, options: { signal: AbortSignal }) {
      calls.push(options.signal);
      const script = scripts.shift();
      if (script) {
        for (const t of script) yield { trade: t };
        return;
      }
      await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve()));
    },
    ...extra,
  };
  const symbols = { get: async () => ({ quoteAssetPrecision: 2, baseAssetPrecision: 3 }), all: async () => [] };
  return { services: { marketData, symbols } as unknown as EdgeServices, calls };
}

describe("MarketFeeds", () => {
  it("shares one upstream per symbol, reopens it when it ends without repeating trades, and closes it after the last subscriber", async () => {
    const { services, calls } = fakeServices([[trade(1), trade(2)], [trade(2), trade(3)]]);
    const feeds = new MarketFeeds(services, OPTIONS);
    const a = new Collector();
    const b = new Collector();
    feeds.subscribe(stream("btcusdt@trade"), a);
    feeds.subscribe(stream("btcusdt@trade"), b);
    await until(() => a.events.length === 3);
    expect(a.events.map((e) => e.data.t)).toEqual([1, 2, 3]);
    expect(b.events.map((e) => e.data.t)).toEqual([1, 2, 3]);
    await until(() => calls.length === 3); // the third call stays open
    expect(feeds.stats()).toMatchObject({ tradeFeeds: ["BTCUSDT"], upstreamOpened: { BTCUSDT: 3 } });
    feeds.unsubscribe("btcusdt@trade", a);
    expect(calls[2]!.aborted).toBe(false);
    feeds.unsubscribe("btcusdt@trade", b);
    expect(calls[2]!.aborted).toBe(true);
    expect(feeds.stats()).toMatchObject({ topics: [], tradeFeeds: [] });
    feeds.close();
  });

  it("aggTrade: one shared StreamAggTrades per symbol, reopened without repeating an aggregate, closed after the last", async () => {
    const agg = (id: number) => create(AggTradeSchema, { symbol: "BTCUSDT", id: BigInt(id), price: "1.00", qty: "3.00", firstTradeId: BigInt(2 * id), lastTradeId: BigInt(2 * id + 1), time: 5n });
    const scripts = [[agg(1), agg(2)], [agg(2), agg(3)]];
    const calls: AbortSignal[] = [];
    const { services } = fakeServices([], {
      async *streamAggTrades(_request: unknown, options: { signal: AbortSignal }) {
        calls.push(options.signal);
        const script = scripts.shift();
        if (script) {
          for (const a of script) yield { aggTrade: a };
          return;
        }
        await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve()));
      },
    } as unknown as Partial<EdgeServices["marketData"]>);
    const feeds = new MarketFeeds(services, OPTIONS);
    const a = new Collector();
    const b = new Collector();
    feeds.subscribe(stream("btcusdt@aggTrade"), a);
    feeds.subscribe(stream("btcusdt@aggTrade"), b);
    await until(() => a.events.length === 3 && calls.length === 3);
    expect(a.events.map((e) => [e.data.e, e.data.a, e.data.f, e.data.l])).toEqual([
      ["aggTrade", 1, 2, 3],
      ["aggTrade", 2, 4, 5],
      ["aggTrade", 3, 6, 7],
    ]);
    expect(b.events).toEqual(a.events);
    expect(feeds.stats()).toMatchObject({ aggTradeFeeds: ["BTCUSDT"], tradeFeeds: [] });
    feeds.unsubscribe("btcusdt@aggTrade", a);
    feeds.unsubscribe("btcusdt@aggTrade", b);
    expect(calls[2]!.aborted).toBe(true);
    expect(feeds.stats()).toMatchObject({ topics: [], aggTradeFeeds: [] });
    feeds.close();
  });

  it("depth: one shared StreamDepth per symbol, updates merged per window (first U, last u), reopened without repeats, closed after the last", async () => {
    const upd = (U: number, u: number, bid: string, qty: string) =>
      create(DepthUpdateSchema, { symbol: "BTCUSDT", firstUpdateId: BigInt(U), finalUpdateId: BigInt(u), bids: [{ price: bid, quantity: qty }], asks: [], eventTime: 1n });
    const depthCalls: AbortSignal[] = [];
    const scripts: DepthUpdate[][] = [[upd(1, 1, "10.00", "1.000"), upd(2, 3, "10.00", "2.000"), upd(4, 4, "9.00", "1.000")], [upd(4, 4, "9.00", "1.000"), upd(5, 5, "9.00", "0.000")]];
    const { services } = fakeServices([], {
      async *streamDepth(_request: unknown, options: { signal: AbortSignal }) {
        depthCalls.push(options.signal);
        const script = scripts.shift();
        if (script) {
          for (const u of script) yield { update: u };
          return;
        }
        await new Promise<void>((resolve) => options.signal.addEventListener("abort", () => resolve()));
      },
    } as never);
    const feeds = new MarketFeeds(services, OPTIONS);
    const fast = new Collector();
    const slow = new Collector();
    feeds.subscribe(stream("btcusdt@depth@100ms"), fast);
    feeds.subscribe(stream("btcusdt@depth"), slow);
    await until(() => depthCalls.length === 3);
    await until(() => slow.events.length === 1, 3_000);
    await sleep(150);
    // Everything arrived within one window: one event each, the levels netted, 9.00 removed by update 5 (not sent twice).
    const expected = { e: "depthUpdate", s: "BTCUSDT", U: 1, u: 5, b: [["10.00", "2.000"], ["9.00", "0.000"]], a: [] };
    expect(fast.events.map((e) => e.data)).toEqual([expect.objectContaining(expected)]);
    expect(slow.events.map((e) => e.data)).toEqual([expect.objectContaining(expected)]);
    expect(feeds.stats()).toMatchObject({ depthFeeds: ["BTCUSDT"], depthUpstreamOpened: { BTCUSDT: 3 }, tradeFeeds: [] });
    feeds.unsubscribe("btcusdt@depth@100ms", fast);
    expect(depthCalls[2]!.aborted).toBe(false);
    feeds.unsubscribe("btcusdt@depth", slow);
    expect(depthCalls[2]!.aborted).toBe(true);
    expect(feeds.stats()).toMatchObject({ topics: [], depthFeeds: [] });
    feeds.close();
  });

  it("partial depth: GetDepth with the stream's levels at its cadence, sent when the levels changed, the current one to a late joiner", async () => {
    let polls = 0;
    const limits: number[] = [];
    const { services } = fakeServices([], {
      async getDepth(request: { limit: number }) {
        polls += 1;
        limits.push(request.limit);
        const bids = polls >= 3 ? [{ price: "10.00", quantity: "2.000" }] : [{ price: "10.00", quantity: "1.000" }];
        return create(GetDepthResponseSchema, { lastUpdateId: BigInt(polls), bids, asks: [] });
      },
    } as never);
    const feeds = new MarketFeeds(services, OPTIONS);
    const c = new Collector();
    feeds.subscribe(stream("btcusdt@depth5@100ms"), c);
    await until(() => polls >= 5, 3_000);
    expect(limits.every((l) => l === 5)).toBe(true);
    expect(c.events.map((e) => e.data)).toEqual([
      { lastUpdateId: 1, bids: [["10.00", "1.000"]], asks: [] },
      { lastUpdateId: 3, bids: [["10.00", "2.000"]], asks: [] },
    ]);
    const late = new Collector();
    feeds.subscribe(stream("btcusdt@depth5@100ms"), late);
    await until(() => late.events.length === 1);
    expect(late.events[0]!.data).toMatchObject({ lastUpdateId: 3 });
    feeds.unsubscribe("btcusdt@depth5@100ms", late);
    feeds.unsubscribe("btcusdt@depth5@100ms", c);
    expect(feeds.stats().topics).toEqual([]);
    feeds.close();
  });

  it("re-reads the candle after trades and sends it once more with x when its interval ends", async () => {
    const openTime = Date.now();
    const closeTime = openTime + 150;
    let count = 0;
    const kline = (): Kline => create(KlineSchema, { openTime: BigInt(openTime), closeTime: BigInt(closeTime), open: "1.00", close: "1.00", high: "1.00", low: "1.00", tradeCount: BigInt(count), firstTradeId: 1n, lastTradeId: BigInt(count) });
    const { services } = fakeServices([[trade(1), trade(2)]], {
      listKlines: (async () => {
        count = 2;
        return { klines: [kline()] };
      }) as unknown as EdgeServices["marketData"]["listKlines"],
    });
    const feeds = new MarketFeeds(services, OPTIONS);
    const c = new Collector();
    feeds.subscribe(stream("btcusdt@kline_1m"), c);
    await until(() => c.events.length === 1);
    const k = c.events[0]!.data.k as Record<string, unknown>;
    expect(k).toMatchObject({ t: openTime, T: closeTime, i: "1m", n: 2, f: 1, L: 2, x: false });
    await until(() => c.events.length === 2);
    expect(Date.now()).toBeGreaterThan(closeTime + OPTIONS.klineCloseGraceMs);
    expect(c.events[1]!.data.k).toMatchObject({ t: openTime, n: 2, x: true });
    await sleep(100);
    expect(c.events).toHaveLength(2);
    feeds.close();
  });

  it("polls the book ticker and sends only changes", async () => {
    const depths = [
      { lastUpdateId: 1n, bids: [{ price: "10.00", quantity: "1.000" }], asks: [] },
      { lastUpdateId: 2n, bids: [{ price: "10.00", quantity: "1.000" }], asks: [] },
      { lastUpdateId: 3n, bids: [{ price: "10.00", quantity: "1.000" }], asks: [{ price: "11.00", quantity: "0.500" }] },
    ];
    let polls = 0;
    const { services } = fakeServices([], {
      getDepth: (async () => create(GetDepthResponseSchema, depths[Math.min(polls++, depths.length - 1)])) as unknown as EdgeServices["marketData"]["getDepth"],
    });
    const feeds = new MarketFeeds(services, OPTIONS);
    const c = new Collector();
    feeds.subscribe(stream("btcusdt@bookTicker"), c);
    await until(() => polls >= 5);
    expect(c.events.map((e) => e.data)).toEqual([
      { u: 1, s: "BTCUSDT", b: "10.00", B: "1.000", a: "0.00", A: "0.000" },
      { u: 3, s: "BTCUSDT", b: "10.00", B: "1.000", a: "11.00", A: "0.500" },
    ]);
    // A late joiner gets the current best prices at once (then changes only, like everyone).
    const late = new Collector();
    feeds.subscribe(stream("btcusdt@bookTicker"), late);
    await until(() => late.events.length === 1);
    expect(late.events[0]!.data).toMatchObject({ u: 3, a: "11.00" });
    feeds.unsubscribe("btcusdt@bookTicker", late);
    feeds.unsubscribe("btcusdt@bookTicker", c);
    const after = polls;
    await sleep(50);
    expect(polls).toBeLessThanOrEqual(after + 1); // polling stops with the last subscriber
    feeds.close();
  });
});

describe("Connection", () => {
  it("drops a slow consumer once more than maxBufferedBytes are queued for it, and unsubscribes on close", async () => {
    const { services } = fakeServices([]);
    const feeds = new MarketFeeds(services, OPTIONS);
    const socket = Object.assign(new EventEmitter(), {
      readyState: WebSocket.OPEN,
      bufferedAmount: 0,
      sent: [] as string[],
      terminated: false,
      send(data: string) {
        this.sent.push(data);
      },
      terminate() {
        this.terminated = true;
      },
      ping() {},
      close() {},
    });
    const hub = { options: { limits: { ...DEFAULT_WEBSOCKET_LIMITS, maxBufferedBytes: 100 }, now: Date.now, services }, feeds };
    const connection = new Connection(socket as unknown as WebSocket, true, hub as unknown as MarketStreams);
    connection.open([stream("btcusdt@trade")]);
    expect(feeds.stats().tradeFeeds).toEqual(["BTCUSDT"]);
    connection.deliver("btcusdt@trade", '{"e":"trade"}');
    expect(socket.sent).toEqual(['{"stream":"btcusdt@trade","data":{"e":"trade"}}']);
    socket.bufferedAmount = 101;
    connection.deliver("btcusdt@trade", '{"e":"trade"}');
    expect(socket.terminated).toBe(true);
    expect(socket.sent).toHaveLength(1);
    connection.closed(); // what the socket's 'close' runs
    expect(feeds.stats()).toMatchObject({ topics: [], tradeFeeds: [] });
    feeds.close();
  });
});
