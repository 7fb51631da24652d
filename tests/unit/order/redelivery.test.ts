// An order stored but never handed to matching (matching unreachable when it was placed, or wallet's answer to its
// hold lost) must not stay PENDING_NEW with its funds held: the client's retry delivers it (and is acknowledged only
// then), and without a retry the relay delivers it once it is older than the relay's age, after newer orders. Real SQLite order store; scripted
// matching and recording wallet (./scripted.ts).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { Code, ConnectError } from "@connectrpc/connect";
import { OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { isDomainError } from "#kit/errors/domain-error.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import type { PlaceRequest } from "../../../services/order/src/domain/order-intent.js";
import { Orders } from "../../../services/order/src/domain/orders.use-case.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import { RecordingWallet, ScriptedMatching } from "./scripted.js";

const SYMBOL = "BTCUSDT";
const buy: PlaceRequest = { side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.01", quoteOrderQty: "", price: "30000", stopPrice: "", trailingDelta: 0, icebergQty: "", stp: SelfTradePreventionMode.UNSPECIFIED };

let dir: string;
let database: Database<OrderTables>;
let matching: ScriptedMatching;
let wallet: RecordingWallet;
let clock: ManualClock;
let orders: Orders;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "redelivery-unit-"));
  database = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
  await migrate(database.db as never, "order", orderStoreMigrations);
  matching = new ScriptedMatching();
  wallet = new RecordingWallet();
  clock = new ManualClock(1_764_000_000_000);
  orders = new Orders({ store: new SqlOrderStore(database.db as Kysely<OrderTables>), matching, wallet, clock, symbols: DEFAULT_SYMBOLS, waitMs: 1_000 });
  matching.orders = orders;
});

afterEach(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

async function unavailable(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => (isDomainError(e) ? toConnectError(e) : ConnectError.from(e)), // as order's rpc layer answers it
  );
  expect(error?.code).toBe(Code.Unavailable);
}

describe("an order whose delivery to matching failed", () => {
  it("is delivered by the client's retry and acknowledged only then: a cancel-all after the acknowledgement cancels it", async () => {
    matching.down = true;
    await unavailable(orders.place("carol", SYMBOL, buy, "first"));
    matching.down = false;
    // The retry holds (the same hold id) and delivers it: acknowledged once matching has it, not as stored.
    expect(await orders.place("carol", SYMBOL, buy, "first")).toMatchObject({ clientOrderId: "first", status: OrderStatus.NEW });
    expect(matching.commands).toEqual(["place"]);
    expect((await orders.cancelAll("carol", SYMBOL)).map((o) => o.clientOrderId)).toEqual(["first"]);
    // Nothing is left for the relay: the order does not come back on the book after the cancel-all.
    clock.advance(5_000);
    await orders.relay(SYMBOL, 5_000);
    expect(matching.commands).toEqual(["place", "cancelAll"]);
    expect((await orders.get("carol", SYMBOL, 0n, "first")).status).toBe(OrderStatus.CANCELED);
    // Its hold was asked for twice (the same hold id: wallet answers the second with the first) and taken once.
    const first = await orders.get("carol", SYMBOL, 0n, "first");
    expect(wallet.calls.filter((call) => call.startsWith(`hold ${SYMBOL}:${first.orderId} `))).toHaveLength(1);
  });

  it("is delivered by the relay once it is older than the relay's age, after newer orders, when the client does not retry", async () => {
    matching.down = true;
    await unavailable(orders.place("carol", SYMBOL, buy, "first"));
    matching.down = false;
    expect((await orders.place("carol", SYMBOL, buy, "second")).status).toBe(OrderStatus.NEW);
    expect(matching.commands).toEqual(["place"]);

    await orders.relay(SYMBOL, 5_000);
    expect(matching.commands).toEqual(["place"]); // younger than 5 s: perhaps still in flight elsewhere
    clock.advance(5_000);
    await orders.relay(SYMBOL, 5_000);
    await expect.poll(async () => (await orders.get("carol", SYMBOL, 0n, "first")).status).toBe(OrderStatus.NEW);
    expect(matching.commands).toEqual(["place", "place"]);
  });

  it("delivered twice (a retry while the first delivery is in flight) is one order: matching answers the second as a duplicate", async () => {
    const placed = await orders.place("carol", SYMBOL, buy, "twice");
    // As if the first delivery's answer had not been stored yet: the row still says undelivered.
    await new SqlOrderStore(database.db as Kysely<OrderTables>).update({ ...placed, status: OrderStatus.PENDING_NEW, submitted: false });
    expect(await orders.place("carol", SYMBOL, buy, "twice")).toMatchObject({ orderId: placed.orderId });
    expect(matching.commands).toEqual(["place"]);
  });

  it("is not rejected when wallet's answer to its hold was lost (the hold may exist): the relay delivers it", async () => {
    wallet.loseNextHoldAnswer = true;
    await unavailable(orders.place("carol", SYMBOL, buy, "lost-answer"));
    const stored = await orders.get("carol", SYMBOL, 0n, "lost-answer");
    expect(stored.status).toBe(OrderStatus.PENDING_NEW);
    clock.advance(5_000);
    await orders.relay(SYMBOL, 5_000);
    await expect.poll(async () => (await orders.get("carol", SYMBOL, 0n, "lost-answer")).status).toBe(OrderStatus.NEW);
    expect(wallet.calls).toEqual([`hold ${SYMBOL}:${stored.orderId} 300`]);
    expect(matching.commands).toEqual(["place"]);
  });
});
