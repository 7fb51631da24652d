import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { Code, ConnectError, type ConnectRouter, type Transport } from "@connectrpc/connect";
import { ContingencyType, OrderStatus, OrderType, Side } from "#gen/exchange/common/v1/common_pb.js";
import type { Command, EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { ManualClock, systemClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { isDomainError } from "#kit/errors/domain-error.js";
import { toConnectError } from "#kit/errors/connect-errors.js";
import { parseUnits } from "#kit/money/decimal.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { ConnectMatchingGateway } from "../../../services/order/src/adapters/matching-gateway.connect.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import { ConnectWalletGateway } from "../../../services/order/src/adapters/wallet-gateway.connect.js";
import type { ListLegRequest } from "../../../services/order/src/domain/order-list-intent.js";
import type { OrderListView } from "../../../services/order/src/domain/order-list.js";
import { Orders } from "../../../services/order/src/domain/orders.use-case.js";
import type { PlaceOrderListRequest } from "../../../services/order/src/domain/place-order-list.use-case.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import type { MatchingGateway, SubmitOutcome } from "../../../services/order/src/ports/matching-gateway.port.js";
import type { WalletGateway } from "../../../services/order/src/ports/wallet-gateway.port.js";
import { createMatchingModule } from "../../../services/matching/src/main.js";
import { createWalletModule, type WalletParts } from "../../../services/wallet/src/main.js";
import { limitRequest } from "../../support/place-request.js";
import { until } from "../../support/until.js";

// Order lists whose delivery to matching goes unanswered, with the real matching engine and the real wallet (SQLite)
// in process and the real SQLite order store and its consumer. A list matching did not answer for may be in its
// book: it is never ended by the order service on its own (no REJECTED, no hold released), but stays undelivered,
// and the same command is delivered again (a retry with its listClientOrderId, or the relay), which matching answers
// as a duplicate when it has the list. What becomes of the list is decided by matching's events only.

const SYMBOL = "BTCUSDT";
const units = (text: string) => parseUnits(text, 8);

/** The real gateway, able to be unreachable, or to lose matching's answer after matching journaled the command. */
class FlakyMatching implements MatchingGateway {
  readonly sent: string[] = [];
  down = false;
  /** The next submission reaches matching, then its answer is lost: the gateway throws Unavailable. */
  loseNextAnswer = false;
  /** The next submission reaches matching, then the gateway answers with no outcome at all. */
  dropNextOutcome = false;
  /** FUND_PENDING commands do not reach matching (Unavailable). */
  dropFunds = false;

  private paused = false;
  private resume: () => void = () => undefined;
  private resumed: Promise<void> = Promise.resolve();

  constructor(readonly inner: ConnectMatchingGateway) {}

  /** Holds back the events the consumer reads (a slow consumer), until unpause. */
  pause(): void {
    this.paused = true;
    this.resumed = new Promise((resolve) => (this.resume = resolve));
  }

  unpause(): void {
    this.paused = false;
    this.resume();
  }

  submit(command: Command): Promise<EventBatch | "duplicate"> {
    if (this.down || (this.dropFunds && command.kind.case === "fundPending")) return Promise.reject(new ConnectError("matching is unreachable", Code.Unavailable));
    this.sent.push(command.kind.case ?? "?");
    return this.inner.submit(command);
  }

  async submitBatch(symbol: string, commands: readonly Command[]): Promise<SubmitOutcome[]> {
    if (this.down) throw new ConnectError("matching is unreachable", Code.Unavailable);
    for (const command of commands) this.sent.push(command.kind.case ?? "?");
    const outcomes = await this.inner.submitBatch(symbol, commands);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new ConnectError("matching's answer was lost", Code.Unavailable);
    }
    if (this.dropNextOutcome) {
      this.dropNextOutcome = false;
      return [];
    }
    return outcomes;
  }

  async *events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncIterable<EventBatch> {
    for await (const batch of this.inner.events(symbol, fromSequence, signal)) {
      while (this.paused) await this.resumed;
      yield batch;
    }
  }

  bestAskTicks(symbol: string): Promise<bigint | undefined> {
    return this.inner.bestAskTicks(symbol);
  }

  headSequence(symbol: string): Promise<number> {
    return this.inner.headSequence(symbol);
  }
}

let dir: string;
let transport: Transport;
let modules: ServiceModule[];
let parts: WalletParts;
let orderDb: Database<OrderTables>;
let matching: FlakyMatching;
let clock: ManualClock;
let orders: Orders;
let consumer: AbortController;
let consuming: Promise<void>;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "order-list-delivery-"));
  const walletModule = await createWalletModule({ ledgerUrl: `sqlite:${join(dir, "wallet.sqlite")}`, tickMs: 0 });
  parts = walletModule.parts;
  modules = [walletModule, await createMatchingModule({ dataDir: join(dir, "matching") })];
  transport = inProcessTransport((router: ConnectRouter) => {
    for (const module of modules) module.routes(router);
  });
  orderDb = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
  await migrate(orderDb.db as never, "order", orderStoreMigrations);
  // Lists must not go back to a gateway retry loop for these tests: one attempt, the use case decides.
  matching = new FlakyMatching(new ConnectMatchingGateway(transport, { forMs: 0, firstDelayMs: 1, maxDelayMs: 1 }));
  clock = new ManualClock(systemClock.now());
  orders = new Orders({ store: new SqlOrderStore(orderDb.db as Kysely<OrderTables>), matching, wallet: new ConnectWalletGateway(transport), clock, symbols: DEFAULT_SYMBOLS, waitMs: 2_000 });
  consumer = new AbortController();
  const signal = consumer.signal;
  consuming = (async () => {
    while (!signal.aborted) {
      try {
        await orders.consume(SYMBOL, signal);
      } catch {
        if (signal.aborted) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  })();
  await parts.wallet.creditDeposit("alice-usdt", "alice", "USDT", units("10000"));
  await parts.wallet.creditDeposit("alice-btc", "alice", "BTC", units("1"));
  await parts.wallet.creditDeposit("bob-usdt", "bob", "USDT", units("1000"));
  await parts.wallet.creditDeposit("carol-btc", "carol", "BTC", units("1"));
});

