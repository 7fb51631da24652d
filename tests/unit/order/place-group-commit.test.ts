import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { create } from "@bufbuild/protobuf";
import { OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { EventBatchSchema, type Command, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { systemClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import type { PlaceRequest } from "../../../services/order/src/domain/order-intent.js";
import { holdIdOf } from "../../../services/order/src/domain/order.js";
import { Orders } from "../../../services/order/src/domain/orders.use-case.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import type { MatchingGateway, SubmitOutcome } from "../../../services/order/src/ports/matching-gateway.port.js";
import { holdEach, settleThenReleaseEach, type HoldRequest, type TradeFees, type TradeSettlement, type WalletGateway } from "../../../services/order/src/ports/wallet-gateway.port.js";

// Placements that arrive together are stored, held and delivered together (group commit), and
// each caller is still answered only once its own order's events were applied.

const SYMBOL = "BTCUSDT";

/** Accepts every placement; records each SubmitBatch call; events are applied right after. */
class RecordingMatching implements MatchingGateway {
  orders!: Orders;
  readonly calls: bigint[][] = [];
  /** Placements answered as already placed (a retry). */
  readonly duplicates = new Set<bigint>();
  /** Placements journaled by an earlier attempt whose answer was lost: their events are applied, then "duplicate" answered. */
  readonly answerLost = new Set<bigint>();
  /** Placements matching refuses as malformed. */
  readonly invalid = new Set<bigint>();
  /** Placements matching journals as rejected (a LIMIT_MAKER that would take). */
  readonly wouldTake = new Set<bigint>();
  /** Another replica (same store) that applies the batches of these placements first. */
  replica?: { orders: Orders; placements: Set<bigint> };
  private sequence = 0;

  async submit(command: Command): Promise<EventBatch | "duplicate"> {
    return (await this.submitBatch(command.symbol, [command]))[0] as EventBatch | "duplicate";
  }

  async submitBatch(symbol: string, commands: readonly Command[]): Promise<SubmitOutcome[]> {
    this.calls.push(commands.map((command) => (command.kind.case === "place" ? command.kind.value.orderId : -1n)));
    const outcomes = commands.map((command): SubmitOutcome => {
      if (command.kind.case !== "place") throw new Error("only placements here");
      const { orderId, quantityLots } = command.kind.value;
      if (this.duplicates.has(orderId)) return "duplicate";
      if (this.invalid.has(orderId)) return { invalid: "price_ticks: not an integer" };
      if (this.wouldTake.has(orderId)) {
        return create(EventBatchSchema, { symbol, sequence: BigInt(++this.sequence), timestamp: command.timestamp, events: [{ kind: { case: "rejected", value: { orderId, reason: "WOULD_TAKE" } } }] });
      }
      return create(EventBatchSchema, {
        symbol,
        sequence: BigInt(++this.sequence),
        timestamp: command.timestamp,
        events: [
          { kind: { case: "accepted", value: { orderId } } },
          { kind: { case: "orderUpdated", value: { orderId, status: OrderStatus.NEW, filledLots: "0", remainingLots: quantityLots } } },
        ],
      });
    });
    const batches = outcomes.filter((outcome): outcome is EventBatch => typeof outcome === "object" && "sequence" in outcome);
    const lost = batches.filter((batch) => batch.events.some((event) => event.kind.case === "accepted" && this.answerLost.has(event.kind.value.orderId)));
    if (lost.length > 0) {
      for (const batch of lost) await this.orders.apply(symbol, batch);
      return outcomes.map((outcome) => (lost.includes(outcome as EventBatch) ? "duplicate" : outcome));
    }
    const replica = this.replica;
    setImmediate(
      () =>
        void (async () => {
          for (const batch of batches) {
            if (replica && batch.events.some((event) => (event.kind.case === "accepted" || event.kind.case === "rejected") && replica.placements.has(event.kind.value.orderId)))
              await replica.orders.apply(symbol, batch);
            await this.orders.apply(symbol, batch);
          }
        })(),
    );
    return outcomes;
  }

  async *events(): AsyncIterable<EventBatch> {}

  async bestAskTicks(): Promise<bigint | undefined> {
    return undefined;
  }

  async headSequence(): Promise<number> {
    return this.sequence;
  }
}

/** Holds for every account but `broke`; records the holds asked for. */
class Wallet implements WalletGateway {
  holdAll(holds: readonly HoldRequest[]) {
    return holdEach(this, holds);
  }

  settleAndRelease(trades: readonly TradeSettlement[], releaseHoldIds: readonly string[]) {
    return settleThenReleaseEach(this, trades, releaseHoldIds);
  }

  readonly holds: string[] = [];
  readonly released: string[] = [];

  async hold(holdId: string, accountId: string): Promise<void> {
    this.holds.push(holdId);
    if (accountId === "broke") throw toConnectError(new DomainError("INSUFFICIENT_BALANCE"));
  }

  async release(holdId: string): Promise<void> {
    this.released.push(holdId);
  }

  async reduce(): Promise<void> {}

  async moveHold(): Promise<void> {}

  /** Plenty free: no replacement here draws on the order it replaces. */
  async available(): Promise<string> {
    return "1000000000";
  }

  async settleMany(): Promise<TradeFees[]> {
    return [];
  }
}

let dir: string;
let database: Database<OrderTables>;
let store: SqlOrderStore;
let matching: RecordingMatching;
let wallet: Wallet;
let orders: Orders;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "order-group-commit-"));
  database = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
  await migrate(database.db as never, "order", orderStoreMigrations);
  store = new SqlOrderStore(database.db as Kysely<OrderTables>);
  matching = new RecordingMatching();
  wallet = new Wallet();
  orders = new Orders({ store, matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS, waitMs: 5_000 });
  matching.orders = orders;
});

