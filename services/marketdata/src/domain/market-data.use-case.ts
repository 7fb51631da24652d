import { Side } from "#gen/exchange/common/v1/common_pb.js";
import type { EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { inGroups, untilDone } from "#kit/lifecycle/in-groups.js";
import { averageWindowStart, DEFAULT_AVG_PRICE_MINS } from "#kit/money/average-price.js";
import type { MarketDataStore } from "../ports/market-data-store.port.js";
import type { BookSnapshot, MatchingFeed } from "../ports/matching-feed.port.js";
import type { SymbolSource } from "../ports/symbol-source.port.js";
import { depthChangeOf, type DepthChange } from "./depth.js";
import { INTERVALS, MINUTE_MS, bucketOpen, type Interval } from "./intervals.js";
import { aggTradesOf, klineOf, mergeKlines, type AggTrade, type Kline, type PublicTrade } from "./market.js";
import { MarketSymbol } from "./market-symbol.js";
import { percentChange, weightedAverage } from "./ticker.js";

export interface MarketDataDeps {
  readonly store: MarketDataStore;
  readonly matching: MatchingFeed;
  readonly symbols: SymbolSource;
  readonly clock: Clock;
  /** How often an unknown symbol may trigger a reload of the symbol list. */
  readonly symbolRefreshMs?: number;
}

export const DAY_MS = 24 * 60 * MINUTE_MS;
/** Binance's aggTrades: startTime and endTime at most an hour apart. */
export const AGG_TRADES_WINDOW_MS = 60 * MINUTE_MS;
/** Trades a StreamTrades subscriber (or updates a StreamDepth subscriber) may fall behind by before its stream is ended. */
const STREAM_BACKLOG = 10_000;

/** A rolling window's aggregate: a kline over [from, to] without an interval. */
export interface WindowStats {
  readonly from: number;
  readonly to: number;
  readonly stats: Kline | undefined;
  /** The most recent trade (the window's last one when the window has trades). */
  readonly last: PublicTrade | undefined;
}

export interface Ticker {
  readonly symbol: MarketSymbol;
  readonly openTime: number;
  readonly closeTime: number;
  readonly open: bigint;
  readonly high: bigint;
  readonly low: bigint;
  readonly last: bigint;
  readonly lastQty: bigint;
  readonly prevClose: bigint | undefined;
  readonly priceChange: bigint;
  readonly priceChangePercent: string;
  readonly weightedAvg: bigint;
  readonly volume: bigint;
  readonly quoteVolume: bigint;
  readonly count: number;
  readonly firstId: number;
  readonly lastId: number;
}

export interface AggTradeQuery {
  readonly fromId?: number;
  readonly startTime?: number;
  readonly endTime?: number;
  readonly limit: number;
}

type Listener<T> = (items: readonly T[]) => void;

/** Per-symbol listeners of one kind of live item (trades, depth changes). */
class Listeners<T> {
  private readonly bySymbol = new Map<string, Set<Listener<T>>>();

  add(symbol: string, listener: Listener<T>): () => void {
    const set = this.bySymbol.get(symbol) ?? new Set();
    set.add(listener);
    this.bySymbol.set(symbol, set);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.bySymbol.get(symbol) === set) this.bySymbol.delete(symbol);
    };
  }

  has(symbol: string): boolean {
    return this.bySymbol.has(symbol);
  }

  count(symbol: string): number {
    return this.bySymbol.get(symbol)?.size ?? 0;
  }

  emit(symbol: string, items: readonly T[]): void {
    for (const listener of this.bySymbol.get(symbol) ?? []) listener(items);
  }

  /** The items of `symbol` heard after this call, until `signal` aborts; more than STREAM_BACKLOG unread ends it with DISCONNECTED. */
  async *follow(symbol: string, signal: AbortSignal, what: string): AsyncGenerator<T> {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    const onAbort = () => wake?.();
    const remove = this.add(symbol, (items) => {
      queue.push(...items);
      if (queue.length > STREAM_BACKLOG) overflow = true;
      wake?.();
    });
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        if (overflow) throw new DomainError("DISCONNECTED", `${what} stream fell too far behind; subscribe again.`);
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      remove();
      signal.removeEventListener("abort", onAbort);
    }
  }
}

