import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { systemClock, type Clock } from "#kit/clock/clock.js";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import type { ServiceDirectory } from "#kit/rpc/service-directory.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import type { Registry } from "prom-client";
import { exportConsumerPositions } from "#kit/telemetry/consumer-metrics.js";
import type { Logger } from "#kit/telemetry/logger.js";
import { SqlMarketDataStore, marketDataMigrations, type MarketDataTables } from "./adapters/market-data-store.sql.js";
import { ConnectMatchingFeed } from "./adapters/matching-feed.connect.js";
import { EventLogMatchingFeed } from "./adapters/matching-feed.event-log.js";
import type { EventLog } from "#kit/ports/event-log.port.js";
import { ConnectSymbolSource } from "./adapters/symbol-source.connect.js";
import { MarketData } from "./domain/market-data.use-case.js";
import { IndexTrades } from "./domain/index-trades.use-case.js";
import { TradeHistory } from "./domain/trade-history.use-case.js";
import type { SearchIndex } from "#kit/ports/search-index.port.js";
import { marketDataRoutes } from "./rpc/marketdata.routes.js";

export interface MarketDataConfig {
  /** sqlite:<file> in embedded mode, postgres://... in distributed mode. */
  readonly databaseUrl: string;
  /** Reaches matching (events, book) and order (the symbol registry). */
  readonly directory: ServiceDirectory;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The process's Prometheus registry (served at /metrics). */
  readonly metrics?: Registry;
  /** Back-off after a broken event stream or an unreachable order service. */
  readonly retryMs?: number;
  /** How often order's registry is read for symbols added since the start (MARKETDATA_SYMBOL_POLL_MS, default 10 s). */
  readonly symbolPollMs?: number;
  /**
   * Market history (EXCHANGE_SEARCH_INDEX: OpenSearch, or SQLite embedded): the stored trades are copied into it
   * every `historyIndexMs` (MARKETDATA_HISTORY_INDEX_MS, default 1 s) and searched by SearchTrades and the
   * aggregations. Closed by stop(). Without it those RPCs answer Unimplemented.
   */
  readonly history?: SearchIndex;
  readonly historyIndexMs?: number;
  /**
   * The event backbone: matching's batches are read from this EventLog topic as consumer group `group`
   * (MATCHING_EVENTS=event-log) instead of matching's stream; `release` is called at stop.
   */
  readonly matchingEvents?: { readonly log: EventLog; readonly topic: string; readonly group: string; readonly partitions?: number; readonly release?: () => Promise<void> };
}

export interface MarketDataModule extends ServiceModule {
  readonly marketData: MarketData;
}

/** Composition root of the marketdata service: store, symbol source, matching feed, one consumer per symbol. */
export async function createMarketDataModule(config: MarketDataConfig): Promise<MarketDataModule> {
  // Trades, klines and the consumer's position move together, from matching's journal: a projection it rebuilds.
  const database = openDatabase<MarketDataTables>(config.databaseUrl, { durability: "rebuildable" });
  await migrate(database.db as never, "marketdata", marketDataMigrations);
  const clock = config.clock ?? systemClock;
  const store = new SqlMarketDataStore(database.db);
  const matchingRpc = new ConnectMatchingFeed(config.directory.transport("matching"));
  const eventsConfig = config.matchingEvents;
  const fromLog = eventsConfig
    ? new EventLogMatchingFeed(matchingRpc, { ...eventsConfig, onError: (error) => config.logger?.warn({ err: error }, "matching events from the log failed; retrying") })
    : undefined;
  const marketData = new MarketData({
    store,
    matching: fromLog ?? matchingRpc,
    symbols: new ConnectSymbolSource(config.directory.transport("order")),
    clock,
  });
  exportConsumerPositions(config.metrics, "marketdata", () => followed, (symbol) => marketData.appliedSequence(symbol));
  const consumers = new AbortController();
  const running: Promise<void>[] = [];
  const retryMs = config.retryMs ?? 500;
  const symbolPollMs = config.symbolPollMs ?? 10_000;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (consumers.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        consumers.signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      consumers.signal.addEventListener("abort", done);
    });
  const follow = async (symbol: string) => {
    // Follow matching's events; on a broken stream, back off and resume from the last applied sequence.
    while (!consumers.signal.aborted) {
      try {
        await marketData.consume(symbol, consumers.signal);
      } catch (error) {
        if (consumers.signal.aborted) return;
        config.logger?.warn({ err: error, symbol }, "matching event stream broke; resuming");
        await pause(retryMs);
      }
    }
  };
  // One consumer per symbol, started the first time the symbol is seen: at start, by the poll
  // below, or by a request that reloaded the list for a symbol not yet known.
  const followed = new Set<string>();
  const unsubscribe = marketData.onSymbolsAdded((added) => {
    for (const market of added) {
      if (consumers.signal.aborted || followed.has(market.symbol)) continue;
      followed.add(market.symbol);
      running.push(follow(market.symbol));
    }
  });
  const pollSymbols = async () => {
    // Order may start after us (distributed mode): retry until its registry answers, then poll it
    // for symbols added while we run (order has no change stream for its registry).
    while (!consumers.signal.aborted) {
      try {
        await marketData.loadSymbols();
        await pause(symbolPollMs);
      } catch (error) {
        if (consumers.signal.aborted) return;
        config.logger?.warn({ err: error }, "symbol registry unavailable; retrying");
        await pause(retryMs);
      }
    }
  };
  // Market history: a loop of its own behind the projection (never in the consumers' way), over what they stored.
  const history = config.history;
  const indexer = history && new IndexTrades({ store, index: history, symbol: (symbol) => marketData.symbol(symbol) });
  const indexHistory = async () => {
    if (!history || !indexer) return;
    while (!consumers.signal.aborted) {
      try {
        await history.ensure();
        break;
      } catch (error) {
        config.logger?.warn({ err: error }, "search index unavailable; retrying");
        await pause(retryMs * 4);
      }
    }
    while (!consumers.signal.aborted) {
      for (const symbol of followed) {
        if (consumers.signal.aborted) break;
        try {
          await indexer.catchUp(symbol);
        } catch (error) {
          config.logger?.warn({ err: error, symbol }, "indexing market history failed; retrying");
        }
      }
      await pause(config.historyIndexMs ?? 1_000);
    }
  };
  return {
    name: "marketdata",
    serviceNames: [MarketDataService.typeName],
    marketData,
    routes: marketDataRoutes({ clock, marketData, history: history && new TradeHistory(history, (symbol) => marketData.symbol(symbol)) }),
    async start() {
      await fromLog?.start();
      running.push(pollSymbols(), indexHistory());
    },
    async stop() {
      consumers.abort();
      unsubscribe();
      await Promise.allSettled(running);
      await fromLog?.stop();
      await eventsConfig?.release?.();
      await history?.close();
      await database.close();
    },
  };
}
