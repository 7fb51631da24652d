import type { AggTrade, DepthUpdate, Kline, PublicTrade } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import type { EdgeServices } from "../rest/services.js";
import { zeroAt } from "../rest/binance.mapper.js";
import { aggTradeEvent, avgPriceEvent, bookTickerChanged, bookTickerEvent, depthUpdateEvent, klineEvent, mergeDepthUpdates, miniTickerEvent, partialDepthEvent, tickerEvent, tradeEvent, windowTickerEvent, type StreamName, type TickerWindow } from "./streams.js";
import { sleep } from "./abortable-sleep.js";

// The upstream side of the market streams: one topic per stream name, started on its first
// subscriber and stopped after its last leaves. Trades come from marketdata's StreamTrades, one
// upstream stream per symbol shared by every topic of that symbol (trade, kline_*, miniTicker);
// klines and the mini ticker are re-read from marketdata after trades; the book ticker is polled.
// Aggregate trades come from marketdata's StreamAggTrades (one upstream stream per symbol), ids and all.
// Diff depth comes from marketdata's StreamDepth, likewise one upstream stream per symbol shared by
// its @depth topics; partial book depth is polled from GetDepth.

/** Receives a topic's events, each already serialized once for every subscriber. */
export interface TopicSubscriber {
  deliver(stream: string, json: string): void;
}

export interface FeedOptions {
  /** How often a subscribed book ticker is polled. */
  readonly bookTickerPollMs: number;
  /** Upstream reconnect backoff: first and largest delay. */
  readonly reconnectMinMs: number;
  readonly reconnectMaxMs: number;
  /** How long after a candle's close time its final state is read (the projection may lag a little). */
  readonly klineCloseGraceMs: number;
  /** At most one mini ticker per symbol per this many ms (Binance: 1000). */
  readonly miniTickerMinIntervalMs: number;
  readonly now: () => number;
  readonly onError?: (error: unknown, context: string) => void;
}

type Listener<T> = (items: readonly T[]) => void;
type TradeListener = Listener<PublicTrade>;

/**
 * One upstream server stream per symbol (StreamTrades, StreamDepth), reopened with backoff when it
 * ends, while anyone listens. `open` yields the items to hand on (already filtered: after a
 * reconnect the stream starts anew, and nothing is ever handed on twice).
 */
class UpstreamFeed<T> {
  readonly listeners = new Set<Listener<T>>();
  private readonly abort = new AbortController();
  /** Upstream calls opened so far (for tests and metrics). */
  opened = 0;

  constructor(
    private readonly label: string,
    private readonly open: (signal: AbortSignal) => AsyncIterable<T>,
    private readonly options: FeedOptions,
  ) {
    void this.run();
  }

  close(): void {
    this.abort.abort();
  }

  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let delay = this.options.reconnectMinMs;
    while (!signal.aborted) {
      try {
        this.opened += 1;
        for await (const item of this.open(signal)) {
          delay = this.options.reconnectMinMs;
          for (const listener of [...this.listeners]) listener([item]);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.onError?.(error, this.label);
      }
      if (signal.aborted) return;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, this.options.reconnectMaxMs);
    }
  }
}

function tradeFeed(symbol: string, services: EdgeServices, options: FeedOptions): UpstreamFeed<PublicTrade> {
  let lastId = 0n;
  return new UpstreamFeed(
    `StreamTrades ${symbol}`,
    async function* (signal) {
      for await (const { trade } of services.marketData.streamTrades({ symbol }, { signal })) {
        // After a reconnect the stream starts anew; never send a trade twice.
        if (!trade || trade.id <= lastId) continue;
        lastId = trade.id;
        yield trade;
      }
    },
    options,
  );
}

function aggTradeFeed(symbol: string, services: EdgeServices, options: FeedOptions): UpstreamFeed<AggTrade> {
  let lastId = 0n;
  return new UpstreamFeed(
    `StreamAggTrades ${symbol}`,
    async function* (signal) {
      for await (const { aggTrade } of services.marketData.streamAggTrades({ symbol }, { signal })) {
        // After a reconnect the stream starts anew; never send an aggregate twice.
        if (!aggTrade || aggTrade.id <= lastId) continue;
        lastId = aggTrade.id;
        yield aggTrade;
      }
    },
    options,
  );
}

