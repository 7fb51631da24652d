import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { EventBatchSchema, UpdateReason, type Command, type EventBatch, type EventSchema } from "#gen/exchange/matching/v1/matching_pb.js";
import { ExecutionType, OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { systemClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { formatUnits, parseUnits } from "#kit/money/decimal.js";
import { MemoryOrderUpdates } from "../../../services/order/src/adapters/order-updates.memory.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import type { OrderUpdate } from "../../../services/order/src/domain/order-update.event.js";
import { Orders } from "../../../services/order/src/domain/orders.use-case.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import type { MatchingGateway } from "../../../services/order/src/ports/matching-gateway.port.js";
import { holdEach, settleThenReleaseEach, type HoldRequest, type TradeFees, type TradeSettlement, type WalletGateway } from "../../../services/order/src/ports/wallet-gateway.port.js";
import { orderRoutes } from "../../../services/order/src/rpc/order.routes.js";
import { limitRequest } from "../../support/place-request.js";

// The order use case reports each order change it stored (StreamOrderUpdates' source): one
// update per change, in the order matching's events made them, with cumulative quantities as of
// that change; per account; a subscriber that cannot keep up is dropped.

const SYMBOL = "BTCUSDT";
const LOTS = (qty: string) => parseUnits(qty, 5); // stepSize 0.00001
const TICKS = (price: string) => parseUnits(price, 2); // tickSize 0.01

type Events = MessageInitShape<typeof EventSchema>[];

/** Answers each command with the events the test scripted for it (default: accept and rest, or cancel). */
class ScriptedMatching implements MatchingGateway {
  orders!: Orders;
  readonly script: ((command: Command) => Events)[] = [];
  private sequence = 0;

  async submit(command: Command): Promise<EventBatch> {
    const scripted = this.script.shift();
    let events: Events = [];
    if (scripted) events = scripted(command);
    else if (command.kind.case === "place") {
      const { orderId, quantityLots } = command.kind.value;
      events = [accepted(orderId), updated(orderId, OrderStatus.NEW, "0", quantityLots)];
    } else if (command.kind.case === "cancel") {
      events = [updated(command.kind.value.orderId, OrderStatus.CANCELED, "0", "0")];
    }
    const batch = create(EventBatchSchema, { symbol: command.symbol, sequence: BigInt(++this.sequence), timestamp: command.timestamp, events });
    setImmediate(() => void this.orders.apply(command.symbol, batch));
    return batch;
  }

  async submitBatch(_symbol: string, commands: readonly Command[]): Promise<(EventBatch | "duplicate")[]> {
    const batches: (EventBatch | "duplicate")[] = [];
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

const accepted = (orderId: bigint): Events[number] => ({ kind: { case: "accepted", value: { orderId } } });
const updated = (orderId: bigint, status: OrderStatus, filledLots: string, remainingLots: string, reason = UpdateReason.UNSPECIFIED): Events[number] => ({
  kind: { case: "orderUpdated", value: { orderId, status, filledLots, remainingLots, reason } },
});
const trade = (tradeId: number, makerOrderId: bigint, takerOrderId: bigint, price: string, qty: string, takerSide: Side): Events[number] => ({
  kind: { case: "trade", value: { tradeId: BigInt(tradeId), makerOrderId, takerOrderId, priceTicks: String(TICKS(price)), quantityLots: String(LOTS(qty)), takerSide } },
});

/** Holds anything (or refuses when told to); fees are 10 bps of what each side receives. */
class Wallet implements WalletGateway {
  holdAll(holds: readonly HoldRequest[]) {
    return holdEach(this, holds);
  }

  settleAndRelease(trades: readonly TradeSettlement[], releaseHoldIds: readonly string[]) {
    return settleThenReleaseEach(this, trades, releaseHoldIds);
  }

  refuse = false;

  async hold(): Promise<void> {
    if (this.refuse) throw toConnectError(new DomainError("INSUFFICIENT_BALANCE"));
  }

  async release(): Promise<void> {}

  async reduce(): Promise<void> {}

  async moveHold(): Promise<void> {}

  /** Plenty free: no replacement here draws on the order it replaces. */
  async available(): Promise<string> {
    return "1000000000";
  }

  async settleMany(trades: readonly TradeSettlement[]): Promise<TradeFees[]> {
    return trades.map((t) => ({ buyerFee: formatUnits((parseUnits(t.baseAmount, 8) * 10n) / 10_000n, 8), sellerFee: formatUnits((parseUnits(t.quoteAmount, 8) * 10n) / 10_000n, 8) }));
  }
}

let dir: string;
let database: Database<OrderTables>;
let matching: ScriptedMatching;
let wallet: Wallet;
let updates: MemoryOrderUpdates;
let orders: Orders;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "order-updates-unit-"));
  database = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
  await migrate(database.db as never, "order", orderStoreMigrations);
  matching = new ScriptedMatching();
  wallet = new Wallet();
  updates = new MemoryOrderUpdates();
  orders = new Orders({ store: new SqlOrderStore(database.db as Kysely<OrderTables>), matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS, waitMs: 1_000, updates });
  matching.orders = orders;
});