afterEach(async () => {
  matching.unpause();
  consumer.abort();
  await consuming;
  for (const module of modules ?? []) await module.stop?.();
  await orderDb?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function balance(account: string, asset: string): Promise<{ available: bigint; locked: bigint }> {
  const row = (await parts.wallet.balances(account, [asset]))[0];
  return { available: row?.available ?? 0n, locked: row?.locked ?? 0n };
}

const legOf = (side: Side, quantity: string, price: string, type = OrderType.LIMIT): ListLegRequest => ({ ...limitRequest(side, quantity, price, type), clientOrderId: "" });

/** alice's sell OCO: LIMIT_MAKER above at 31000, STOP_LOSS below at 29000 (0.1 BTC, held once). */
const oco = (listClientOrderId: string): PlaceOrderListRequest => ({
  accountId: "alice",
  symbol: SYMBOL,
  contingency: ContingencyType.OCO,
  listClientOrderId,
  orders: [legOf(Side.SELL, "0.1", "31000", OrderType.LIMIT_MAKER), { ...limitRequest(Side.SELL, "0.1", "", OrderType.STOP_LOSS), stopPrice: "29000", clientOrderId: "" }],
});

async function unavailable(call: Promise<unknown>): Promise<void> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => (isDomainError(e) ? toConnectError(e) : ConnectError.from(e)), // as order's rpc layer answers it
  );
  expect(error?.code).toBe(Code.Unavailable);
}

const statuses = (view: OrderListView) => view.orders.map((order) => order.status);