afterEach(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const buy = (price: string): PlaceRequest => ({
  side: Side.BUY,
  type: OrderType.LIMIT,
  timeInForce: TimeInForce.GTC,
  quantity: "0.01",
  quoteOrderQty: "",
  price,
  stopPrice: "",
  trailingDelta: 0,
  icebergQty: "",
  stp: SelfTradePreventionMode.UNSPECIFIED,
});

describe("placing orders in groups", () => {
  it("delivers concurrent placements in few calls, ids increasing across calls, each answered with its own order", async () => {
    const placed = await Promise.all(Array.from({ length: 40 }, (_, i) => orders.place(`acct-${i % 7}`, SYMBOL, buy(String(20_000 + i)), `c-${i}`)));
    // Each caller gets its own order, accepted (its events applied before the answer).
    placed.forEach((order, i) => {
      expect(order.clientOrderId).toBe(`c-${i}`);
      expect(order.priceTicks).toBe(BigInt(20_000 + i) * 100n);
      expect(order.status).toBe(OrderStatus.NEW);
    });
    expect(new Set(placed.map((order) => order.orderId)).size).toBe(40);
    // Grouped: fewer calls than orders, and matching saw every id once, strictly increasing.
    expect(matching.calls.length).toBeLessThan(40);
    const delivered = matching.calls.flat();
    expect(delivered).toHaveLength(40);
    for (let i = 1; i < delivered.length; i++) expect(delivered[i]! > delivered[i - 1]!).toBe(true);
    // Stored and out of the outbox once its events were applied.
    expect(await store.undelivered(SYMBOL)).toEqual([]);
  });

  it("answers a placement with its order as this process's consumer stored it, read back only when another replica stored it", async () => {
    const reads = vi.spyOn(store, "get");
    const placed = await Promise.all(Array.from({ length: 20 }, (_, i) => orders.place(`acct-${i % 5}`, SYMBOL, buy(String(20_000 + i)), `s-${i}`)));
    for (const order of placed) expect(order).toEqual(await store.get(SYMBOL, order.orderId));
    expect(placed.every((order) => order.status === OrderStatus.NEW && order.submitted)).toBe(true);
    // Not one read of an order just written (the reads above are the test's own).
    expect(reads).toHaveBeenCalledTimes(20);
    reads.mockClear();

    const replica = new Orders({ store, matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS, waitMs: 5_000 });
    const next = BigInt(placed.reduce((max, order) => Math.max(max, order.orderId), 0) + 1);
    matching.replica = { orders: replica, placements: new Set([next]) };
    const elsewhere = await orders.place("alice", SYMBOL, buy("19000"), "elsewhere");
    expect(BigInt(elsewhere.orderId)).toBe(next);
    expect(elsewhere.status).toBe(OrderStatus.NEW);
    expect(reads).toHaveBeenCalledWith(SYMBOL, elsewhere.orderId);
    expect(elsewhere).toEqual(await store.get(SYMBOL, elsewhere.orderId));
  });

  it("refuses only the placement whose hold failed; its group goes on", async () => {
    const results = await Promise.allSettled([
      orders.place("alice", SYMBOL, buy("20000"), "a-1"),
      orders.place("broke", SYMBOL, buy("20001"), "b-1"),
      orders.place("bob", SYMBOL, buy("20002"), "c-1"),
    ]);
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/insufficient/i);
    // Never delivered, the refused order leaves no row (Binance shows nothing of it); the others are placed.
    expect(await store.getByClientId("broke", "b-1")).toBeUndefined();
    const placed = [await store.getByClientId("alice", "a-1"), await store.getByClientId("bob", "c-1")];
    expect(matching.calls.flat().sort()).toEqual(placed.map((order) => BigInt(order!.orderId)).sort());
    expect(wallet.holds).toHaveLength(3);
  });

  it("answers a retried client order id with the stored order, placing nothing again", async () => {
    const first = await orders.place("alice", SYMBOL, buy("20000"), "same");
    const [again, other] = await Promise.all([orders.place("alice", SYMBOL, buy("21000"), "same"), orders.place("alice", SYMBOL, buy("21000"), "other")]);
    expect(again.orderId).toBe(first.orderId);
    expect(again.priceTicks).toBe(first.priceTicks);
    expect(other.orderId).toBeGreaterThan(first.orderId);
    expect(matching.calls.flat()).toEqual([BigInt(first.orderId), BigInt(other.orderId)]);
  });

  it("relays stored orders matching never got, oldest first, before newer ones, in one call", async () => {
    // Three orders stored as if the process died before delivering them.
    const stored = await store.insertNew(SYMBOL, 3, (first) =>
      [0, 1, 2].map((i) => ({
        symbol: SYMBOL,
        orderId: first + i,
        accountId: "alice",
        clientOrderId: `r-${i}`,
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
        holdUnits: 20_000_000_000n,
        status: OrderStatus.PENDING_NEW,
        filledLots: 0n,
        quoteUnits: 0n,
        submitted: false,
        createdAt: 1,
        updatedAt: 1,
      })),
    );
    expect(stored.map((s) => s.order.orderId)).toEqual([1, 2, 3]);
    matching.duplicates.add(2n); // matching had the second one already
    await orders.relay(SYMBOL);
    expect(matching.calls).toEqual([[1n, 2n, 3n]]);
    const later = await orders.place("alice", SYMBOL, buy("20000"), "after");
    expect(later.orderId).toBe(4);
    // The one matching had is left as stored: its events, when they come, are the consumer's to store.
    expect((await store.get(SYMBOL, 2))?.status).toBe(OrderStatus.PENDING_NEW);
  });

  it("a resend answered as duplicate leaves what the consumer stored (no stale row written over it)", async () => {
    matching.answerLost.add(1n);
    const placed = await orders.place("alice", SYMBOL, buy("20000"), "lost-answer");
    expect(placed.orderId).toBe(1);
    const row = await store.get(SYMBOL, 1);
    expect(row?.status).toBe(OrderStatus.NEW);
    expect(row?.submitted).toBe(true);
    expect(await orders.listOpen("alice", SYMBOL)).toHaveLength(1);
  });

  it("fails only the order matching refused; the others of its group are placed and answered", async () => {
    matching.invalid.add(2n);
    // The first placements read the symbol's last trade price before they join a group, so how they group may vary.
    const results = await Promise.allSettled([1, 2, 3].map((i) => orders.place("alice", SYMBOL, buy(String(20_000 + i)), "")));
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(matching.calls.flat()).toEqual([1n, 2n, 3n]);
    expect((await store.get(SYMBOL, 2))?.status).toBe(OrderStatus.REJECTED);
    expect((await store.get(SYMBOL, 3))?.status).toBe(OrderStatus.NEW);
  });

  it("a lone placement matching rejects leaves no row, frees its client order id and still answers the rejection, whichever replica stores it", async () => {
    const updates = vi.fn();
    orders = new Orders({ store, matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS, waitMs: 5_000, updates: { publish: updates } });
    matching.orders = orders;
    matching.wouldTake.add(2n);
    const results = await Promise.allSettled([1, 2, 3].map((i) => orders.place("alice", SYMBOL, buy(String(20_000 + i)), `t-${i}`)));
    expect(results.map((result) => result.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ key: "NEW_ORDER_REJECTED", message: "Order would immediately match and take." });
    expect(await store.get(SYMBOL, 2)).toBeUndefined();
    expect(await store.getByClientId("alice", "t-2")).toBeUndefined();
    expect(await store.undelivered(SYMBOL)).toEqual([]);
    expect(wallet.released).toContain(holdIdOf(SYMBOL, 2));
    const reported = updates.mock.calls.flatMap(([batch]) => batch as { order: { orderId: number } }[]).map((update) => update.order.orderId);
    expect(reported).toContain(1);
    expect(reported).not.toContain(2);
    // the id is free again: a retry is a new order
    const retried = await orders.place("alice", SYMBOL, buy("20002"), "t-2");
    expect(retried.orderId).toBe(4);
    expect(retried.status).toBe(OrderStatus.NEW);
    // another replica stores the rejecting batch first (and removes the row): the placement still gets matching's reason
    const replica = new Orders({ store, matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS, waitMs: 5_000 });
    matching.replica = { orders: replica, placements: new Set([5n]) };
    matching.wouldTake.add(5n);
    await expect(orders.place("alice", SYMBOL, buy("20005"), "t-5")).rejects.toMatchObject({ key: "NEW_ORDER_REJECTED", message: "Order would immediately match and take." });
    expect(await store.get(SYMBOL, 5)).toBeUndefined();
  });

  it("admits a burst up to MAX_NUM_ORDERS exactly, refuses the next, and answers a retry at the limit with its order", async () => {
    const limited = new Orders({ store, matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS.map((spec) => ({ ...spec, maxNumOrders: 5 })), waitMs: 5_000 });
    matching.orders = limited;
    const ids = Array.from({ length: 5 }, (_, i) => `burst-${i}`);
    // Five new orders and a resend of each, all at once: the resends count once, so all five are placed.
    const placed = await Promise.all([...ids, ...ids].map((id, i) => limited.place("alice", SYMBOL, buy(String(20_000 + (i % 5))), id)));
    expect(new Set(placed.map((order) => order.orderId)).size).toBe(5);
    for (const [i, order] of placed.entries()) expect(order.clientOrderId).toBe(ids[i % 5]);
    const refusal = await limited.place("alice", SYMBOL, buy("20010"), "sixth").then(
      () => "placed",
      (error: unknown) => (error as DomainError).message,
    );
    expect(refusal).toBe("Filter failure: MAX_NUM_ORDERS");
    expect(await store.getByClientId("alice", "sixth")).toBeUndefined();
    // At the limit, a retry of a placed order is that order; another account is not limited by alice's.
    expect((await limited.place("alice", SYMBOL, buy("20000"), "burst-0")).orderId).toBe(placed[0]!.orderId);
    expect((await limited.place("bob", SYMBOL, buy("20000"), "bob-1")).status).toBe(OrderStatus.NEW);
    expect(matching.calls.flat()).toHaveLength(6);
  });
});
