import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { EventBatchSchema, type Command, type EventBatch, type EventSchema } from "#gen/exchange/matching/v1/matching_pb.js";
import { systemClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { parseUnits } from "#kit/money/decimal.js";
import { MemoryOrderUpdates } from "../../../services/order/src/adapters/order-updates.memory.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import { OrderEntry, type EntryOrders, type EntryRequest, type EntryResponse } from "../../../services/order/src/domain/order-entry.use-case.js";
import type { Order } from "../../../services/order/src/domain/order.js";
import type { PlaceRequest } from "../../../services/order/src/domain/order-intent.js";
import { Orders } from "../../../services/order/src/domain/orders.use-case.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import type { MatchingGateway } from "../../../services/order/src/ports/matching-gateway.port.js";
import { holdEach, settleThenReleaseEach, type HoldRequest, type TradeFees, type TradeSettlement, type WalletGateway } from "../../../services/order/src/ports/wallet-gateway.port.js";
import { prng } from "../../support/prng.js";
import { limitRequest } from "../../support/place-request.js";

// Order entry over a stream: many requests in flight, one ack per request in request order,
// reports of the stream's orders after their ack, idempotent by client order id.

const SYMBOL = "BTCUSDT";

const limit = (side: Side, price: string, quantity = "0.01") => limitRequest(side, quantity, price);

const place = (clientOrderId: string, accountId = "alice", price = "20000"): EntryRequest => ({ kind: "place", accountId, symbol: SYMBOL, clientOrderId, request: limit(Side.BUY, price) });

async function* from(requests: readonly EntryRequest[]): AsyncGenerator<EntryRequest> {
  yield* requests;
}

async function drain(responses: AsyncIterable<EntryResponse>): Promise<EntryResponse[]> {
  const out: EntryResponse[] = [];
  for await (const response of responses) out.push(response);
  return out;
}

const acks = (responses: readonly EntryResponse[]) => responses.filter((r): r is Extract<EntryResponse, { kind: "ack" }> => r.kind === "ack");

// ---------------------------------------------------------------- scripted: when each placement settles is up to the test

function orderOf(clientOrderId: string, orderId: number, accountId = "alice"): Order {
  return {
    symbol: SYMBOL,
    orderId,
    accountId,
    clientOrderId,
    side: Side.BUY,
    type: OrderType.LIMIT,
    timeInForce: TimeInForce.GTC,
    priceTicks: 2_000_000n,
    quantityLots: 1000n,
    quoteOrderUnits: 0n,
    stopPriceTicks: 0n,
    icebergLots: 0n,
    trailingDelta: 0,
    stp: SelfTradePreventionMode.UNSPECIFIED,
    holdAsset: "USDT",
    holdUnits: 0n,
    status: OrderStatus.NEW,
    filledLots: 0n,
    quoteUnits: 0n,
    submitted: true,
    createdAt: 1,
    updatedAt: 1,
  };
}

/** Parks every call; the test settles them in the order it likes. Ids starting with "bad" are refused. */
class ParkedOrders implements EntryOrders {
  readonly parked: { clientOrderId: string; settle: () => void }[] = [];
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private nextId = 1;

  constructor(private readonly feed?: MemoryOrderUpdates) {}

  place(accountId: string, _symbol: string, _request: PlaceRequest, clientOrderId: string): Promise<Order> {
    this.calls.push(`place ${clientOrderId}`);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise((resolve, reject) => {
      this.parked.push({
        clientOrderId,
        settle: () => {
          this.inFlight--;
          if (clientOrderId.startsWith("bad")) return reject(new DomainError("NEW_ORDER_REJECTED", `refused ${clientOrderId}`));
          const order = orderOf(clientOrderId, this.nextId++, accountId);
          // Stored (and reported) before the placement is answered, as Orders does.
          this.feed?.publish([{ order: { ...order }, executionType: "NEW", rejectReason: "NONE", time: 1, balancesChanged: true }]);
          resolve(order);
        },
      });
    });
  }

  async cancel(accountId: string, _symbol: string, _orderId: bigint, clientOrderId: string): Promise<Order> {
    this.calls.push(`cancel ${clientOrderId}`);
    return { ...orderOf(clientOrderId, 999, accountId), status: OrderStatus.CANCELED };
  }

  async get(): Promise<Order> {
    throw new DomainError("NO_SUCH_ORDER");
  }

  /** Settles parked calls in a seeded random order, one per turn of the event loop, until `done`. */
  async settleShuffled(seed: number, done: () => boolean): Promise<void> {
    const random = prng(seed);
    while (!done()) {
      if (this.parked.length > 0) this.parked.splice(Math.floor(random() * this.parked.length), 1)[0]!.settle();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

describe("order entry, scripted placements", () => {
  it("keeps many placements in flight, bounded by the window, and acknowledges them in request order", async () => {
    const orders = new ParkedOrders();
    const entry = new OrderEntry(orders, undefined, { window: 16 });
    const ids = Array.from({ length: 200 }, (_, i) => `c-${i}`);
    let finished = false;
    const responses = drain(entry.run(from(ids.map((id) => place(id))), new AbortController().signal)).finally(() => (finished = true));
    await orders.settleShuffled(7, () => finished);
    const written = acks(await responses);
    expect(written.map((ack) => ack.index)).toEqual(ids.map((_, i) => i));
    expect(written.map((ack) => ack.clientOrderId)).toEqual(ids);
    expect(written.map((ack) => ack.order?.clientOrderId)).toEqual(ids);
    // Pipelined, and no more than the window at once.
    expect(orders.maxInFlight).toBeGreaterThan(1);
    expect(orders.maxInFlight).toBeLessThanOrEqual(16);
  });

  it("refuses a bad request alone, in its turn, and goes on", async () => {
    const orders = new ParkedOrders();
    const entry = new OrderEntry(orders, undefined);
    const malformed = new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "invalid request: place.symbol: bad");
    let finished = false;
    const responses = drain(
      entry.run(
        from([
          place("a"),
          { kind: "refused", clientOrderId: "m", error: malformed },
          place("bad-1"),
          place(""), // a stream's placement needs a client order id
          place("x", "mallory"), // a stream acts for one account
          place("b"),
        ]),
        new AbortController().signal,
      ),
    ).finally(() => (finished = true));
    await orders.settleShuffled(3, () => finished);
    const written = acks(await responses);
    expect(written.map((ack) => [ack.index, ack.clientOrderId, ack.order ? "ok" : (ack.error as DomainError).key])).toEqual([
      [0, "a", "ok"],
      [1, "m", "MANDATORY_PARAM_EMPTY_OR_MALFORMED"],
      [2, "bad-1", "NEW_ORDER_REJECTED"],
      [3, "", "MANDATORY_PARAM_EMPTY_OR_MALFORMED"],
      [4, "x", "FORBIDDEN"],
      [5, "b", "ok"],
    ]);
    expect(orders.calls).toEqual(["place a", "place bad-1", "place b"]);
  });

  it("answers the same client order id in flight twice with one placement, and cancels it only once it is placed", async () => {
    const orders = new ParkedOrders();
    const entry = new OrderEntry(orders, undefined);
    let finished = false;
    const responses = drain(
      entry.run(from([place("same"), place("same"), { kind: "cancel", accountId: "alice", symbol: SYMBOL, orderId: 0n, origClientOrderId: "same" }]), new AbortController().signal),
    ).finally(() => (finished = true));
    await orders.settleShuffled(5, () => finished);
    const written = acks(await responses);
    expect(written[0]!.order!.orderId).toBe(written[1]!.order!.orderId);
    expect(written[2]!.order!.status).toBe(OrderStatus.CANCELED);
    expect(orders.calls).toEqual(["place same", "cancel same"]);
  });

  it("writes an order's reports after its ack, and none of orders the stream did not touch", async () => {
    const feed = new MemoryOrderUpdates();
    const orders = new ParkedOrders(feed);
    const entry = new OrderEntry(orders, feed);
    let finished = false;
    const responses = drain(entry.run(from([place("r-0"), place("r-1"), place("r-2")]), new AbortController().signal)).finally(() => (finished = true));
    // Another order of the account, not entered here, changes meanwhile.
    await new Promise((resolve) => setImmediate(resolve));
    feed.publish([{ order: orderOf("elsewhere", 500), executionType: "NEW", rejectReason: "NONE", time: 1, balancesChanged: false }]);
    await orders.settleShuffled(11, () => finished);
    const written = await responses;
    const seen = written.map((r) => (r.kind === "ack" ? `ack ${r.clientOrderId}` : `report ${r.update.order.clientOrderId} ${r.update.executionType}`));
    for (const id of ["r-0", "r-1", "r-2"]) expect(seen.indexOf(`report ${id} NEW`)).toBeGreaterThan(seen.indexOf(`ack ${id}`));
    expect(seen.filter((line) => line.startsWith("ack"))).toEqual(["ack r-0", "ack r-1", "ack r-2"]);
    expect(seen.some((line) => line.includes("elsewhere"))).toBe(false);
  });
});

// ---------------------------------------------------------------- over the real Orders use case (SQLite store)

type Events = MessageInitShape<typeof EventSchema>[];

/** Accepts and rests each placement (or answers the events scripted for it); cancels; applies events right after. */
class RestingMatching implements MatchingGateway {
  orders!: Orders;
  readonly placed: bigint[] = [];
  readonly script: ((command: Command) => Events)[] = [];
  private sequence = 0;

  async submit(command: Command): Promise<EventBatch> {
    let events: Events = [];
    const scripted = this.script.shift();
    if (scripted) events = scripted(command);
    else if (command.kind.case === "place") {
      const { orderId, quantityLots } = command.kind.value;
      events = [{ kind: { case: "accepted", value: { orderId } } }, { kind: { case: "orderUpdated", value: { orderId, status: OrderStatus.NEW, filledLots: "0", remainingLots: quantityLots } } }];
    } else if (command.kind.case === "cancel") {
      events = [{ kind: { case: "orderUpdated", value: { orderId: command.kind.value.orderId, status: OrderStatus.CANCELED, filledLots: "0", remainingLots: "0" } } }];
    }
    if (command.kind.case === "place") this.placed.push(command.kind.value.orderId);
    const batch = create(EventBatchSchema, { symbol: command.symbol, sequence: BigInt(++this.sequence), timestamp: command.timestamp, events });
    setImmediate(() => void this.orders.apply(command.symbol, batch));
    return batch;
  }

  async submitBatch(_symbol: string, commands: readonly Command[]): Promise<EventBatch[]> {
    const batches: EventBatch[] = [];
    for (const command of commands) batches.push(await this.submit(command));
    return batches;
  }

  async *events(): AsyncIterable<EventBatch> {}

  async bestAskTicks(): Promise<bigint | undefined> {
    return undefined;
  }

  async headSequence(): Promise<number> {
    return this.sequence;
  }
}

class Wallet implements WalletGateway {
  holdAll(holds: readonly HoldRequest[]) {
    return holdEach(this, holds);
  }

  settleAndRelease(trades: readonly TradeSettlement[], releaseHoldIds: readonly string[]) {
    return settleThenReleaseEach(this, trades, releaseHoldIds);
  }

  async hold(): Promise<void> {}
  async release(): Promise<void> {}
  async reduce(): Promise<void> {}

  async moveHold(): Promise<void> {}

  /** Plenty free: no replacement here draws on the order it replaces. */
  async available(): Promise<string> {
    return "1000000000";
  }
  async settleMany(trades: readonly unknown[]): Promise<TradeFees[]> {
    return trades.map(() => ({ buyerFee: "0", sellerFee: "0" }));
  }
}

let dir: string;
let database: Database<OrderTables>;
let store: SqlOrderStore;
let matching: RestingMatching;
let feed: MemoryOrderUpdates;
let orders: Orders;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "order-entry-unit-"));
  database = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
  await migrate(database.db as never, "order", orderStoreMigrations);
  store = new SqlOrderStore(database.db as Kysely<OrderTables>);
  matching = new RestingMatching();
  feed = new MemoryOrderUpdates();
  orders = new Orders({ store, matching, wallet: new Wallet(), clock: systemClock, symbols: DEFAULT_SYMBOLS, waitMs: 5_000, updates: feed });
  matching.orders = orders;
});