function depthFeed(symbol: string, services: EdgeServices, options: FeedOptions): UpstreamFeed<DepthUpdate> {
  let lastU = 0n;
  return new UpstreamFeed(
    `StreamDepth ${symbol}`,
    async function* (signal) {
      for await (const { update } of services.marketData.streamDepth({ symbol }, { signal })) {
        // Updates made while the stream was down are not replayed: the next U jumps and clients resync.
        if (!update || update.finalUpdateId <= lastU) continue;
        lastU = update.finalUpdateId;
        yield update;
      }
    },
    options,
  );
}

interface Topic {
  readonly stream: StreamName;
  readonly subscribers: Set<TopicSubscriber>;
  /** The last event of a state stream (kline, bookTicker), sent to whoever joins later. */
  last?: string;
  stop(): void;
}

/** Runs `task` now or, when one is already running, once more after it (never concurrently). */
function coalesced(task: () => Promise<void>, onError: (error: unknown) => void): () => void {
  let running = false;
  let again = false;
  const run = async () => {
    running = true;
    do {
      again = false;
      try {
        await task();
      } catch (error) {
        onError(error);
      }
    } while (again);
    running = false;
  };
  return () => {
    if (running) again = true;
    else void run();
  };
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export class MarketFeeds {
  private readonly topics = new Map<string, Topic>();
  private readonly tradeFeeds = new Map<string, UpstreamFeed<PublicTrade>>();
  private readonly depthFeeds = new Map<string, UpstreamFeed<DepthUpdate>>();
  private readonly aggTradeFeeds = new Map<string, UpstreamFeed<AggTrade>>();

  constructor(
    private readonly services: EdgeServices,
    private readonly options: FeedOptions,
  ) {}

  /** Adds a subscriber to `stream`, starting its topic on the first one. */
  subscribe(stream: StreamName, subscriber: TopicSubscriber): void {
    let topic = this.topics.get(stream.name);
    if (!topic) {
      topic = this.start(stream);
      this.topics.set(stream.name, topic);
    }
    if (topic.subscribers.has(subscriber)) return;
    topic.subscribers.add(subscriber);
    // A late joiner gets the current candle or best prices at once, after its SUBSCRIBE reply.
    const joined = topic;
    if (joined.last !== undefined) {
      setImmediate(() => {
        if (joined.last !== undefined && joined.subscribers.has(subscriber)) subscriber.deliver(joined.stream.name, joined.last);
      });
    }
  }

  /** Removes a subscriber; the topic (and its upstream) stops after its last one. */
  unsubscribe(name: string, subscriber: TopicSubscriber): void {
    const topic = this.topics.get(name);
    if (!topic) return;
    topic.subscribers.delete(subscriber);
    if (topic.subscribers.size === 0) {
      this.topics.delete(name);
      topic.stop();
    }
  }

  /** What is running: topic names and the symbols with an upstream StreamTrades / StreamDepth / StreamAggTrades open. */
  stats(): { topics: string[]; tradeFeeds: string[]; depthFeeds: string[]; aggTradeFeeds: string[]; upstreamOpened: Record<string, number>; depthUpstreamOpened: Record<string, number> } {
    return {
      topics: [...this.topics.keys()].sort(),
      tradeFeeds: [...this.tradeFeeds.keys()].sort(),
      depthFeeds: [...this.depthFeeds.keys()].sort(),
      aggTradeFeeds: [...this.aggTradeFeeds.keys()].sort(),
      upstreamOpened: Object.fromEntries([...this.tradeFeeds].map(([symbol, feed]) => [symbol, feed.opened])),
      depthUpstreamOpened: Object.fromEntries([...this.depthFeeds].map(([symbol, feed]) => [symbol, feed.opened])),
    };
  }

  close(): void {
    for (const topic of this.topics.values()) topic.stop();
    this.topics.clear();
    for (const feed of [...this.tradeFeeds.values(), ...this.depthFeeds.values(), ...this.aggTradeFeeds.values()]) feed.close();
    this.tradeFeeds.clear();
    this.depthFeeds.clear();
    this.aggTradeFeeds.clear();
  }

  private error(context: string) {
    return (error: unknown) => this.options.onError?.(error, context);
  }

  private publish(topic: Topic, data: unknown): void {
    const json = JSON.stringify(data);
    if (topic.stream.kind === "kline" || topic.stream.kind === "bookTicker" || topic.stream.kind === "partialDepth") topic.last = json;
    for (const subscriber of [...topic.subscribers]) subscriber.deliver(topic.stream.name, json);
  }

  /** Adds `listener` to the symbol's shared upstream feed (opened on the first); the returned function removes it (closing the feed after the last). */
  private listen<T>(feeds: Map<string, UpstreamFeed<T>>, symbol: string, create: () => UpstreamFeed<T>, listener: Listener<T>): () => void {
    let feed = feeds.get(symbol);
    if (!feed) {
      feed = create();
      feeds.set(symbol, feed);
    }
    feed.listeners.add(listener);
    const owned = feed;
    return () => {
      owned.listeners.delete(listener);
      if (owned.listeners.size === 0) {
        owned.close();
        if (feeds.get(symbol) === owned) feeds.delete(symbol);
      }
    };
  }

  private listenTrades(symbol: string, listener: TradeListener): () => void {
    return this.listen(this.tradeFeeds, symbol, () => tradeFeed(symbol, this.services, this.options), listener);
  }

  private listenDepth(symbol: string, listener: Listener<DepthUpdate>): () => void {
    return this.listen(this.depthFeeds, symbol, () => depthFeed(symbol, this.services, this.options), listener);
  }

  private start(stream: StreamName): Topic {
    const subscribers = new Set<TopicSubscriber>();
    switch (stream.kind) {
      case "trade": {
        const topic: Topic = { stream, subscribers, stop: () => stopTrades() };
        const stopTrades = this.listenTrades(stream.symbol, (trades) => {
          for (const trade of trades) this.publish(topic, tradeEvent(trade, this.options.now()));
        });
        return topic;
      }
      case "aggTrade": {
        const topic: Topic = { stream, subscribers, stop: () => stopAggTrades() };
        const stopAggTrades = this.listen(this.aggTradeFeeds, stream.symbol, () => aggTradeFeed(stream.symbol, this.services, this.options), (aggTrades) => {
          for (const agg of aggTrades) this.publish(topic, aggTradeEvent(agg, this.options.now()));
        });
        return topic;
      }
      case "kline":
        return this.startKline(stream, subscribers);
      case "miniTicker":
      case "ticker":
      case "windowTicker":
      case "avgPrice":
        return this.startTicker(stream, subscribers);
      case "allMiniTickers":
      case "allTickers":
        return this.startAllTickers(stream, subscribers);
      case "bookTicker":
        return this.startBookTicker(stream, subscribers);
      case "depth":
        return this.startDepth(stream, subscribers);
      case "partialDepth":
        return this.startPartialDepth(stream, subscribers);
    }
  }

  /**
   * StreamDepth's updates, gathered from the first one for `speedMs` (100 ms or 1 s) and sent as
   * one diff: the first U, the last u, each price's last quantity. Nothing is sent while the book
   * does not change.
   */
  private startDepth(stream: Extract<StreamName, { kind: "depth" }>, subscribers: Set<TopicSubscriber>): Topic {
    let pending: DepthUpdate[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const merged = mergeDepthUpdates(pending);
      pending = [];
      if (merged) this.publish(topic, depthUpdateEvent(merged, this.options.now()));
    };
    const topic: Topic = {
      stream,
      subscribers,
      stop: () => {
        clearTimeout(timer);
        stopDepth();
      },
    };
    const stopDepth = this.listenDepth(stream.symbol, (updates) => {
      pending.push(...updates);
      timer ??= setTimeout(flush, stream.speedMs);
    });
    return topic;
  }

  /** GetDepth (the top `levels`) every `speedMs` while subscribed; sent when the levels changed. */
  private startPartialDepth(stream: Extract<StreamName, { kind: "partialDepth" }>, subscribers: Set<TopicSubscriber>): Topic {
    const { symbol, levels } = stream;
    let stopped = false;
    let lastLevels: string | undefined;
    const topic: Topic = {
      stream,
      subscribers,
      stop: () => {
        stopped = true;
        clearInterval(timer);
      },
    };
    const poll = coalesced(async () => {
      if (stopped) return;
      const depth = await this.services.marketData.getDepth({ symbol, limit: levels });
      if (stopped) return;
      const event = partialDepthEvent(depth);
      const key = JSON.stringify([event.bids, event.asks]);
      if (key === lastLevels) return;
      lastLevels = key;
      this.publish(topic, event);
    }, this.error(`depth${levels} ${symbol}`));
    const timer = setInterval(poll, stream.speedMs);
    poll();
    return topic;
  }

  /**
   * After trades, the current candle is re-read from marketdata (its projection is the one
   * truth: open, high, low, first trade id of the whole bucket, whatever this edge saw) and sent
   * when it changed; when its interval ends it is re-read once more and sent with `x: true`.
   */
  private startKline(stream: Extract<StreamName, { kind: "kline" }>, subscribers: Set<TopicSubscriber>): Topic {
    const { symbol, interval } = stream;
    let stopped = false;
    let last: { kline: Kline; closed: boolean; json: string } | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    const topic: Topic = {
      stream,
      subscribers,
      stop: () => {
        stopped = true;
        clearTimeout(closeTimer);
        stopTrades();
      },
    };
    const read = async (openTime?: bigint): Promise<Kline | undefined> => {
      const { klines } = await this.services.marketData.listKlines({ symbol, interval, limit: 1, startTime: openTime ?? 0n });
      return klines[0];
    };
    const emit = (kline: Kline, closed: boolean) => {
      const data = klineEvent(symbol, interval, kline, closed, this.options.now());
      const json = JSON.stringify(data.k);
      if (last && last.json === json) return;
      last = { kline, closed, json };
      this.publish(topic, data);
    };
    const isClosed = (kline: Kline) => this.options.now() > Number(kline.closeTime) + this.options.klineCloseGraceMs;
    const closeLast = async () => {
      if (!last || last.closed) return;
      const final = (await read(last.kline.openTime)) ?? last.kline;
      if (!stopped) emit(final, true);
    };
    const scheduleClose = () => {
      clearTimeout(closeTimer);
      if (!last || last.closed || stopped) return;
      const wait = Math.min(Number(last.kline.closeTime) + 1 + this.options.klineCloseGraceMs - this.options.now(), MAX_TIMER_MS);
      closeTimer = setTimeout(() => refresh(), Math.max(wait, 0));
    };
    const refresh = coalesced(async () => {
      if (stopped) return;
      const latest = await read();
      if (stopped) return;
      // The candle sent last has ended (a newer one exists or its time is up): its final state, once.
      if (last && !last.closed && (latest?.openTime !== last.kline.openTime || isClosed(last.kline))) await closeLast();
      if (stopped) return;
      if (latest && !(last?.closed && last.kline.openTime === latest.openTime)) emit(latest, isClosed(latest));
      scheduleClose();
    }, this.error(`kline ${symbol} ${interval}`));
    const stopTrades = this.listenTrades(symbol, () => refresh());
    // The current candle, when there is one (a bucket that has trades and has not ended yet).
    void (async () => {
      const latest = await read();
      if (!stopped && latest && !last && !isClosed(latest)) {
        emit(latest, false);
        scheduleClose();
      }
    })().catch(this.error(`kline ${symbol} ${interval}`));
    return topic;
  }

  /** A ticker stream's event for `symbol` as marketdata has it now; undefined when there is nothing to say. */
  private async tickerOf(kind: "miniTicker" | "ticker" | "windowTicker" | "avgPrice", symbol: string, window?: { name: TickerWindow; ms: number }): Promise<unknown> {
    const { marketData } = this.services;
    const now = this.options.now;
    if (kind === "avgPrice") return avgPriceEvent(symbol, await marketData.getAvgPrice({ symbol }), now());
    const { ticker } = await marketData.getTicker24h({ symbol, windowMs: BigInt(window?.ms ?? 0) });
    if (!ticker) return undefined;
    if (kind === "miniTicker") return miniTickerEvent(ticker, now());
    if (kind === "windowTicker") return windowTickerEvent(ticker, window!.name, now());
    const [book, info] = await Promise.all([marketData.getBookTicker({ symbol }), this.services.symbols.get(symbol)]);
    return tickerEvent(ticker, book, { price: zeroAt(info.quoteAssetPrecision), qty: zeroAt(info.baseAssetPrecision) }, now());
  }

  /**
   * Calls `refresh` after `symbols`' trades, at most once per miniTickerMinIntervalMs (Binance
   * updates tickers each second), with the symbols that traded since the last call.
   */
  private afterTrades(symbols: readonly string[], refresh: (traded: ReadonlySet<string>) => Promise<void>, context: string): () => void {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let lastAt = -Infinity;
    const traded = new Set<string>();
    const run = coalesced(async () => {
      if (stopped) return;
      lastAt = this.options.now();
      const batch = new Set(traded);
      traded.clear();
      await refresh(batch);
    }, this.error(context));
    const stops = symbols.map((symbol) =>
      this.listenTrades(symbol, () => {
        traded.add(symbol);
        if (timer) return;
        const wait = Math.max(0, lastAt + this.options.miniTickerMinIntervalMs - this.options.now());
        timer = setTimeout(() => {
          timer = undefined;
          run();
        }, wait);
      }),
    );
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const stop of stops) stop();
    };
  }

  /** `@miniTicker`, `@ticker`, `@ticker_<window>`, `@avgPrice`: read again after the symbol's trades. */
  private startTicker(stream: Extract<StreamName, { kind: "miniTicker" | "ticker" | "windowTicker" | "avgPrice" }>, subscribers: Set<TopicSubscriber>): Topic {
    const { symbol } = stream;
    const window = stream.kind === "windowTicker" ? { name: stream.window, ms: stream.windowMs } : undefined;
    let stopped = false;
    const topic: Topic = {
      stream,
      subscribers,
      stop: () => {
        stopped = true;
        stopTrades();
      },
    };
    const stopTrades = this.afterTrades(
      [symbol],
      async () => {
        const event = await this.tickerOf(stream.kind, symbol, window);
        if (!stopped && event) this.publish(topic, event);
      },
      `${stream.kind} ${symbol}`,
    );
    return topic;
  }

  /** `!miniTicker@arr`, `!ticker@arr`: the symbols that traded since the last array, read again, as one array. */
  private startAllTickers(stream: Extract<StreamName, { kind: "allMiniTickers" | "allTickers" }>, subscribers: Set<TopicSubscriber>): Topic {
    let stopped = false;
    let stopTrades = () => {};
    const topic: Topic = {
      stream,
      subscribers,
      stop: () => {
        stopped = true;
        stopTrades();
      },
    };
    const kind = stream.kind === "allMiniTickers" ? "miniTicker" : "ticker";
    // The symbols listed when the first subscriber came; one added later joins when the topic restarts.
    void this.services.symbols.all().then((symbols) => {
      if (stopped) return;
      stopTrades = this.afterTrades(
        symbols.map((s) => s.symbol),
        async (traded) => {
          const events = await Promise.all([...traded].sort().map((symbol) => this.tickerOf(kind, symbol)));
          const present = events.filter((event) => event !== undefined);
          if (!stopped && present.length > 0) this.publish(topic, present);
        },
        stream.name,
      );
    }, this.error(stream.name));
    return topic;
  }

  /** GetDepth (top level) every bookTickerPollMs while subscribed; sends only changes. */
  private startBookTicker(stream: StreamName, subscribers: Set<TopicSubscriber>): Topic {
    const { symbol } = stream;
    let stopped = false;
    let last: ReturnType<typeof bookTickerEvent> | undefined;
    const topic: Topic = {
      stream,
      subscribers,
      stop: () => {
        stopped = true;
        clearInterval(timer);
      },
    };
    const poll = coalesced(async () => {
      if (stopped) return;
      const info = await this.services.symbols.get(symbol);
      const depth = await this.services.marketData.getDepth({ symbol, limit: 1 });
      if (stopped) return;
      const next = bookTickerEvent(symbol, depth, { price: zeroAt(info.quoteAssetPrecision), qty: zeroAt(info.baseAssetPrecision) });
      if (!bookTickerChanged(last, next)) return;
      last = next;
      this.publish(topic, next);
    }, this.error(`bookTicker ${symbol}`));
    const timer = setInterval(poll, this.options.bookTickerPollMs);
    poll();
    return topic;
  }
}