/** Event batches stored together at most. */
const MAX_GROUP = 256;

/** Trades (of one batch or of several in a row) folded into one aggregate per (interval, bucket). */
export function klinesOf(trades: readonly PublicTrade[]): Kline[] {
  const buckets = new Map<string, Kline>();
  for (const trade of trades) {
    for (const interval of INTERVALS) {
      const open = bucketOpen(interval, trade.time);
      const key = `${interval}:${open}`;
      const single = klineOf(interval, open, trade);
      const existing = buckets.get(key);
      buckets.set(key, existing ? mergeKlines(existing, single) : single);
    }
  }
  return [...buckets.values()];
}

/**
 * Public market data, projected from matching's per-symbol event streams: trades and klines
 * (stored, exactly once per batch), tickers and average prices (computed from them on read),
 * depth and best prices (read from matching's book), and live trades for subscribers.
 */
export class MarketData {
  private readonly markets = new Map<string, MarketSymbol>();
  /** Each symbol's avgPriceMins as the registry last said (it may change while the symbol trades). */
  private readonly avgPriceMins = new Map<string, number>();
  private readonly applied = new Map<string, number>();
  /** Per symbol, the last applied batch that changed the book (or where the consumer started): the next update's U - 1. */
  private readonly lastBookChange = new Map<string, number>();
  private readonly tradeListeners = new Listeners<PublicTrade>();
  private readonly depthListeners = new Listeners<DepthChange>();
  private readonly aggTradeListeners = new Listeners<AggTrade>();
  private readonly symbolListeners = new Set<(added: readonly MarketSymbol[]) => void>();
  private loadedAt: number | undefined;

  constructor(private readonly deps: MarketDataDeps) {}

  /** Reloads the symbol list (order's registry); symbols seen for the first time go to the `onSymbolsAdded` listeners. */
  async loadSymbols(): Promise<MarketSymbol[]> {
    const list = await this.deps.symbols.list();
    const added: MarketSymbol[] = [];
    for (const scales of list) {
      this.avgPriceMins.set(scales.symbol, scales.avgPriceMins ?? DEFAULT_AVG_PRICE_MINS);
      if (this.markets.has(scales.symbol)) continue;
      const market = new MarketSymbol(scales);
      this.markets.set(scales.symbol, market);
      added.push(market);
    }
    this.loadedAt = this.deps.clock.now();
    if (added.length > 0) for (const listener of this.symbolListeners) listener(added);
    return [...this.markets.values()];
  }

  /**
   * Calls `listener` with the symbols already known, then with each reload's new ones (a
   * periodic poll, or a request naming a symbol not yet known); returns the unsubscribe.
   */
  onSymbolsAdded(listener: (added: readonly MarketSymbol[]) => void): () => void {
    this.symbolListeners.add(listener);
    if (this.markets.size > 0) listener([...this.markets.values()]);
    return () => this.symbolListeners.delete(listener);
  }

  /** The symbol, reloading the list (at most every few seconds) before calling it unknown. */
  async symbol(symbol: string): Promise<MarketSymbol> {
    const known = this.markets.get(symbol);
    if (known) return known;
    const now = this.deps.clock.now();
    if (this.loadedAt === undefined || now - this.loadedAt >= (this.deps.symbolRefreshMs ?? 5_000)) await this.loadSymbols();
    const found = this.markets.get(symbol);
    if (!found) throw new DomainError("BAD_SYMBOL", "Invalid symbol.", [{ field: "symbol", description: `unknown symbol ${symbol}` }]);
    return found;
  }

  // ------------------------------------------------------------------ projection

  /**
   * Follows a symbol's event stream from the last applied sequence until `signal` aborts; the
   * batches that arrived while the previous ones were stored are stored together.
   */
  async consume(symbol: string, signal: AbortSignal): Promise<void> {
    await this.symbol(symbol);
    const last = await this.deps.store.lastSequence(symbol);
    this.applied.set(symbol, Math.max(last, this.applied.get(symbol) ?? 0));
    await untilDone(signal, async (stream) => {
      for await (const group of inGroups(this.deps.matching.events(symbol, this.applied.get(symbol)! + 1, stream), MAX_GROUP)) {
        await this.applyGroup(symbol, group);
        this.deps.matching.applied?.(symbol, this.applied.get(symbol) ?? 0);
      }
    });
  }