afterEach(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("order entry over the order lifecycle", () => {
  it("places a retried client order id once, within a stream and across streams", async () => {
    const entry = new OrderEntry(orders, feed);
    const signal = new AbortController().signal;
    const [first, second] = await Promise.all([
      drain(entry.run(from([place("dup"), place("one"), place("dup")]), signal)),
      drain(entry.run(from([place("two"), place("dup")]), signal)),
    ]);
    const a = acks(first);
    const b = acks(second);
    const dupIds = [a[0], a[2], b[1]].map((ack) => ack!.order!.orderId);
    expect(new Set(dupIds).size).toBe(1);
    expect(a[1]!.order!.orderId).not.toBe(dupIds[0]);
    // Stored once and sent to matching once.
    expect(matching.placed.filter((id) => id === BigInt(dupIds[0]!))).toHaveLength(1);
    expect(matching.placed).toHaveLength(3);
    expect((await store.getByClientId("alice", "dup"))?.orderId).toBe(dupIds[0]);
  });

  it("reports a resting order's later fill on the stream that placed it, after its ack, and a cancel resent", async () => {
    const entry = new OrderEntry(orders, feed);
    const requests: EntryRequest[] = [place("maker", "alice", "20000")];
    let more: (() => void) | undefined;
    const gate = new Promise<void>((resolve) => (more = resolve));
    async function* stream(): AsyncGenerator<EntryRequest> {
      yield* requests;
      await gate; // keep the stream open while the taker trades
      yield { kind: "cancel", accountId: "alice", symbol: SYMBOL, orderId: 0n, origClientOrderId: "maker" };
      yield { kind: "cancel", accountId: "alice", symbol: SYMBOL, orderId: 0n, origClientOrderId: "maker" };
    }
    const seen: EntryResponse[] = [];
    const done = (async () => {
      for await (const response of entry.run(stream(), new AbortController().signal)) seen.push(response);
    })();
    await until(() => seen.some((r) => r.kind === "report"));
    const maker = (seen[0] as Extract<EntryResponse, { kind: "ack" }>).order!;
    // Bob's taker fills half of alice's resting order.
    const lots = (qty: string) => String(parseUnits(qty, 5));
    const ticks = (price: string) => String(parseUnits(price, 2));
    matching.script.push((command) => {
      const taker = command.kind.case === "place" ? command.kind.value.orderId : 0n;
      const makerId = BigInt(maker.orderId);
      return [
        { kind: { case: "accepted", value: { orderId: taker } } },
        { kind: { case: "trade", value: { tradeId: 1n, makerOrderId: makerId, takerOrderId: taker, priceTicks: ticks("20000"), quantityLots: lots("0.005"), takerSide: Side.SELL } } },
        { kind: { case: "orderUpdated", value: { orderId: makerId, status: OrderStatus.PARTIALLY_FILLED, filledLots: lots("0.005"), remainingLots: lots("0.005") } } },
        { kind: { case: "orderUpdated", value: { orderId: taker, status: OrderStatus.FILLED, filledLots: lots("0.005"), remainingLots: "0" } } },
      ];
    });
    await orders.place("bob", SYMBOL, limit(Side.SELL, "20000", "0.005"), "taker");
    await until(() => seen.some((r) => r.kind === "report" && r.update.executionType === "TRADE"));
    more!();
    await done;
    const lines = seen.map((r) => (r.kind === "ack" ? `ack ${r.index} ${r.order?.status ?? (r.error as DomainError).key}` : `report ${r.update.order.clientOrderId} ${r.update.executionType}`));
    expect(lines).toEqual([
      `ack 0 ${OrderStatus.NEW}`,
      "report maker NEW",
      "report maker TRADE",
      `ack 1 ${OrderStatus.CANCELED}`,
      // The resent cancel finds the order canceled: acknowledged as stored.
      `ack 2 ${OrderStatus.CANCELED}`,
      "report maker CANCELED",
    ]);
  });
});

async function until(check: () => boolean): Promise<void> {
  const { until: poll } = await import("../../support/until.js");
  await poll(check, 5_000);
}