describe("an order list matching did not answer for", () => {
  it("with no outcome at all: stays as matching placed it, its hold kept; nothing is rejected or released", async () => {
    matching.dropNextOutcome = true;
    await unavailable(orders.placingLists.place(oco("no-outcome")));
    // matching has it: its events make both legs NEW, and the one hold of the pair stays taken
    await until(async () => statuses(await orders.orderLists.get("alice", 0n, "no-outcome")).every((status) => status === OrderStatus.NEW));
    expect(await balance("alice", "BTC")).toEqual({ available: units("0.9"), locked: units("0.1") });
    // the retry is answered with the list as matching has it; nothing is delivered twice
    const retried = await orders.placingLists.place(oco("no-outcome"));
    expect(retried.status).toEqual({ statusType: "EXEC_STARTED", orderStatus: "EXECUTING" });
    expect(statuses(retried)).toEqual([OrderStatus.NEW, OrderStatus.NEW]);
    expect(matching.sent).toEqual(["placeList"]);
    // and it trades: canceled by matching's events, its hold released exactly
    await orders.cancelingLists.cancel("alice", SYMBOL, 0n, "no-outcome");
    expect(await balance("alice", "BTC")).toEqual({ available: units("1"), locked: 0n });
  });

  it("whose answer was lost after matching journaled it: a retry delivers the same command, matching answers a duplicate", async () => {
    // the consumer has not applied its events yet: the retry cannot know matching has it
    matching.pause();
    matching.loseNextAnswer = true;
    await unavailable(orders.placingLists.place(oco("lost-answer")));
    await orders.placingLists.place(oco("lost-answer"));
    expect(matching.sent).toEqual(["placeList", "placeList"]);
    matching.unpause();
    await until(async () => statuses(await orders.orderLists.get("alice", 0n, "lost-answer")).every((status) => status === OrderStatus.NEW));
    expect(await balance("alice", "BTC")).toEqual({ available: units("0.9"), locked: units("0.1") });
    expect((await orders.orderLists.all("alice", { limit: 0 })).map((view) => view.list.listClientOrderId)).toEqual(["lost-answer"]);
  });

  it("not reached: the client's retry delivers it and is answered only once matching has it", async () => {
    matching.down = true;
    await unavailable(orders.placingLists.place(oco("down")));
    expect(statuses(await orders.orderLists.get("alice", 0n, "down"))).toEqual([OrderStatus.PENDING_NEW, OrderStatus.PENDING_NEW]);
    matching.down = false;
    // not the stored PENDING_NEW list: delivered (held again: the same hold), then answered
    const retried = await orders.placingLists.place(oco("down"));
    expect(statuses(retried)).toEqual([OrderStatus.NEW, OrderStatus.NEW]);
    expect(matching.sent).toEqual(["placeList"]);
    expect(await balance("alice", "BTC")).toEqual({ available: units("0.9"), locked: units("0.1") });
  });

  it("not reached and not retried: the relay delivers it once older than the relay's age", async () => {
    matching.down = true;
    await unavailable(orders.placingLists.place(oco("relayed")));
    matching.down = false;
    await orders.relay(SYMBOL, 5_000);
    expect(matching.sent).toEqual([]);
    clock.advance(5_000);
    await orders.relay(SYMBOL, 5_000);
    expect(matching.sent).toEqual(["placeList"]);
    await until(async () => statuses(await orders.orderLists.get("alice", 0n, "relayed")).every((status) => status === OrderStatus.NEW));
    expect(await balance("alice", "BTC")).toEqual({ available: units("0.9"), locked: units("0.1") });
  });
});

/** bob (1000 USDT, no BTC) buys 0.02 BTC at 29950, then sells `pendingQuantity` at 31500: funded from what he bought. */
const buyThenSell = (listClientOrderId: string, pendingQuantity: string): PlaceOrderListRequest => ({
  accountId: "bob",
  symbol: SYMBOL,
  contingency: ContingencyType.OTO,
  listClientOrderId,
  orders: [legOf(Side.BUY, "0.02", "29950"), legOf(Side.SELL, pendingQuantity, "31500", OrderType.LIMIT_MAKER)],
});

/** carol sells into bob's working order (a maker fill at 10 bps: bob receives 0.01998 BTC). */
const fill = () => orders.place("carol", SYMBOL, limitRequest(Side.SELL, "0.02", "29950"), "");

/** Matching's batch of `sequence`, as its stream serves it. */
async function batchAt(sequence: number): Promise<EventBatch> {
  const stop = new AbortController();
  for await (const batch of matching.inner.events(SYMBOL, sequence, stop.signal)) {
    stop.abort();
    return batch;
  }
  throw new Error(`no batch ${sequence}`);
}