  /** Applies one batch: its trades and kline aggregates and its sequence in one store transaction. */
  apply(symbol: string, batch: EventBatch): Promise<void> {
    return this.applyGroup(symbol, [batch]);
  }

  /**
   * Applies consecutive batches: their trades, kline aggregates and the last sequence in one
   * store transaction, then tells subscribers batch by batch. Aggregate trades are formed per
   * batch, so ids come out as when each batch is stored alone. When another replica stored
   * part of the group first, each batch is applied on its own.
   */
  private async applyGroup(symbol: string, all: readonly EventBatch[]): Promise<void> {
    const batches = all.filter((batch) => Number(batch.sequence) > (this.applied.get(symbol) ?? 0));
    if (batches.length === 0) return;
    const market = await this.symbol(symbol);
    const tradesOf = batches.map((batch) => {
      const time = Number(batch.timestamp);
      const trades: (PublicTrade & { takerOrderId: bigint })[] = [];
      for (const event of batch.events) {
        if (event.kind.case !== "trade") continue;
        const trade = event.kind.value;
        const ticks = BigInt(trade.priceTicks);
        const lots = BigInt(trade.quantityLots);
        trades.push({
          tradeId: Number(trade.tradeId),
          price: market.price(ticks),
          qty: market.qty(lots),
          quoteQty: market.quote(ticks, lots),
          time,
          isBuyerMaker: trade.takerSide === Side.SELL,
          takerOrderId: trade.takerOrderId,
        });
      }
      return trades;
    });
    const trades = tradesOf.flat();
    const publicTrades = trades.map(({ takerOrderId: _, ...trade }) => trade);
    const first = Number(batches[0]!.sequence);
    const last = Number(batches[batches.length - 1]!.sequence);
    // Batches without trades are recorded too, so a restart resumes after them.
    const stored = await this.deps.store.applyBatch(symbol, last, publicTrades, klinesOf(publicTrades), tradesOf.flatMap(aggTradesOf), first);
    if (!stored && batches.length > 1) {
      for (const batch of batches) await this.applyGroup(symbol, [batch]);
      return;
    }
    batches.forEach((batch, index) => {
      const sequence = Number(batch.sequence);
      const previousChange = this.lastBookChange.get(symbol) ?? this.applied.get(symbol) ?? 0;
      this.applied.set(symbol, sequence);
      const change = depthChangeOf(batch, previousChange);
      if (change) this.lastBookChange.set(symbol, sequence);
      // Subscribers hear the batch even when another replica stored it first.
      const batchTrades = tradesOf[index]!;
      if (batchTrades.length > 0) this.tradeListeners.emit(symbol, batchTrades.map(({ takerOrderId: _, ...trade }) => trade));
      if (change) this.depthListeners.emit(symbol, [change]);
    });
    // Aggregates are read back with the ids the store gave them (here or in the replica that stored the batch).
    if (trades.length > 0 && this.aggTradeListeners.has(symbol)) {
      this.aggTradeListeners.emit(symbol, await this.deps.store.aggTradesOfTrades(symbol, trades[0]!.tradeId, trades[trades.length - 1]!.tradeId));
    }
  }

  /** Live StreamTrades, StreamDepth and StreamAggTrades subscribers of `symbol` (for tests and metrics). */
  subscribers(symbol: string): { trades: number; depth: number; aggTrades: number } {
    return { trades: this.tradeListeners.count(symbol), depth: this.depthListeners.count(symbol), aggTrades: this.aggTradeListeners.count(symbol) };
  }

  appliedSequence(symbol: string): number {
    return this.applied.get(symbol) ?? 0;
  }

  // ------------------------------------------------------------------ queries

  async listTrades(symbol: string, limit: number, fromId: number): Promise<{ market: MarketSymbol; trades: PublicTrade[] }> {
    const market = await this.symbol(symbol);
    const count = clampLimit(limit);
    const trades = fromId > 0 ? await this.deps.store.tradesFrom(symbol, fromId, count) : await this.deps.store.latestTrades(symbol, count);
    return { market, trades };
  }

