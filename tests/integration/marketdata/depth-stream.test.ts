import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import type { DepthUpdate, GetDepthResponse } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { marketDataMigrations, type MarketDataTables } from "../../../services/marketdata/src/adapters/market-data-store.sql.js";
import { Matching, Projection } from "./support.js";

// StreamDepth end to end (SQLite, a real matching engine in-process): random order flow (resting
// orders, crossing orders, cancels, cancels of unknown orders that change nothing) while a client
// follows Binance's "how to manage a local order book": buffer the stream, take a GetDepth
// snapshot, drop updates with u <= lastUpdateId, check the first applied one has
// U <= lastUpdateId + 1 <= u and each next U = previous u + 1, apply the levels (quantity 0:
// remove). The local book must equal a later GetDepth exactly. BTCUSDT: tick 0.01, step 0.00001.

const SYMBOL = "BTCUSDT";

type Book = { bids: Map<string, string>; asks: Map<string, string> };

function bookOf(depth: GetDepthResponse): Book {
  return { bids: new Map(depth.bids.map((l) => [l.price, l.quantity])), asks: new Map(depth.asks.map((l) => [l.price, l.quantity])) };
}

function applyUpdate(book: Book, update: DepthUpdate): void {
  for (const [side, levels] of [[book.bids, update.bids], [book.asks, update.asks]] as const) {
    for (const level of levels) {
      if (/^0(\.0+)?$/.test(level.quantity)) side.delete(level.price);
      else side.set(level.price, level.quantity);
    }
  }
}

function sorted(book: Book) {
  const order = (desc: boolean) => (a: [string, string], b: [string, string]) => (Number(a[0]) - Number(b[0])) * (desc ? -1 : 1); // ordering only
  return { bids: [...book.bids].sort(order(true)), asks: [...book.asks].sort(order(false)) };
}

type Op =
  | { kind: "place"; side: Side; price: number; lots: number; ioc: boolean; account: number }
  | { kind: "cancel"; pick: number }
  | { kind: "cancelUnknown" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("place" as const), side: fc.constantFrom(Side.BUY, Side.SELL), price: fc.integer({ min: 2995000, max: 3005000 }).map((p) => p - (p % 250)), lots: fc.integer({ min: 1, max: 40000 }), ioc: fc.boolean(), account: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("cancelUnknown" as const) }) },
);