describe("an OTO's pending order, funded once its working order filled", () => {
  const pendingOf = async (client: string) => (await orders.orderLists.get("bob", 0n, client)).orders[1]!;

  it("whose working order fills on placement: answered FILLED and PENDING_NEW (as on Binance), then placed", async () => {
    await orders.place("carol", SYMBOL, limitRequest(Side.SELL, "0.02", "29950"), "resting-ask");
    const placed = await orders.placingLists.place(buyThenSell("at-once", "0.0199"));
    expect(placed.orders.map((order) => order.status)).toEqual([OrderStatus.FILLED, OrderStatus.PENDING_NEW]);
    await until(async () => (await pendingOf("at-once")).status === OrderStatus.NEW);
    // taker fee 10 bps: 0.01998 received, 0.0199 of it held for the sell
    expect(await balance("bob", "BTC")).toEqual({ available: units("0.00008"), locked: units("0.0199") });
    expect(await balance("bob", "USDT")).toEqual({ available: units("401"), locked: 0n });
  });

  it("whose FUND_PENDING did not reach matching: stays held and undelivered, and the relay sends it again", async () => {
    matching.dropFunds = true;
    await orders.placingLists.place(buyThenSell("fund-lost", "0.0199"));
    await fill();
    await until(async () => (await pendingOf("fund-lost")).pendingFunds?.held === true);
    expect(await pendingOf("fund-lost")).toMatchObject({ status: OrderStatus.PENDING_NEW, submitted: false });
    expect(await balance("bob", "BTC")).toEqual({ available: units("0.00008"), locked: units("0.0199") });
    matching.dropFunds = false;
    await orders.relay(SYMBOL, 5_000);
    expect(matching.sent).not.toContain("fundPending"); // decided less than the relay's age ago
    clock.advance(5_000);
    await orders.relay(SYMBOL, 5_000);
    expect(matching.sent.filter((kind) => kind === "fundPending")).toEqual(["fundPending"]);
    await until(async () => (await pendingOf("fund-lost")).status === OrderStatus.NEW);
    expect(await balance("bob", "BTC")).toEqual({ available: units("0.00008"), locked: units("0.0199") });
    // placed: nothing is left for the relay
    clock.advance(5_000);
    await orders.relay(SYMBOL, 5_000);
    expect(matching.sent.filter((kind) => kind === "fundPending")).toEqual(["fundPending"]);
  });

  it("canceled before its FUND_PENDING reached matching: canceled there, the hold taken for it released to the unit", async () => {
    matching.dropFunds = true;
    await orders.placingLists.place(buyThenSell("fund-canceled", "0.0199"));
    await fill();
    await until(async () => (await pendingOf("fund-canceled")).pendingFunds?.held === true);
    const canceled = await orders.cancelingLists.cancel("bob", SYMBOL, 0n, "fund-canceled");
    expect(canceled.orders.map((order) => order.status)).toEqual([OrderStatus.FILLED, OrderStatus.CANCELED]);
    expect(canceled.status).toEqual({ statusType: "ALL_DONE", orderStatus: "ALL_DONE" });
    expect(await balance("bob", "BTC")).toEqual({ available: units("0.01998"), locked: 0n });
    expect(await balance("bob", "USDT")).toEqual({ available: units("401"), locked: 0n });
    matching.dropFunds = false;
    clock.advance(5_000);
    await orders.relay(SYMBOL, 5_000);
    expect(matching.sent).not.toContain("fundPending");
  });

  it("decided apart by two replicas: the hold taken by the one whose batch was not stored is released", async () => {
    await orders.placingLists.place(buyThenSell("two-replicas", "0.02"));
    // this test's replicas apply the fill themselves
    matching.pause();
    await fill();
    const head = await matching.inner.headSequence(SYMBOL);
    const fillBatch = await batchAt(head);
    const db = new SqlOrderStore(orderDb.db as Kysely<OrderTables>);
    const wallet = new ConnectWalletGateway(transport);
    // B reads the pending order (undecided) and settles the fill, then is slow to hold its funds
    let letHold!: () => void;
    const holdGate = new Promise<void>((resolve) => (letHold = resolve));
    let holding!: () => void;
    const reachedHold = new Promise<void>((resolve) => (holding = resolve));
    const slowWallet: WalletGateway = {
      hold: async (...args) => {
        holding();
        await holdGate;
        return wallet.hold(...args);
      },
      holdAll: (holds) => wallet.holdAll(holds),
      release: (holdId) => wallet.release(holdId),
      reduce: (...args) => wallet.reduce(...args),
      moveHold: (...args) => wallet.moveHold(...args),
      available: (...args) => wallet.available(...args),
      settleMany: (trades) => wallet.settleMany(trades),
      settleAndRelease: (trades, releaseHoldIds) => wallet.settleAndRelease(trades, releaseHoldIds),
    };
    const replica = (gateway: WalletGateway) => new Orders({ store: db, matching, wallet: gateway, clock, symbols: DEFAULT_SYMBOLS, waitMs: 2_000 });
    const b = replica(slowWallet);
    const bApplied = b.apply(SYMBOL, fillBatch);
    await reachedHold;
    // A: the 0.01998 BTC bought cannot cover 0.02: refused, stored, matching told; the expiry is applied (nothing to release)
    const a = replica(wallet);
    await a.apply(SYMBOL, fillBatch);
    await until(async () => (await matching.inner.headSequence(SYMBOL)) === head + 1);
    await a.apply(SYMBOL, await batchAt(head + 1));
    expect((await pendingOf("two-replicas")).status).toBe(OrderStatus.EXPIRED);
    // bob gets BTC meanwhile, so B's late hold is taken; its batch is not stored (A's was): B releases it
    await parts.wallet.creditDeposit("bob-btc", "bob", "BTC", units("0.1"));
    letHold();
    await bApplied;
    expect(await balance("bob", "BTC")).toEqual({ available: units("0.11998"), locked: 0n });
    expect(await balance("bob", "USDT")).toEqual({ available: units("401"), locked: 0n });
  });
});