  /**
   * Binance's aggTrades: from an id (not with times), within a time range (inclusive, at most an
   * hour; startTime alone spans the hour after it, endTime alone the hour before), or the latest.
   */
  async listAggTrades(symbol: string, query: AggTradeQuery): Promise<{ market: MarketSymbol; aggTrades: AggTrade[] }> {
    const market = await this.symbol(symbol);
    const count = clampLimit(query.limit);
    const { fromId, startTime, endTime } = query;
    const timed = startTime !== undefined || endTime !== undefined;
    if (fromId !== undefined && timed) {
      throw new DomainError("OPTIONAL_PARAMS_BAD_COMBO", undefined, [{ field: "from_id", description: "cannot be combined with start_time or end_time" }]);
    }
    if (startTime !== undefined && endTime !== undefined) {
      if (startTime > endTime) throw new DomainError("INVALID_PARAMETER", "startTime must not be after endTime.", [{ field: "start_time", description: "<= end_time" }]);
      if (endTime - startTime > AGG_TRADES_WINDOW_MS) {
        throw new DomainError("MORE_THAN_XX_HOURS", "More than 1 hours between startTime and endTime.", [{ field: "end_time", description: "at most 1 hour after start_time" }]);
      }
    }
    let aggTrades: AggTrade[];
    if (fromId !== undefined) aggTrades = await this.deps.store.aggTradesFrom(symbol, fromId, count);
    else if (timed) {
      const from = startTime ?? endTime! - AGG_TRADES_WINDOW_MS;
      const to = endTime ?? startTime! + AGG_TRADES_WINDOW_MS;
      aggTrades = await this.deps.store.aggTradesBetween(symbol, from, to, count);
    } else aggTrades = await this.deps.store.latestAggTrades(symbol, count);
    return { market, aggTrades };
  }

  async listKlines(symbol: string, interval: string, startTime: number, endTime: number, limit: number): Promise<{ market: MarketSymbol; klines: Kline[] }> {
    const market = await this.symbol(symbol);
    if (!(INTERVALS as readonly string[]).includes(interval)) {
      throw new DomainError("BAD_INTERVAL", "Invalid interval.", [{ field: "interval", description: INTERVALS.join("|") }]);
    }
    if (startTime > 0 && endTime > 0 && startTime > endTime) {
      throw new DomainError("INVALID_PARAMETER", "startTime must not be after endTime.", [{ field: "start_time", description: "<= end_time" }]);
    }
    const klines = await this.deps.store.klines(symbol, interval as Interval, {
      startTime: startTime > 0 ? startTime : undefined,
      endTime: endTime > 0 ? endTime : undefined,
      limit: clampLimit(limit),
    });
    return { market, klines };
  }

  /**
   * The aggregate of the trades with from <= time <= to: the trades of the first, partial
   * minute read one by one, every later whole minute from its 1m kline.
   */
  async window(symbol: string, from: number, to: number): Promise<WindowStats> {
    const firstWholeMinute = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
    const partial = await this.deps.store.tradesBetween(symbol, from, Math.min(firstWholeMinute, to + 1));
    const minutes = firstWholeMinute <= to ? await this.deps.store.klines(symbol, "1m", { startTime: firstWholeMinute, endTime: to, limit: Math.ceil((to - firstWholeMinute + 1) / MINUTE_MS) + 1 }) : [];
    let stats: Kline | undefined;
    for (const part of [...partial.map((trade) => klineOf("1m", from, trade)), ...minutes]) stats = stats ? mergeKlines(stats, part) : part;
    const [last] = await this.deps.store.latestTrades(symbol, 1);
    return { from, to, stats, last };
  }

