import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { ConnectError } from "@connectrpc/connect";
import { OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { systemClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import type { PlaceRequest } from "../../../services/order/src/domain/order-intent.js";
import { Orders, type CancelReplaceRequest } from "../../../services/order/src/domain/orders.use-case.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import { operationError } from "../../../services/order/src/rpc/order.routes.js";
import { RecordingWallet, ScriptedMatching } from "./scripted.js";

// Orders.cancelReplace against the real SQLite order store, with a scripted matching and a wallet that records
// its calls in order (./scripted.ts): what is asked of whom, and in which order.

const SYMBOL = "BTCUSDT";

let dir: string;
let database: Database<OrderTables>;
let matching: ScriptedMatching;
let wallet: RecordingWallet;
let orders: Orders;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "cancel-replace-unit-"));
  database = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
  await migrate(database.db as never, "order", orderStoreMigrations);
  matching = new ScriptedMatching();
  wallet = new RecordingWallet();
  orders = new Orders({ store: new SqlOrderStore(database.db as Kysely<OrderTables>), matching, wallet, clock: systemClock, symbols: DEFAULT_SYMBOLS, waitMs: 1_000 });
  matching.orders = orders;
});

afterEach(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const buy = (quantity: string, price: string): PlaceRequest => ({
  side: Side.BUY,
  type: OrderType.LIMIT,
  timeInForce: TimeInForce.GTC,
  quantity,
  quoteOrderQty: "",
  price,
  stopPrice: "",
  trailingDelta: 0,
  icebergQty: "",
  stp: SelfTradePreventionMode.UNSPECIFIED,
});

const request = (cancelOrderId: number, place: PlaceRequest, clientOrderId: string, overrides: Partial<CancelReplaceRequest> = {}): CancelReplaceRequest => ({
  accountId: "carol",
  symbol: SYMBOL,
  cancelOrderId: BigInt(cancelOrderId),
  cancelClientOrderId: "",
  place,
  clientOrderId,
  mode: "STOP_ON_FAILURE",
  restriction: "NONE",
  ...overrides,
});

describe("Orders.cancelReplace", () => {
  it("the old order's hold pays what the free balance does not: one command, its hold moved when matching cancels it", async () => {
    const old = await orders.place("carol", SYMBOL, buy("0.1", "29000"), "old");
    const outcome = await orders.cancelReplace(request(old.orderId, buy("0.1", "30000"), "new"));
    expect(outcome.canceled).toMatchObject({ orderId: old.orderId, status: OrderStatus.CANCELED });
    expect(outcome.placed).toMatchObject({ clientOrderId: "new", status: OrderStatus.NEW, replaces: { orderId: old.orderId, fundedByTarget: 290_000_000_000n } });
    const placed = outcome.placed!.orderId;
    // 100 free held by the new order itself, 2900 moved from the old hold in the cancel's release: nothing else.
    expect(wallet.calls).toEqual([`hold ${SYMBOL}:${old.orderId} 2900`, `hold ${SYMBOL}:${placed} 100`, `move ${SYMBOL}:${old.orderId} ${SYMBOL}:${placed} 2900.00000000`]);
    expect(matching.commands).toEqual(["place", "cancelReplace"]);
    expect(wallet.free).toBe(0);
  });

  it("a retry with the same client order id sends nothing to matching or wallet", async () => {
    const old = await orders.place("carol", SYMBOL, buy("0.1", "29000"), "old");
    const first = await orders.cancelReplace(request(old.orderId, buy("0.1", "30000"), "new"));
    const calls = [...wallet.calls];
    const commands = [...matching.commands];
    const again = await orders.cancelReplace(request(old.orderId, buy("0.1", "30000"), "new"));
    expect(again.canceled?.orderId).toBe(old.orderId);
    expect(again.placed?.orderId).toBe(first.placed!.orderId);
    expect(wallet.calls).toEqual(calls);
    expect(matching.commands).toEqual(commands);
  });

  it("STOP_ON_FAILURE: an unknown order is a failed cancel and nothing is held or placed", async () => {
    const outcome = await orders.cancelReplace(request(42, buy("0.1", "30000"), "new"));
    expect(outcome.placeAttempted).toBe(false);
    expect(operationError(outcome.cancelError)).toEqual({ code: -2011, message: "Unknown order sent." });
    expect(wallet.calls).toEqual([]);
    expect(matching.commands).toEqual([]);
  });

  it("ALLOW_FAILURE: places although the cancel failed; a failing placement is reported with its code", async () => {
    const allowed = await orders.cancelReplace(request(42, buy("0.01", "20000"), "allowed", { mode: "ALLOW_FAILURE" }));
    expect(allowed.cancelError).toBeDefined();
    expect(allowed.placed?.status).toBe(OrderStatus.NEW);
    const tooBig = await orders.cancelReplace(request(allowed.placed!.orderId, buy("1", "20000"), "too-big"));
    expect(tooBig.canceled?.status).toBe(OrderStatus.CANCELED);
    expect(operationError(tooBig.placeError).code).toBe(-2010);
    expect(wallet.free).toBe(3_000);
  });

  it("a new order failing its filters throws before anything is canceled", async () => {
    const old = await orders.place("carol", SYMBOL, buy("0.1", "29000"), "old");
    const commands = [...matching.commands];
    await expect(orders.cancelReplace(request(old.orderId, buy("0.1", "29000.001"), "new"))).rejects.toMatchObject({ key: "FILTER_FAILURE" });
    await expect(orders.cancelReplace(request(0, buy("0.1", "29000"), "new"))).rejects.toMatchObject({ key: "MANDATORY_PARAM_EMPTY_OR_MALFORMED" });
    expect(matching.commands).toEqual(commands);
    expect((await orders.get("carol", SYMBOL, BigInt(old.orderId), "")).status).toBe(OrderStatus.NEW);
  });

  it("matching unreachable: the call fails, nothing is canceled or placed, the new order waits undelivered holding only its own part", async () => {
    const old = await orders.place("carol", SYMBOL, buy("0.1", "29000"), "old");
    matching.down = true;
    await expect(orders.cancelReplace(request(old.orderId, buy("0.1", "30000"), "new", { mode: "ALLOW_FAILURE" }))).rejects.toBeInstanceOf(ConnectError);
    const pending = (await orders.get("carol", SYMBOL, 0n, "new"))!;
    expect(pending).toMatchObject({ status: OrderStatus.PENDING_NEW, submitted: false });
    expect(wallet.calls).toEqual([`hold ${SYMBOL}:${old.orderId} 2900`, `hold ${SYMBOL}:${pending.orderId} 100`]);
    expect((await orders.get("carol", SYMBOL, BigInt(old.orderId), "")).status).toBe(OrderStatus.NEW);
  });

  it("another account's order is a failed cancel exactly like a missing one", async () => {
    const theirs = await orders.place("carol", SYMBOL, buy("0.1", "29000"), "theirs");
    const foreign = await orders.cancelReplace(request(theirs.orderId, buy("0.01", "20000"), "mine", { accountId: "dave" }));
    const missing = await orders.cancelReplace(request(4242, buy("0.01", "20000"), "mine2", { accountId: "dave" }));
    expect(operationError(foreign.cancelError)).toEqual(operationError(missing.cancelError));
    expect(foreign.placeAttempted).toBe(false);
  });
});

describe("Orders.amend (keepPriority)", () => {
  it("sends the new open quantity to matching and releases the freed part of the hold once", async () => {
    const order = await orders.place("carol", SYMBOL, buy("0.1", "29000"), "big");
    const amended = await orders.amend("carol", SYMBOL, BigInt(order.orderId), "", "0.04");
    expect(amended.quantityLots).toBe(4_000n);
    expect(matching.commands).toEqual(["place", "amend"]);
    // 0.06 BTC freed at 29000: 1740 USDT back to available.
    expect(wallet.calls).toEqual([`hold ${SYMBOL}:${order.orderId} 2900`, `reduce ${SYMBOL}:${order.orderId} A2 1740.00000000`]);
    expect(wallet.free).toBe(3_000 - 1_160);
    await expect(orders.amend("carol", SYMBOL, BigInt(order.orderId), "", "0.04")).rejects.toMatchObject({ key: "INVALID_PARAMETER" });
    await expect(orders.amend("dave", SYMBOL, BigInt(order.orderId), "", "0.01")).rejects.toMatchObject({ key: "NO_SUCH_ORDER" });
    expect(matching.commands).toEqual(["place", "amend"]);
  });
});

describe("operationError", () => {
  it("answers Binance's code and message for domain errors and errors passed on from services", () => {
    expect(operationError(new DomainError("CANCEL_REJECTED", "Unknown order sent."))).toEqual({ code: -2011, message: "Unknown order sent." });
    expect(operationError(toConnectError(new DomainError("INSUFFICIENT_BALANCE")))).toEqual({ code: -2010, message: "Account has insufficient balance for requested action." });
  });
});