describe("marketdata StreamDepth", () => {
  let matchingDir: string;
  let dbDir: string;
  let matching: Matching;
  let database: Database<MarketDataTables>;
  let projection: Projection;
  const clock = new ManualClock(Date.parse("2024-03-11T00:00:00Z"));
  let nextOrderId = 1_000_000;
  let time = Date.parse("2024-03-11T00:00:00Z");
  const placed: { id: bigint; account: string }[] = [];

  beforeAll(async () => {
    matchingDir = mkdtempSync(join(tmpdir(), "depth-matching-"));
    dbDir = mkdtempSync(join(tmpdir(), "depth-marketdata-"));
    matching = await Matching.start(matchingDir);
    database = openDatabase<MarketDataTables>(`sqlite:${join(dbDir, "marketdata.sqlite")}`);
    await migrate(database.db as never, "marketdata", marketDataMigrations);
    projection = new Projection(database.db, matching, clock);
    projection.follow(SYMBOL);
  });

  afterAll(async () => {
    await projection?.stop();
    await database?.close();
    await matching?.module.stop?.();
    rmSync(matchingDir, { recursive: true, force: true });
    rmSync(dbDir, { recursive: true, force: true });
  });

  async function run(op: Op) {
    time += 1;
    const base = { symbol: SYMBOL, timestamp: BigInt(time) };
    if (op.kind === "place") {
      const id = BigInt(nextOrderId++);
      const account = `acct${op.account}`;
      placed.push({ id, account });
      const { batch } = await matching.client.submit({
        command: {
          ...base,
          kind: {
            case: "place",
            value: {
              orderId: id,
              accountId: account,
              side: op.side,
              type: OrderType.LIMIT,
              timeInForce: op.ioc ? TimeInForce.IOC : TimeInForce.GTC,
              priceTicks: String(op.price),
              quantityLots: String(op.lots),
              selfTradePreventionMode: SelfTradePreventionMode.NONE,
              budget: String(op.side === Side.BUY ? BigInt(op.price) * BigInt(op.lots) : BigInt(op.lots)),
            },
          },
        },
      });
      return batch!;
    }
    const target = op.kind === "cancel" && placed.length > 0 ? placed[op.pick % placed.length]! : { id: 999_999_999n, account: "nobody" };
    const { batch } = await matching.client.submit({ command: { ...base, kind: { case: "cancel", value: { orderId: target.id, accountId: target.account } } } });
    return batch!;
  }

  /** Waits until marketdata holds more StreamDepth subscribers than `before` (the in-process call has reached it). */
  async function depthSubscribed(before: number) {
    const deadline = Date.now() + 5_000;
    while (projection.marketData.subscribers(SYMBOL).depth <= before) {
      if (Date.now() > deadline) throw new Error("StreamDepth subscriber not registered");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  it("one update per batch that changed the book: exact decimals, U = u = the batch's sequence, 0 removes", async () => {
    const abort = new AbortController();
    const subscribers = projection.marketData.subscribers(SYMBOL).depth;
    const updates: DepthUpdate[] = [];
    const reading = (async () => {
      for await (const { update } of projection.client.streamDepth({ symbol: SYMBOL }, { signal: abort.signal })) {
        updates.push(update!);
        if (updates.length === 3) break;
      }
    })();
    await depthSubscribed(subscribers);
    const rest = await matching.rest(SYMBOL, time, Side.SELL, 3_100_001n, 12_345n); // 31000.01 x 0.12345
    const unknown = await run({ kind: "cancelUnknown" }); // changes nothing: no update, but the next U covers it
    const cross = await matching.rest(SYMBOL, time, Side.BUY, 3_100_001n, 12_345n); // takes the whole level
    const bid = await matching.rest(SYMBOL, time, Side.BUY, 100n, 1n);
    await reading;
    abort.abort();
    expect(updates.map((u) => ({ U: Number(u.firstUpdateId), u: Number(u.finalUpdateId), b: u.bids.map((l) => [l.price, l.quantity]), a: u.asks.map((l) => [l.price, l.quantity]), E: Number(u.eventTime), s: u.symbol }))).toEqual([
      { U: Number(rest.sequence), u: Number(rest.sequence), b: [], a: [["31000.01000000", "0.12345000"]], E: Number(rest.timestamp), s: SYMBOL },
      { U: Number(unknown.sequence), u: Number(cross.sequence), b: [], a: [["31000.01000000", "0.00000000"]], E: Number(cross.timestamp), s: SYMBOL },
      { U: Number(bid.sequence), u: Number(bid.sequence), b: [["1.00000000", "0.00001000"]], a: [], E: Number(bid.timestamp), s: SYMBOL },
    ]);
    // Tidy the book for the property below.
    await run({ kind: "cancel", pick: 0 });
  });

  it("a GetDepth snapshot plus the diff stream (Binance's procedure) reproduces a later GetDepth exactly", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 0, maxLength: 25 }), fc.array(opArb, { minLength: 1, maxLength: 40 }), async (before, after) => {
        const abort = new AbortController();
        const subscribers = projection.marketData.subscribers(SYMBOL).depth;
        const buffered: DepthUpdate[] = [];
        const reading = (async () => {
          for await (const { update } of projection.client.streamDepth({ symbol: SYMBOL }, { signal: abort.signal })) buffered.push(update!);
        })().catch(() => undefined);
        await depthSubscribed(subscribers);
        try {
          for (const op of before) await run(op);
          // The snapshot comes from matching's book: usually ahead of what the projection has streamed.
          const snapshot = await projection.client.getDepth({ symbol: SYMBOL, limit: 5000 });
          let last: { sequence: bigint } | undefined;
          for (const op of after) last = await run(op);
          await projection.caughtUp(SYMBOL, last as never);
          const expected = await projection.client.getDepth({ symbol: SYMBOL, limit: 5000 });
          await new Promise((resolve) => setImmediate(resolve)); // the last updates through the in-process call

          const book = bookOf(snapshot);
          let previousU: bigint | undefined;
          for (const update of buffered) {
            if (update.finalUpdateId <= snapshot.lastUpdateId) continue;
            if (previousU === undefined) {
              expect(update.firstUpdateId <= snapshot.lastUpdateId + 1n && snapshot.lastUpdateId + 1n <= update.finalUpdateId).toBe(true);
            } else {
              expect(update.firstUpdateId).toBe(previousU + 1n);
            }
            previousU = update.finalUpdateId;
            applyUpdate(book, update);
          }
          expect(sorted(book)).toEqual(sorted(bookOf(expected)));
          // Every level the stream sent is one GetDepth would format the same way.
          for (const update of buffered) for (const l of [...update.bids, ...update.asks]) expect(l.price).toMatch(/^\d+\.\d{8}$/);
          if (previousU !== undefined) expect(previousU <= expected.lastUpdateId).toBe(true);
        } finally {
          abort.abort();
          await reading;
        }
      }),
      { numRuns: 60 },
    );
  });
});
