import type { Kline, PublicTrade } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import type { EdgeServices } from "../rest/services.js";
import { zeroAt } from "../rest/binance.mapper.js";
import { bookTickerChanged, bookTickerEvent, klineEvent, miniTickerEvent, tradeEvent, type StreamName } from "./streams.js";

// The upstream side of the market streams: one topic per stream name, started on its first
// subscriber and stopped after its last leaves. Trades come from marketdata's StreamTrades, one
// upstream stream per symbol shared by every topic of that symbol (trade, kline_*, miniTicker);
// klines and the mini ticker are re-read from marketdata after trades; the book ticker is polled.

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

type TradeListener = (trades: readonly PublicTrade[]) => void;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });

/** One StreamTrades call per symbol, reopened with backoff when it ends, while anyone listens. */
class TradeFeed {
  readonly listeners = new Set<TradeListener>();
  private readonly abort = new AbortController();
  private lastId = 0n;
  /** Upstream StreamTrades calls opened so far (for tests and metrics). */
  opened = 0;

  constructor(
    private readonly symbol: string,
    private readonly services: EdgeServices,
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
        for await (const { trade } of this.services.marketData.streamTrades({ symbol: this.symbol }, { signal })) {
          delay = this.options.reconnectMinMs;
          // After a reconnect the stream starts anew; never send a trade twice.
          if (!trade || trade.id <= this.lastId) continue;
          this.lastId = trade.id;
          for (const listener of [...this.listeners]) listener([trade]);
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.onError?.(error, `StreamTrades ${this.symbol}`);
      }
      if (signal.aborted) return;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, this.options.reconnectMaxMs);
    }
  }
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
  private readonly tradeFeeds = new Map<string, TradeFeed>();

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

  /** What is running: topic names and the symbols with an upstream StreamTrades open. */
  stats(): { topics: string[]; tradeFeeds: string[]; upstreamOpened: Record<string, number> } {
    return {
      topics: [...this.topics.keys()].sort(),
      tradeFeeds: [...this.tradeFeeds.keys()].sort(),
      upstreamOpened: Object.fromEntries([...this.tradeFeeds].map(([symbol, feed]) => [symbol, feed.opened])),
    };
  }

  close(): void {
    for (const topic of this.topics.values()) topic.stop();
    this.topics.clear();
    for (const feed of this.tradeFeeds.values()) feed.close();
    this.tradeFeeds.clear();
  }

  private error(context: string) {
    return (error: unknown) => this.options.onError?.(error, context);
  }

  private publish(topic: Topic, data: unknown): void {
    const json = JSON.stringify(data);
    if (topic.stream.kind === "kline" || topic.stream.kind === "bookTicker") topic.last = json;
    for (const subscriber of [...topic.subscribers]) subscriber.deliver(topic.stream.name, json);
  }

  private listenTrades(symbol: string, listener: TradeListener): () => void {
    let feed = this.tradeFeeds.get(symbol);
    if (!feed) {
      feed = new TradeFeed(symbol, this.services, this.options);
      this.tradeFeeds.set(symbol, feed);
    }
    feed.listeners.add(listener);
    const owned = feed;
    return () => {
      owned.listeners.delete(listener);
      if (owned.listeners.size === 0) {
        owned.close();
        if (this.tradeFeeds.get(symbol) === owned) this.tradeFeeds.delete(symbol);
      }
    };
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
      case "kline":
        return this.startKline(stream, subscribers);
      case "miniTicker":
        return this.startMiniTicker(stream, subscribers);
      case "bookTicker":
        return this.startBookTicker(stream, subscribers);
    }
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

  /** After trades, GetTicker24h, at most once per miniTickerMinIntervalMs. */
  private startMiniTicker(stream: StreamName, subscribers: Set<TopicSubscriber>): Topic {
    const { symbol } = stream;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let lastAt = -Infinity;
    const topic: Topic = {
      stream,
      subscribers,
      stop: () => {
        stopped = true;
        clearTimeout(timer);
        stopTrades();
      },
    };
    const refresh = coalesced(async () => {
      if (stopped) return;
      lastAt = this.options.now();
      const { ticker } = await this.services.marketData.getTicker24h({ symbol });
      if (!stopped && ticker) this.publish(topic, miniTickerEvent(ticker, this.options.now()));
    }, this.error(`miniTicker ${symbol}`));
    const stopTrades = this.listenTrades(symbol, () => {
      if (timer) return;
      const wait = Math.max(0, lastAt + this.options.miniTickerMinIntervalMs - this.options.now());
      timer = setTimeout(() => {
        timer = undefined;
        refresh();
      }, wait);
    });
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