afterEach(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const limit = limitRequest;

/** Collects an account's updates from now on. */
function collect(accountId: string) {
  const seen: OrderUpdate[] = [];
  const abort = new AbortController();
  const done = (async () => {
    for await (const update of updates.follow(accountId, abort.signal)) seen.push(update);
  })();
  return { seen, stop: async () => (abort.abort(), await done) };
}

/** Units as a short decimal (every scale here is above zero). */
const dec = (units: bigint, scale: number) => formatUnits(units, scale).replace(/\.?0+$/, "");

/** The fields a bot reads, in a compact form. */
const brief = (u: OrderUpdate) => ({
  id: u.order.orderId,
  x: u.executionType,
  X: OrderStatus[u.order.status],
  z: dec(u.order.filledLots, 5),
  Z: dec(u.order.quoteUnits, 8),
  ...(u.fill && { l: dec(u.fill.quantityLots, 5), L: dec(u.fill.priceTicks, 2), n: dec(u.fill.commissionUnits, 8), N: u.fill.commissionAsset, m: u.fill.isMaker, t: u.fill.tradeId }),
  ...(u.rejectReason !== "NONE" && { r: u.rejectReason }),
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe("Orders' updates", () => {
  it("reports new, each fill with the running totals, fills of a quote-amount market buy, cancel and amend, per account", async () => {
    const alice = collect("alice");
    const bob = collect("bob");
    await settle();
    const sell = await orders.place("alice", SYMBOL, limit(Side.SELL, "0.3", "30000"), "a-sell");
    // Bob's buy takes 0.1 of it; matching reports the maker's fill right after the trade and the taker's at the end.
    matching.script.push((c) => {
      const id = (c.kind.value as { orderId: bigint }).orderId;
      const sellId = BigInt(sell.orderId);
      return [accepted(id), trade(1, sellId, id, "30000", "0.1", Side.BUY), updated(sellId, OrderStatus.PARTIALLY_FILLED, String(LOTS("0.1")), String(LOTS("0.2"))), updated(id, OrderStatus.FILLED, String(LOTS("0.1")), "0")];
    });
    const buy = await orders.place("bob", SYMBOL, limit(Side.BUY, "0.1", "30000"), "b-buy");
    expect(buy.status).toBe(OrderStatus.FILLED);
    // A market buy for 6000 USDT takes the rest in two fills: no quantity of its own, FILLED from matching's final update.
    matching.script.push((c) => {
      const id = (c.kind.value as { orderId: bigint }).orderId;
      const sellId = BigInt(sell.orderId);
      return [
        accepted(id),
        trade(2, sellId, id, "30000", "0.15", Side.BUY),
        updated(sellId, OrderStatus.PARTIALLY_FILLED, String(LOTS("0.25")), String(LOTS("0.05"))),
        trade(3, sellId, id, "30000", "0.05", Side.BUY),
        updated(sellId, OrderStatus.FILLED, String(LOTS("0.3")), "0"),
        updated(id, OrderStatus.FILLED, String(LOTS("0.2")), "0"),
      ];
    });
    const market = await orders.place("bob", SYMBOL, { ...limit(Side.BUY, "", ""), type: OrderType.MARKET, timeInForce: TimeInForce.UNSPECIFIED, quoteOrderQty: "6000" }, "b-mkt");
    expect(market.status).toBe(OrderStatus.FILLED);
    const resting = await orders.place("alice", SYMBOL, limit(Side.SELL, "0.5", "31000"), "a-rest");
    matching.script.push((c) => [updated((c.kind.value as { orderId: bigint }).orderId, OrderStatus.NEW, "0", String(LOTS("0.4")), UpdateReason.AMENDED)]);
    await orders.amend("alice", SYMBOL, BigInt(resting.orderId), "", "0.4");
    await orders.cancel("alice", SYMBOL, BigInt(resting.orderId), "");
    await settle();
    await alice.stop();
    await bob.stop();

    expect(alice.seen.map(brief)).toEqual([
      { id: sell.orderId, x: "NEW", X: "NEW", z: "0", Z: "0" },
      { id: sell.orderId, x: "TRADE", X: "PARTIALLY_FILLED", z: "0.1", Z: "3000", l: "0.1", L: "30000", n: "3", N: "USDT", m: true, t: 1 },
      { id: sell.orderId, x: "TRADE", X: "PARTIALLY_FILLED", z: "0.25", Z: "7500", l: "0.15", L: "30000", n: "4.5", N: "USDT", m: true, t: 2 },
      { id: sell.orderId, x: "TRADE", X: "FILLED", z: "0.3", Z: "9000", l: "0.05", L: "30000", n: "1.5", N: "USDT", m: true, t: 3 },
      { id: resting.orderId, x: "NEW", X: "NEW", z: "0", Z: "0" },
      { id: resting.orderId, x: "REPLACED", X: "NEW", z: "0", Z: "0" },
      { id: resting.orderId, x: "CANCELED", X: "CANCELED", z: "0", Z: "0" },
    ]);
    expect(alice.seen[5]!.order.quantityLots).toBe(LOTS("0.4"));
    expect(bob.seen.map(brief)).toEqual([
      { id: buy.orderId, x: "NEW", X: "NEW", z: "0", Z: "0" },
      { id: buy.orderId, x: "TRADE", X: "FILLED", z: "0.1", Z: "3000", l: "0.1", L: "30000", n: "0.0001", N: "BTC", m: false, t: 1 },
      { id: market.orderId, x: "NEW", X: "NEW", z: "0", Z: "0" },
      { id: market.orderId, x: "TRADE", X: "PARTIALLY_FILLED", z: "0.15", Z: "4500", l: "0.15", L: "30000", n: "0.00015", N: "BTC", m: false, t: 2 },
      { id: market.orderId, x: "TRADE", X: "FILLED", z: "0.2", Z: "6000", l: "0.05", L: "30000", n: "0.00005", N: "BTC", m: false, t: 3 },
    ]);
    expect(bob.seen.every((u) => u.order.accountId === "bob" && u.balancesChanged)).toBe(true);
    // What was reported is what is stored.
    expect((await orders.get("alice", SYMBOL, BigInt(sell.orderId), "")).filledLots).toBe(LOTS("0.3"));
  });

  it("reports an IOC's expiry and self-trade prevention, and nothing of a placement matching or wallet refused", async () => {
    const carol = collect("carol");
    await settle();
    matching.script.push((c) => [{ kind: { case: "rejected", value: { orderId: (c.kind.value as { orderId: bigint }).orderId, reason: "WOULD_TAKE" } } }]);
    await expect(orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "30000", OrderType.LIMIT_MAKER), "")).rejects.toThrow("Order would immediately match and take.");
    wallet.refuse = true;
    await expect(orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "30000"), "")).rejects.toThrow();
    wallet.refuse = false;
    matching.script.push((c) => {
      const id = (c.kind.value as { orderId: bigint }).orderId;
      return [accepted(id), updated(id, OrderStatus.EXPIRED, "0", "0")];
    });
    await orders.place("carol", SYMBOL, { ...limit(Side.BUY, "0.1", "30000"), timeInForce: TimeInForce.IOC }, "");
    matching.script.push((c) => {
      const id = (c.kind.value as { orderId: bigint }).orderId;
      return [accepted(id), updated(id, OrderStatus.EXPIRED_IN_MATCH, "0", "0")];
    });
    await orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "30000"), "");
    await settle();
    await carol.stop();
    expect(carol.seen.map((u) => [u.executionType, OrderStatus[u.order.status], u.rejectReason, u.balancesChanged])).toEqual([
      // neither the LIMIT_MAKER that would take nor the order whose hold wallet refused reports anything: neither was
      // placed (as on Binance)
      ["NEW", "NEW", "NONE", true],
      ["EXPIRED", "EXPIRED", "NONE", true],
      ["NEW", "NEW", "NONE", true],
      ["TRADE_PREVENTION", "EXPIRED_IN_MATCH", "NONE", true],
    ]);
  });

  it("does not report a batch it did not store (applied again after a restart, or by another process)", async () => {
    const dave = collect("dave");
    await settle();
    await orders.place("dave", SYMBOL, limit(Side.BUY, "0.1", "30000"), "");
    await settle();
    const second = new Orders({ store: new SqlOrderStore(database.db as Kysely<OrderTables>), matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS, updates });
    const batch = create(EventBatchSchema, { symbol: SYMBOL, sequence: 1n, timestamp: 1n, events: [accepted(1n), updated(1n, OrderStatus.NEW, "0", String(LOTS("0.1")))] });
    await second.apply(SYMBOL, batch);
    await settle();
    await dave.stop();
    expect(dave.seen.map((u) => u.executionType)).toEqual(["NEW"]);
  });

  it("tells its publisher every batch it stored, one without updates too, and every batch another process had stored", async () => {
    await orders.place("dave", SYMBOL, limit(Side.BUY, "0.1", "30000"), "");
    await settle();
    const heard: string[] = [];
    const publisher = {
      publish: (published: readonly OrderUpdate[], batch?: { symbol: string; sequence: number }) => heard.push(`stored ${batch?.symbol}#${batch?.sequence}: ${published.map((u) => u.executionType).join(",")}`),
      storedElsewhere: (batch: { symbol: string; sequence: number }) => heard.push(`elsewhere ${batch.symbol}#${batch.sequence}`),
    };
    const second = new Orders({ store: new SqlOrderStore(database.db as Kysely<OrderTables>), matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS, updates: publisher });
    await second.apply(SYMBOL, create(EventBatchSchema, { symbol: SYMBOL, sequence: 1n, timestamp: 1n, events: [accepted(1n), updated(1n, OrderStatus.NEW, "0", String(LOTS("0.1")))] }));
    await second.apply(SYMBOL, create(EventBatchSchema, { symbol: SYMBOL, sequence: 2n, timestamp: 2n, events: [] }));
    await second.apply(SYMBOL, create(EventBatchSchema, { symbol: SYMBOL, sequence: 3n, timestamp: 3n, events: [updated(1n, OrderStatus.CANCELED, "0", "0")] }));
    expect(heard).toEqual([`elsewhere ${SYMBOL}#1`, `stored ${SYMBOL}#2: `, `stored ${SYMBOL}#3: CANCELED`]);
  });

  it("drops a subscriber that falls more than its backlog behind, and forgets subscribers that left", async () => {
    const small = new MemoryOrderUpdates(3);
    const abort = new AbortController();
    const stream = small.follow("erin", abort.signal);
    const first = stream.next(); // the subscription starts with the first read
    const update = (orderId: number): OrderUpdate => ({ order: { accountId: "erin", orderId } as OrderUpdate["order"], executionType: "NEW", rejectReason: "NONE", time: 0, balancesChanged: true });
    await settle();
    expect(small.subscribers("erin")).toBe(1);
    small.publish([update(1)]);
    expect((await first).value?.order.orderId).toBe(1);
    small.publish([update(2), update(3), update(4), update(5)]);
    await expect(stream.next()).rejects.toMatchObject({ key: "DISCONNECTED" });
    expect(small.subscribers("erin")).toBe(0);
    // Another account's updates never reach this one; an aborted subscriber is removed.
    const other = small.follow("frank", abort.signal);
    const pending = other.next();
    await settle();
    small.publish([update(6)]);
    abort.abort();
    expect((await pending).done).toBe(true);
    expect(small.subscribers("frank")).toBe(0);
  });

  it("serves StreamOrderUpdates through the routes: the account's updates as order.v1 messages with exact decimals", async () => {
    const client = createClient(OrderService, createRouterTransport(orderRoutes({ symbols: { list: async () => DEFAULT_SYMBOLS } as never, orders, updates })));
    const abort = new AbortController();
    const received: { x: ExecutionType; X: OrderStatus; q: string; p: string; l: string; n: string }[] = [];
    const done = (async () => {
      for await (const { update } of client.streamOrderUpdates({ accountId: "gina" }, { signal: abort.signal })) {
        received.push({ x: update!.executionType, X: update!.order!.status, q: update!.order!.origQty, p: update!.order!.price, l: update!.lastExecutedQty, n: update!.commission });
        if (received.length === 2) abort.abort();
      }
    })().catch(() => undefined);
    while (updates.subscribers("gina") === 0) await settle();
    const sell = await orders.place("gina", SYMBOL, limit(Side.SELL, "0.2", "30000.5"), "");
    matching.script.push((c) => {
      const id = (c.kind.value as { orderId: bigint }).orderId;
      return [accepted(id), trade(7, BigInt(sell.orderId), id, "30000.5", "0.2", Side.BUY), updated(BigInt(sell.orderId), OrderStatus.FILLED, String(LOTS("0.2")), "0"), updated(id, OrderStatus.FILLED, String(LOTS("0.2")), "0")];
    });
    await orders.place("hugo", SYMBOL, limit(Side.BUY, "0.2", "30000.5"), "");
    await done;
    expect(received).toEqual([
      { x: ExecutionType.NEW, X: OrderStatus.NEW, q: "0.20000000", p: "30000.50000000", l: "", n: "" },
      { x: ExecutionType.TRADE, X: OrderStatus.FILLED, q: "0.20000000", p: "30000.50000000", l: "0.20000000", n: "6.00010000" },
    ]);
  });
});