  /** The rolling ticker ending now, over `windowMs` (Binance's windowSize: 1 minute to 7 days; 24 h by default). */
  async ticker24h(symbol: string, windowMs = DAY_MS): Promise<Ticker> {
    if (!Number.isSafeInteger(windowMs) || windowMs < MINUTE_MS || windowMs > 7 * DAY_MS) {
      throw new DomainError("INVALID_PARAMETER", "Invalid windowSize: from 1 minute to 7 days.", [{ field: "window_ms", description: `${MINUTE_MS}..${7 * DAY_MS}` }]);
    }
    const market = await this.symbol(symbol);
    const now = this.deps.clock.now();
    const { from, stats, last } = await this.window(symbol, now - windowMs, now);
    const previous = await this.deps.store.lastTradeBefore(symbol, from);
    const lastPrice = last?.price ?? 0n;
    const open = stats?.open ?? lastPrice;
    const close = stats?.close ?? lastPrice;
    return {
      symbol: market,
      openTime: from,
      closeTime: now,
      open,
      high: stats?.high ?? lastPrice,
      low: stats?.low ?? lastPrice,
      last: close,
      lastQty: stats && last ? last.qty : 0n,
      prevClose: previous?.price,
      priceChange: close - open,
      priceChangePercent: percentChange(open, close),
      weightedAvg: stats ? weightedAverage(stats.quoteVolume, stats.volume, market.scales.baseScale) : 0n,
      volume: stats?.volume ?? 0n,
      quoteVolume: stats?.quoteVolume ?? 0n,
      count: stats?.count ?? 0,
      firstId: stats?.firstTradeId ?? 0,
      lastId: stats?.lastTradeId ?? 0,
    };
  }

  /**
   * Binance's avgPrice over the symbol's avgPriceMins, as NOTIONAL and PERCENT_PRICE_BY_SIDE judge
   * at (kit/money/average-price.ts): the volume-weighted price of the trades of every minute that
   * overlaps the last `mins` minutes (their 1m klines); none in them, or mins 0: the last trade's
   * price; no trade at all: none. `closeTime` is the last trade's time.
   */
  async avgPrice(symbol: string): Promise<{ market: MarketSymbol; mins: number; price: bigint | undefined; closeTime: number }> {
    const market = await this.symbol(symbol);
    const mins = this.avgPriceMins.get(symbol) ?? DEFAULT_AVG_PRICE_MINS;
    const now = this.deps.clock.now();
    const { stats, last } = mins > 0 ? await this.window(symbol, averageWindowStart(now, mins), now) : { stats: undefined, last: (await this.deps.store.latestTrades(symbol, 1))[0] };
    if (!last) return { market, mins, price: undefined, closeTime: 0 };
    const price = stats && stats.volume > 0n ? weightedAverage(stats.quoteVolume, stats.volume, market.scales.baseScale) : last.price;
    return { market, mins, price, closeTime: last.time };
  }

  async depth(symbol: string, limit: number): Promise<{ market: MarketSymbol; book: BookSnapshot }> {
    const market = await this.symbol(symbol);
    const depth = limit <= 0 ? 100 : Math.min(limit, 5000);
    const book = await this.deps.matching.book(symbol, depth);
    return { market, book: { sequence: book.sequence, bids: book.bids.slice(0, depth), asks: book.asks.slice(0, depth) } };
  }

  // ------------------------------------------------------------------ live trades

  /** Trades of `symbol` as the projection applies them, until `signal` aborts. */
  async *streamTrades(symbol: string, signal: AbortSignal): AsyncGenerator<{ market: MarketSymbol; trade: PublicTrade }> {
    const market = await this.symbol(symbol);
    for await (const trade of this.tradeListeners.follow(symbol, signal, "Trade")) yield { market, trade };
  }

  /** Aggregate trades of `symbol` as the projection applies their batch (each complete, with its final id), until `signal` aborts. */
  async *streamAggTrades(symbol: string, signal: AbortSignal): AsyncGenerator<{ market: MarketSymbol; aggTrade: AggTrade }> {
    const market = await this.symbol(symbol);
    for await (const aggTrade of this.aggTradeListeners.follow(symbol, signal, "Aggregate trade")) yield { market, aggTrade };
  }

  // ------------------------------------------------------------------ live depth

  /**
   * The book's changes as the projection applies batches, one per batch that changed it, until
   * `signal` aborts. U/u are matching's sequences, the space of GetDepth's lastUpdateId: u is the
   * batch's own, U the sequence after the previous batch that changed the book (so batches that
   * left the book alone are covered and U is always the previous update's u + 1).
   */
  async *streamDepth(symbol: string, signal: AbortSignal): AsyncGenerator<{ market: MarketSymbol; change: DepthChange }> {
    const market = await this.symbol(symbol);
    for await (const change of this.depthListeners.follow(symbol, signal, "Depth")) yield { market, change };
  }
}

/** Binance's limits: default 500, at most 1000. */
export function clampLimit(limit: number): number {
  return limit <= 0 ? 500 : Math.min(limit, 1000);
}
