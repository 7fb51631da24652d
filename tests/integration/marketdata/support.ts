import { createClient, type Client } from "@connectrpc/connect";
import type { Kysely } from "kysely";
import { OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { MatchingService, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { ManualClock } from "#kit/clock/clock.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { SqlMarketDataStore, type MarketDataTables } from "../../../services/marketdata/src/adapters/market-data-store.sql.js";
import { ConnectMatchingFeed } from "../../../services/marketdata/src/adapters/matching-feed.connect.js";
import { MarketData } from "../../../services/marketdata/src/domain/market-data.use-case.js";
import type { SymbolScales } from "../../../services/marketdata/src/domain/market-symbol.js";
import { marketDataRoutes } from "../../../services/marketdata/src/rpc/marketdata.routes.js";
import { createMatchingModule } from "../../../services/matching/src/main.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";

/** The symbols order seeds a fresh exchange with, as its GetExchangeInfo reports them; a test may change a symbol's avgPriceMins. */
export const orderSymbols = {
  avgPriceMins: new Map<string, number>(),
  list: async (): Promise<SymbolScales[]> =>
    DEFAULT_SYMBOLS.map((s) => ({ symbol: s.symbol, baseScale: s.baseScale, quoteScale: s.quoteScale, tickSize: s.tickSize, stepSize: s.stepSize, avgPriceMins: orderSymbols.avgPriceMins.get(s.symbol) })),
};

/** A real matching engine in this process; commands carry the timestamps the test chooses. */
export class Matching {
  readonly client: Client<typeof MatchingService>;
  private nextOrderId = 1;
  readonly batches: EventBatch[] = [];

  constructor(readonly module: ServiceModule) {
    this.client = createClient(MatchingService, inProcessTransport(module.routes));
  }

  static async start(dataDir: string): Promise<Matching> {
    return new Matching(await createMatchingModule({ dataDir }));
  }

  async place(symbol: string, at: number, accountId: string, side: Side, priceTicks: bigint, lots: bigint): Promise<EventBatch> {
    const { batch } = await this.client.submit({
      command: {
        symbol,
        timestamp: BigInt(at),
        kind: {
          case: "place",
          value: {
            orderId: BigInt(this.nextOrderId++),
            accountId,
            side,
            type: OrderType.LIMIT,
            timeInForce: TimeInForce.GTC,
            priceTicks: String(priceTicks),
            quantityLots: String(lots),
            selfTradePreventionMode: SelfTradePreventionMode.NONE,
            budget: String(side === Side.BUY ? priceTicks * lots : lots),
          },
        },
      },
    });
    this.batches.push(batch!);
    return batch!;
  }

  /** One trade at `at`: a resting maker and a taker crossing it fully; the taker's batch. */
  async trade(symbol: string, at: number, priceTicks: bigint, lots: bigint, takerSide: Side): Promise<EventBatch> {
    const makerSide = takerSide === Side.BUY ? Side.SELL : Side.BUY;
    await this.place(symbol, at, "maker", makerSide, priceTicks, lots);
    return this.place(symbol, at, "taker", takerSide, priceTicks, lots);
  }

  /** An order that rests (no trade). */
  rest(symbol: string, at: number, side: Side, priceTicks: bigint, lots: bigint): Promise<EventBatch> {
    return this.place(symbol, at, "rester", side, priceTicks, lots);
  }
}

/** marketdata over a store and a real matching engine, with its consumer running and its RPCs in-process. */
export class Projection {
  readonly marketData: MarketData;
  readonly client: Client<typeof MarketDataService>;
  private readonly consumers = new AbortController();
  private readonly running: Promise<void>[] = [];

  constructor(db: Kysely<MarketDataTables>, matching: Matching, readonly clock: ManualClock) {
    this.marketData = new MarketData({ store: new SqlMarketDataStore(db), matching: new ConnectMatchingFeed(inProcessTransport(matching.module.routes)), symbols: orderSymbols, clock });
    this.client = createClient(MarketDataService, inProcessTransport(marketDataRoutes({ clock, marketData: this.marketData })));
  }

  follow(symbol: string): void {
    this.running.push(this.marketData.consume(symbol, this.consumers.signal).catch(() => undefined));
  }

  async caughtUp(symbol: string, batch: EventBatch): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (this.marketData.appliedSequence(symbol) < Number(batch.sequence)) {
      if (Date.now() > deadline) throw new Error(`projection stuck at ${this.marketData.appliedSequence(symbol)} < ${batch.sequence}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  async stop(): Promise<void> {
    this.consumers.abort();
    await Promise.allSettled(this.running);
  }
}
