import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { OrderStatus, Side, SymbolStatus } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema, type Command, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { systemClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { parseUnits } from "#kit/money/decimal.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { ConnectMatchingGateway } from "../../../services/order/src/adapters/matching-gateway.connect.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import { ConnectWalletGateway } from "../../../services/order/src/adapters/wallet-gateway.connect.js";
import type { CancelReplaceRequest } from "../../../services/order/src/domain/cancel-replace.use-case.js";
import type { Order } from "../../../services/order/src/domain/order.js";
import type { PlaceRequest } from "../../../services/order/src/domain/order-intent.js";
import { Orders } from "../../../services/order/src/domain/orders.use-case.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import type { MatchingGateway, SubmitOutcome } from "../../../services/order/src/ports/matching-gateway.port.js";
import { operationError } from "../../../services/order/src/rpc/order.routes.js";
import { createMatchingModule } from "../../../services/matching/src/main.js";
import { createWalletModule, type WalletParts } from "../../../services/wallet/src/main.js";
import { until } from "../../support/until.js";
import { limitRequest } from "../../support/place-request.js";

// Orders.cancelReplace with the real matching engine and the real wallet (SQLite) in process, the real
// SQLite order store and its consumer: the cancel and the new order are ONE matching command
// (CANCEL_REPLACE), so no other order can trade between them; matching applies STOP_ON_FAILURE /
// ALLOW_FAILURE; a replacement that needs the old order's funds takes them in that same command (the old
// hold moved in wallet when the consumer applies the cancel), or is refused for balance when too little is
// left; an undelivered cancel-replace is only ever delivered whole, and moves the hold once however often
// it is delivered or applied. Funds are checked to the unit after each.

const SYMBOL = "BTCUSDT";
const usdt = (text: string) => parseUnits(text, 8);
const btc = (text: string) => parseUnits(text, 8);

/**
 * The real matching gateway, recording every command sent (in the order sent), able to hold back the
 * events the consumer reads (as a slow consumer would) and to be unreachable for submissions.
 */
class ObservedMatching implements MatchingGateway {
  readonly sent: string[] = [];
  down = false;
  /** The next submission reaches matching but its answer is lost. */
  loseNextAnswer = false;
  private paused = false;
  private resume: () => void = () => undefined;
  private resumed: Promise<void> = Promise.resolve();

  constructor(readonly inner: ConnectMatchingGateway) {}

  pause(): void {
    this.paused = true;
    this.resumed = new Promise((resolve) => (this.resume = resolve));
  }

  unpause(): void {
    this.paused = false;
    this.resume();
  }

  private record(command: Command): void {
    const kind = command.kind;
    if (kind.case === "place") this.sent.push(`place ${kind.value.orderId}`);
    else if (kind.case === "cancel") this.sent.push(`cancel ${kind.value.orderId}`);
    else if (kind.case === "cancelReplace") this.sent.push(`cancelReplace ${kind.value.cancelOrderId} ${kind.value.place!.orderId} ${kind.value.allowFailure ? "ALLOW_FAILURE" : "STOP_ON_FAILURE"}`);
    else this.sent.push(kind.case ?? "?");
  }

  async submit(command: Command): Promise<EventBatch | "duplicate"> {
    if (this.down) throw new ConnectError("matching is unreachable", Code.Unavailable);
    this.record(command);
    return this.inner.submit(command);
  }

  async submitBatch(symbol: string, commands: readonly Command[]): Promise<SubmitOutcome[]> {
    if (this.down) throw new ConnectError("matching is unreachable", Code.Unavailable);
    for (const command of commands) this.record(command);
    const outcomes = await this.inner.submitBatch(symbol, commands);
    if (this.loseNextAnswer) {
      // matching journaled and applied it; the connection broke before its answer
      this.loseNextAnswer = false;
      throw new ConnectError("connection reset before the answer", Code.Unavailable);
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
let modules: ServiceModule[];
let parts: WalletParts;
let orderDb: Database<OrderTables>;
let store: SqlOrderStore;
let matching: ObservedMatching;
let orders: Orders;
let consumer: AbortController;
let consuming: Promise<void>;
const consumerErrors: unknown[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "cancel-replace-atomic-"));
  const walletModule = await createWalletModule({ ledgerUrl: `sqlite:${join(dir, "wallet.sqlite")}`, tickMs: 0 });
  parts = walletModule.parts;
  modules = [walletModule, await createMatchingModule({ dataDir: join(dir, "matching") })];
  const transport = inProcessTransport((router: ConnectRouter) => {
    for (const module of modules) module.routes(router);
  });
  orderDb = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
  await migrate(orderDb.db as never, "order", orderStoreMigrations);
  store = new SqlOrderStore(orderDb.db as Kysely<OrderTables>);
  matching = new ObservedMatching(new ConnectMatchingGateway(transport));
  orders = new Orders({ store, matching, wallet: new ConnectWalletGateway(transport), clock: systemClock, symbols: DEFAULT_SYMBOLS, waitMs: 2_000 });
  consumer = new AbortController();
  consumerErrors.length = 0;
  const signal = consumer.signal;
  consuming = (async () => {
    while (!signal.aborted) {
      try {
        await orders.consume(SYMBOL, signal);
      } catch (error) {
        if (signal.aborted) return;
        consumerErrors.push(error);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  })();
  await parts.wallet.creditDeposit("alice-usdt", "alice", "USDT", usdt("10000"));
  await parts.wallet.creditDeposit("bob-btc", "bob", "BTC", btc("1"));
  await parts.wallet.creditDeposit("carol-usdt", "carol", "USDT", usdt("3000"));
});

afterEach(async () => {
  matching.unpause();
  consumer.abort();
  await consuming;
  for (const module of modules ?? []) await module.stop?.();
  await orderDb?.close();
  rmSync(dir, { recursive: true, force: true });
});

const limit = limitRequest;

const replace = (accountId: string, target: Order, place: PlaceRequest, clientOrderId: string, overrides: Partial<CancelReplaceRequest> = {}): CancelReplaceRequest => ({
  accountId,
  symbol: SYMBOL,
  cancelOrderId: BigInt(target.orderId),
  cancelClientOrderId: "",
  place,
  clientOrderId,
  mode: "STOP_ON_FAILURE",
  restriction: "NONE",
  ...overrides,
});

async function balance(account: string, asset: string): Promise<{ available: bigint; locked: bigint }> {
  const row = (await parts.wallet.balances(account, [asset]))[0];
  return { available: row?.available ?? 0n, locked: row?.locked ?? 0n };
}

/** Matching's event batches 1..its head, as its stream serves them. */
async function matchingBatches(): Promise<EventBatch[]> {
  const head = await matching.inner.headSequence(SYMBOL);
  const batches: EventBatch[] = [];
  const stop = new AbortController();
  if (head === 0) return batches;
  for await (const batch of matching.inner.events(SYMBOL, 1, stop.signal)) {
    batches.push(batch);
    if (Number(batch.sequence) >= head) break;
  }
  stop.abort();
  return batches;
}

const canceledIn = (batch: EventBatch, orderId: number) =>
  batch.events.some((event) => event.kind.case === "orderUpdated" && Number(event.kind.value.orderId) === orderId && event.kind.value.status === OrderStatus.CANCELED);
const acceptedIn = (batch: EventBatch, orderId: number) => batch.events.some((event) => event.kind.case === "accepted" && Number(event.kind.value.orderId) === orderId);
const tradesOf = (batch: EventBatch) => batch.events.flatMap((event) => (event.kind.case === "trade" ? [event.kind.value] : []));

/** The account's trades as the order service stored them: what it bought or sold, paid and was charged. */
async function tradeTotals(accountId: string) {
  const trades = (await orders.listTrades(accountId, SYMBOL, 1000, "")).items;
  const sum = (pick: (t: (typeof trades)[number]) => bigint) => trades.reduce((total, t) => total + pick(t), 0n);
  return {
    count: trades.length,
    baseBought: sum((t) => (t.isBuyer ? t.quantityLots * 1_000n : 0n)), // a lot is 0.00001 BTC = 1000 units
    baseSold: sum((t) => (t.isBuyer ? 0n : t.quantityLots * 1_000n)),
    quotePaid: sum((t) => (t.isBuyer ? t.quoteUnits : 0n)),
    quoteReceived: sum((t) => (t.isBuyer ? 0n : t.quoteUnits)),
    fees: sum((t) => t.commissionUnits),
  };
}

describe("cancelReplace is one matching command", () => {
  it("cancels and places in one batch while another account's crossing orders stream in: nothing trades between", async () => {
    const x = await orders.place("alice", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    // bob sells 0.002 at 29000, one after another, until three after the replacement: each one trades with X while X rests.
    let replaced = false;
    const stream = (async () => {
      const sells: Order[] = [];
      for (let after = 0; after < 3 && sells.length < 40; after += replaced ? 1 : 0) sells.push(await orders.place("bob", SYMBOL, limit(Side.SELL, "0.002", "29000"), `s${sells.length}`));
      return sells;
    })();
    await until(() => matching.sent.length >= 5);
    const outcome = await orders.cancelReplace(replace("alice", x, limit(Side.BUY, "0.05", "28500"), "x2"));
    replaced = true;
    const sells = await stream;

    expect(outcome.cancelError).toBeUndefined();
    expect(outcome.placeError).toBeUndefined();
    expect(outcome.canceled).toMatchObject({ orderId: x.orderId, status: OrderStatus.CANCELED });
    expect(outcome.placed).toMatchObject({ clientOrderId: "x2", status: OrderStatus.NEW, quantityLots: 5_000n });
    const x2 = outcome.placed!.orderId;

    // One command, no cancel of its own; matching's batches: the cancel and the new order's acceptance share one sequence.
    expect(matching.sent.filter((sent) => !sent.startsWith("place "))).toEqual([`cancelReplace ${x.orderId} ${x2} STOP_ON_FAILURE`]);
    expect(matching.sent).not.toContain(`place ${x2}`);
    const batches = await matchingBatches();
    const at = batches.findIndex((batch) => canceledIn(batch, x.orderId));
    expect(at).toBeGreaterThanOrEqual(0);
    expect(acceptedIn(batches[at]!, x2)).toBe(true);
    expect(batches.filter((batch) => acceptedIn(batch, x2))).toHaveLength(1);
    // X traded only before that sequence, and its stored fills are exactly those trades.
    const xTrades = batches.flatMap((batch, index) => tradesOf(batch).filter((t) => Number(t.makerOrderId) === x.orderId).map(() => index));
    expect(xTrades.every((index) => index < at)).toBe(true);
    const stored = (await orders.get("alice", SYMBOL, BigInt(x.orderId), ""))!;
    expect(stored.filledLots).toBe(BigInt(xTrades.length) * 200n);
    // The sells after the replacement rest (the new bid is lower): none traded after the cancel.
    const after = batches.slice(at + 1).flatMap(tradesOf);
    expect(after).toEqual([]);
    expect(xTrades.length).toBeGreaterThanOrEqual(4);
    expect(sells.filter((s) => s.status === OrderStatus.FILLED)).toHaveLength(xTrades.length);
    expect(sells.filter((s) => s.status === OrderStatus.NEW).length).toBeGreaterThanOrEqual(3);

    // Funds: alice paid for what X bought, holds exactly the new order's 1425 USDT, got the BTC less fees.
    await until(async () => orders.appliedSequence(SYMBOL) >= (await matching.inner.headSequence(SYMBOL)));
    const alice = await tradeTotals("alice");
    expect(alice.count).toBe(xTrades.length);
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("10000") - alice.quotePaid - usdt("1425"), locked: usdt("1425") });
    expect(await balance("alice", "BTC")).toEqual({ available: alice.baseBought - alice.fees, locked: 0n });
    const bob = await tradeTotals("bob");
    const offered = BigInt(sells.length) * btc("0.002");
    expect(await balance("bob", "BTC")).toEqual({ available: btc("1") - offered, locked: offered - bob.baseSold });
    expect(await balance("bob", "USDT")).toEqual({ available: bob.quoteReceived - bob.fees, locked: 0n });

    // A retry by the new client order id sends nothing and answers both orders as they are.
    const sent = [...matching.sent];
    const again = await orders.cancelReplace(replace("alice", x, limit(Side.BUY, "0.05", "28500"), "x2"));
    expect(again.placed?.orderId).toBe(x2);
    expect(again.canceled?.orderId).toBe(x.orderId);
    expect(matching.sent).toEqual(sent);
    expect(consumerErrors).toEqual([]);
  });

  it("cancelRestrictions: a target that does not meet it fails the cancel before anything is stored, held or sent", async () => {
    const x = await orders.place("alice", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    const sent = [...matching.sent];
    const stopped = await orders.cancelReplace(replace("alice", x, limit(Side.BUY, "0.1", "28000"), "no", { restriction: "ONLY_PARTIALLY_FILLED" }));
    expect(stopped.placeAttempted).toBe(false);
    expect(operationError(stopped.cancelError)).toEqual({ code: -2011, message: "Order was not canceled due to cancel restrictions." });
    expect(matching.sent).toEqual(sent);
    expect(await store.getByClientId("alice", "no")).toBeUndefined();
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("7100"), locked: usdt("2900") });

    // ONLY_NEW on a NEW order: replaced in one command.
    const ok = await orders.cancelReplace(replace("alice", x, limit(Side.BUY, "0.1", "28000"), "yes", { restriction: "ONLY_NEW" }));
    expect(ok.canceled?.status).toBe(OrderStatus.CANCELED);
    expect(ok.placed?.status).toBe(OrderStatus.NEW);
    expect(matching.sent.slice(sent.length)).toEqual([`cancelReplace ${x.orderId} ${ok.placed!.orderId} STOP_ON_FAILURE`]);

    // ONLY_NEW on a partly filled order, ALLOW_FAILURE: the cancel fails, the new order is placed alone.
    await orders.place("bob", SYMBOL, limit(Side.SELL, "0.01", "28000"), "fill");
    const partly = (await orders.get("alice", SYMBOL, BigInt(ok.placed!.orderId), ""))!;
    expect(partly.status).toBe(OrderStatus.PARTIALLY_FILLED);
    const allowed = await orders.cancelReplace(replace("alice", partly, limit(Side.BUY, "0.01", "20000"), "alone", { restriction: "ONLY_NEW", mode: "ALLOW_FAILURE" }));
    expect(operationError(allowed.cancelError).message).toBe("Order was not canceled due to cancel restrictions.");
    expect(allowed.placed?.status).toBe(OrderStatus.NEW);
    expect(matching.sent.at(-1)).toBe(`place ${allowed.placed!.orderId}`);
    // 0.01 bought at 28000 (280); held: the partly filled order's rest (0.09 x 28000) and the new one (200).
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("10000") - usdt("280") - usdt("2520") - usdt("200"), locked: usdt("2520") + usdt("200") });
    expect(consumerErrors).toEqual([]);
  });

  it("STOP_ON_FAILURE: the target filled in matching before the command: the new order is rejected in the same command and its hold released", async () => {
    const x = await orders.place("alice", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    // bob fills X in matching; the consumer has not applied it yet, so order still shows X open.
    matching.pause();
    const head = await matching.inner.headSequence(SYMBOL);
    const fill = orders.place("bob", SYMBOL, limit(Side.SELL, "0.1", "29000"), "fill");
    await until(async () => (await matching.inner.headSequence(SYMBOL)) > head);
    expect((await orders.get("alice", SYMBOL, BigInt(x.orderId), "")).status).toBe(OrderStatus.NEW);

    const replacing = orders.cancelReplace(replace("alice", x, limit(Side.BUY, "0.1", "28000"), "x2"));
    await until(() => matching.sent.some((sent) => sent.startsWith("cancelReplace")));
    matching.unpause();
    const outcome = await replacing;
    await fill;

    expect(outcome.placeAttempted).toBe(false);
    expect(operationError(outcome.cancelError)).toEqual({ code: -2011, message: "Unknown order sent." });
    const x2 = (await store.getByClientId("alice", "x2"))!;
    expect(x2.status).toBe(OrderStatus.REJECTED);
    expect(matching.sent).not.toContain(`place ${x2.orderId}`);
    const batch = (await matchingBatches()).find((b) => b.events.some((e) => e.kind.case === "rejected" && Number(e.kind.value.orderId) === x2.orderId))!;
    expect(batch.events.flatMap((e) => (e.kind.case === "rejected" ? [Number(e.kind.value.orderId)] : []))).toEqual([x.orderId, x2.orderId]);
    // Funds: X's 0.1 bought at 29000; the new order's 2800 held and released again.
    const alice = await tradeTotals("alice");
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("7100"), locked: 0n });
    expect(await balance("alice", "BTC")).toEqual({ available: btc("0.1") - alice.fees, locked: 0n });
    expect(consumerErrors).toEqual([]);
  });

  it("ALLOW_FAILURE: the target filled in matching before the command: the new order is placed by the same command", async () => {
    const x = await orders.place("alice", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    matching.pause();
    const head = await matching.inner.headSequence(SYMBOL);
    const fill = orders.place("bob", SYMBOL, limit(Side.SELL, "0.1", "29000"), "fill");
    await until(async () => (await matching.inner.headSequence(SYMBOL)) > head);

    const replacing = orders.cancelReplace(replace("alice", x, limit(Side.BUY, "0.1", "28000"), "x2", { mode: "ALLOW_FAILURE" }));
    await until(() => matching.sent.some((sent) => sent.startsWith("cancelReplace")));
    matching.unpause();
    const outcome = await replacing;
    await fill;

    expect(outcome.placeAttempted).toBe(true);
    expect(outcome.canceled).toBeUndefined();
    expect(operationError(outcome.cancelError).code).toBe(-2011);
    expect(outcome.placed).toMatchObject({ clientOrderId: "x2", status: OrderStatus.NEW });
    expect(matching.sent.at(-1)).toBe(`cancelReplace ${x.orderId} ${outcome.placed!.orderId} ALLOW_FAILURE`);
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("7100") - usdt("2800"), locked: usdt("2800") });
    expect(consumerErrors).toEqual([]);
  });

  it("a market in cancel-only refuses the whole command: the cancel is then sent alone, the new order fails, funds exact", async () => {
    const x = await orders.place("alice", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    await matching.inner.submit(create(CommandSchema, { symbol: SYMBOL, timestamp: BigInt(Date.now()), kind: { case: "setStatus", value: { status: SymbolStatus.CANCEL_ONLY } } }));
    const sent = matching.sent.length;
    const outcome = await orders.cancelReplace(replace("alice", x, limit(Side.BUY, "0.1", "28000"), "x2"));
    expect(outcome.canceled).toMatchObject({ orderId: x.orderId, status: OrderStatus.CANCELED });
    expect(outcome.placeAttempted).toBe(true);
    expect(operationError(outcome.placeError)).toEqual({ code: -2010, message: "Market is closed." });
    const x2 = (await store.getByClientId("alice", "x2"))!;
    expect(x2.status).toBe(OrderStatus.REJECTED);
    expect(matching.sent.slice(sent)).toEqual([`cancelReplace ${x.orderId} ${x2.orderId} STOP_ON_FAILURE`, `cancel ${x.orderId}`]);
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("10000"), locked: 0n });
    expect(consumerErrors).toEqual([]);
  });

  it("a trader with exactly enough for one order moves it: one command, the old hold pays, nothing trades between", async () => {
    // carol has 3000 USDT: X holds 2900 of it, the replacement 1425, of which X pays all but the 100 free.
    const x = await orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    expect(await balance("carol", "USDT")).toEqual({ available: usdt("100"), locked: usdt("2900") });
    let replaced = false;
    const stream = (async () => {
      const sells: Order[] = [];
      for (let after = 0; after < 3 && sells.length < 40; after += replaced ? 1 : 0) sells.push(await orders.place("bob", SYMBOL, limit(Side.SELL, "0.002", "29000"), `s${sells.length}`));
      return sells;
    })();
    await until(() => matching.sent.length >= 4);
    const outcome = await orders.cancelReplace(replace("carol", x, limit(Side.BUY, "0.05", "28500"), "x2"));
    replaced = true;
    const sells = await stream;

    expect(outcome.cancelError).toBeUndefined();
    expect(outcome.placeError).toBeUndefined();
    expect(outcome.canceled).toMatchObject({ orderId: x.orderId, status: OrderStatus.CANCELED });
    expect(outcome.placed).toMatchObject({ clientOrderId: "x2", status: OrderStatus.NEW, replaces: { orderId: x.orderId, fundedByTarget: usdt("1325") } });
    const x2 = outcome.placed!.orderId;
    expect(matching.sent.filter((sent) => !sent.startsWith("place "))).toEqual([`cancelReplace ${x.orderId} ${x2} STOP_ON_FAILURE`]);
    const batches = await matchingBatches();
    const at = batches.findIndex((batch) => canceledIn(batch, x.orderId));
    expect(acceptedIn(batches[at]!, x2)).toBe(true);
    const xTrades = batches.flatMap((batch, index) => tradesOf(batch).filter((t) => Number(t.makerOrderId) === x.orderId).map(() => index));
    expect(xTrades.length).toBeGreaterThanOrEqual(3);
    expect(xTrades.every((index) => index < at)).toBe(true);
    expect(batches.slice(at + 1).flatMap(tradesOf)).toEqual([]);
    expect(sells.filter((s) => s.status === OrderStatus.NEW).length).toBeGreaterThanOrEqual(3);

    // Funds: X's fills paid from its hold, 1325 of what it had left moved to X2 with its cancel, the rest released.
    await until(async () => orders.appliedSequence(SYMBOL) >= (await matching.inner.headSequence(SYMBOL)));
    const carol = await tradeTotals("carol");
    expect(carol.count).toBe(xTrades.length);
    expect(await balance("carol", "USDT")).toEqual({ available: usdt("3000") - carol.quotePaid - usdt("1425"), locked: usdt("1425") });
    expect(await balance("carol", "BTC")).toEqual({ available: carol.baseBought - carol.fees, locked: 0n });
    expect(await parts.wallet.hold(`${SYMBOL}:${x.orderId}`)).toMatchObject({ state: "posted", remaining: 0n, settled: carol.quotePaid });
    expect(await parts.wallet.hold(`${SYMBOL}:${x2}`)).toMatchObject({ state: "pending", amount: usdt("1425"), remaining: usdt("1425") });
    expect(consumerErrors).toEqual([]);
  });

  it("all of it in the order: the replacement holds nothing itself, trades at once on the moved funds, settled after the move", async () => {
    const x = await orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "30000"), "x");
    expect(await balance("carol", "USDT")).toEqual({ available: 0n, locked: usdt("3000") });
    await orders.place("bob", SYMBOL, limit(Side.SELL, "0.04", "31000"), "ask");
    // 0.09 at 31000 = 2790 from X's 3000; it takes the 0.04 ask at once (1240) and rests with 0.05.
    const outcome = await orders.cancelReplace(replace("carol", x, limit(Side.BUY, "0.09", "31000"), "x2"));
    expect(outcome.placed).toMatchObject({ status: OrderStatus.PARTIALLY_FILLED, filledLots: 4_000n, replaces: { fundedByTarget: usdt("2790") } });
    expect(outcome.canceled?.status).toBe(OrderStatus.CANCELED);
    const carol = await tradeTotals("carol");
    expect(carol.quotePaid).toBe(usdt("1240"));
    expect(await balance("carol", "USDT")).toEqual({ available: usdt("210"), locked: usdt("1550") });
    expect(await balance("carol", "BTC")).toEqual({ available: btc("0.04") - carol.fees, locked: 0n });
    expect(await parts.wallet.hold(`${SYMBOL}:${outcome.placed!.orderId}`)).toMatchObject({ amount: usdt("2790"), remaining: usdt("1550"), settled: usdt("1240") });
    expect(consumerErrors).toEqual([]);
  });

  it("the old order partly filled before: what its hold still has pays, price improvement included, and only that is moved", async () => {
    // X buys 0.04 as a taker at 28000 (1120 of its 2900 spent, 1780 left for 0.06 lots at 29000) and rests.
    await orders.place("bob", SYMBOL, limit(Side.SELL, "0.04", "28000"), "ask");
    const x = await orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    expect(x).toMatchObject({ status: OrderStatus.PARTIALLY_FILLED, filledLots: 4_000n });
    // 0.06 at 30000 = 1800: 100 free, 1700 of X's 1780; 80 released.
    const outcome = await orders.cancelReplace(replace("carol", x, limit(Side.BUY, "0.06", "30000"), "x2", { restriction: "ONLY_PARTIALLY_FILLED" }));
    expect(outcome.canceled).toMatchObject({ status: OrderStatus.CANCELED, filledLots: 4_000n });
    expect(outcome.placed).toMatchObject({ status: OrderStatus.NEW, replaces: { fundedByTarget: usdt("1700") } });
    expect(await balance("carol", "USDT")).toEqual({ available: usdt("80"), locked: usdt("1800") });
    const carol = await tradeTotals("carol");
    expect(await balance("carol", "BTC")).toEqual({ available: btc("0.04") - carol.fees, locked: 0n });
    expect(consumerErrors).toEqual([]);
  });

  it("the old order fills in matching meanwhile: what it still holds covers the replacement or it is refused -2010, the cancel done", async () => {
    const x = await orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    // bob fills half of X in matching; the consumer has not applied it when carol asks.
    matching.pause();
    const head = await matching.inner.headSequence(SYMBOL);
    const fill = orders.place("bob", SYMBOL, limit(Side.SELL, "0.05", "29000"), "fill");
    await until(async () => (await matching.inner.headSequence(SYMBOL)) > head);
    // 0.1 at 29500 = 2950: 2850 from X, which has 1450 left.
    const replacing = orders.cancelReplace(replace("carol", x, limit(Side.BUY, "0.1", "29500"), "x2"));
    await until(() => matching.sent.some((sent) => sent.startsWith("cancelReplace")));
    matching.unpause();
    const outcome = await replacing;
    await fill;
    expect(outcome.canceled).toMatchObject({ orderId: x.orderId, status: OrderStatus.CANCELED, filledLots: 5_000n });
    expect(outcome.placeAttempted).toBe(true);
    expect(operationError(outcome.placeError)).toEqual({ code: -2010, message: "Account has insufficient balance for requested action." });
    expect((await store.getByClientId("carol", "x2"))!.status).toBe(OrderStatus.REJECTED);
    let carol = await tradeTotals("carol");
    expect(carol.quotePaid).toBe(usdt("1450"));
    expect(await balance("carol", "USDT")).toEqual({ available: usdt("1550"), locked: 0n });

    // The same race with a replacement the rest covers: Y holds all 1550, half fills (775 left), 0.05 at 15000 = 750.
    const y = await orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "15500"), "y");
    expect(await balance("carol", "USDT")).toEqual({ available: 0n, locked: usdt("1550") });
    matching.pause();
    const again = await matching.inner.headSequence(SYMBOL);
    const half = orders.place("bob", SYMBOL, limit(Side.SELL, "0.05", "15500"), "half");
    await until(async () => (await matching.inner.headSequence(SYMBOL)) > again);
    const covered = orders.cancelReplace(replace("carol", y, limit(Side.BUY, "0.05", "15000"), "y2"));
    await until(() => matching.sent.filter((sent) => sent.startsWith("cancelReplace")).length === 2);
    matching.unpause();
    const ok = await covered;
    await half;
    expect(ok.canceled).toMatchObject({ status: OrderStatus.CANCELED, filledLots: 5_000n });
    expect(ok.placed).toMatchObject({ status: OrderStatus.NEW, replaces: { fundedByTarget: usdt("750") } });
    // Y paid 775 for its half, 750 of its 775 left moved to Y2 (which holds 750), 25 released.
    carol = await tradeTotals("carol");
    expect(carol.quotePaid).toBe(usdt("1450") + usdt("775"));
    expect(await balance("carol", "USDT")).toEqual({ available: usdt("25"), locked: usdt("750") });
    expect(await balance("carol", "BTC")).toEqual({ available: btc("0.1") - carol.fees, locked: 0n });
    expect(consumerErrors).toEqual([]);
  });

  it("the old order filled meanwhile, its funds needed: STOP_ON_FAILURE places nothing; ALLOW_FAILURE refuses the new order -2010", async () => {
    for (const mode of ["STOP_ON_FAILURE", "ALLOW_FAILURE"] as const) {
      // dave's only order takes all his 300 USDT and is filled in matching before his replacement arrives.
      const dave = `dave-${mode}`;
      await parts.wallet.creditDeposit(`${dave}-usdt`, dave, "USDT", usdt("300"));
      const x = await orders.place(dave, SYMBOL, limit(Side.BUY, "0.01", "30000"), "x");
      matching.pause();
      const head = await matching.inner.headSequence(SYMBOL);
      const fill = orders.place("bob", SYMBOL, limit(Side.SELL, "0.01", "29000"), `fill-${mode}`);
      await until(async () => (await matching.inner.headSequence(SYMBOL)) > head);
      // 0.01 at 29000 = 290, nothing free: all of it was to come from X.
      const replacing = orders.cancelReplace(replace(dave, x, limit(Side.BUY, "0.01", "29000"), "x2", { mode }));
      await until(() => matching.sent.some((sent) => sent.startsWith(`cancelReplace ${x.orderId} `)));
      matching.unpause();
      const outcome = await replacing;
      await fill;
      expect(operationError(outcome.cancelError)).toEqual({ code: -2011, message: "Unknown order sent." });
      const x2 = (await store.getByClientId(dave, "x2"))!;
      expect(x2).toMatchObject({ status: OrderStatus.REJECTED, replaces: { fundedByTarget: usdt("290") } });
      const batch = (await matchingBatches()).find((b) => b.events.some((e) => e.kind.case === "rejected" && Number(e.kind.value.orderId) === x2.orderId))!;
      const rejections = batch.events.flatMap((e) => (e.kind.case === "rejected" ? [[Number(e.kind.value.orderId), e.kind.value.reason]] : []));
      if (mode === "STOP_ON_FAILURE") {
        expect(outcome.placeAttempted).toBe(false);
        expect(rejections).toEqual([[x.orderId, "UNKNOWN_ORDER"], [x2.orderId, "UNKNOWN_ORDER"]]);
      } else {
        expect(outcome.placeAttempted).toBe(true);
        expect(operationError(outcome.placeError)).toEqual({ code: -2010, message: "Account has insufficient balance for requested action." });
        expect(rejections).toEqual([[x.orderId, "UNKNOWN_ORDER"], [x2.orderId, "INSUFFICIENT_BUDGET"]]);
      }
      // X bought 0.01 for all 300; the replacement's hold of nothing was released; nothing moved.
      const bought = await orders.listTrades(dave, SYMBOL, 10, "");
      expect(bought.items.map((t) => [t.quoteUnits, t.isBuyer])).toEqual([[usdt("300"), true]]);
      expect(await balance(dave, "USDT")).toEqual({ available: 0n, locked: 0n });
      expect(await balance(dave, "BTC")).toEqual({ available: btc("0.01") - bought.items[0]!.commissionUnits, locked: 0n });
      expect(await parts.wallet.hold(`${SYMBOL}:${x2.orderId}`)).toMatchObject({ amount: 0n, state: "voided" });
    }
    expect(consumerErrors).toEqual([]);
  });

  it("a target that cannot pay (another asset) and too little free: the new order fails -2010, the target canceled alone", async () => {
    await parts.wallet.creditDeposit("carol-btc", "carol", "BTC", btc("0.1"));
    const x = await orders.place("carol", SYMBOL, limit(Side.SELL, "0.1", "40000"), "x");
    const sent = matching.sent.length;
    const outcome = await orders.cancelReplace(replace("carol", x, limit(Side.BUY, "0.2", "20000"), "x2"));
    expect(outcome.canceled).toMatchObject({ orderId: x.orderId, status: OrderStatus.CANCELED });
    expect(operationError(outcome.placeError)).toEqual({ code: -2010, message: "Account has insufficient balance for requested action." });
    const x2 = (await store.getByClientId("carol", "x2"))!;
    expect(x2).toMatchObject({ status: OrderStatus.REJECTED, submitted: true });
    expect(x2.replaces?.fundedByTarget).toBeUndefined();
    expect(matching.sent.slice(sent)).toEqual([`cancel ${x.orderId}`]);
    expect(await balance("carol", "USDT")).toEqual({ available: usdt("3000"), locked: 0n });
    expect(await balance("carol", "BTC")).toEqual({ available: btc("0.1"), locked: 0n });
    expect(consumerErrors).toEqual([]);
  });

  it("an answer lost and the command delivered again, and its batch applied twice: the hold moves once", async () => {
    const x = await orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    // The consumer is held back so the row stays undelivered while the command is sent again.
    matching.pause();
    matching.loseNextAnswer = true;
    await expect(orders.cancelReplace(replace("carol", x, limit(Side.BUY, "0.1", "30000"), "x2"))).rejects.toBeInstanceOf(ConnectError);
    const x2 = (await store.getByClientId("carol", "x2"))!;
    expect(x2).toMatchObject({ status: OrderStatus.PENDING_NEW, submitted: false, replaces: { orderId: x.orderId, fundedByTarget: usdt("2900") } });
    // The relay and a client's retry deliver it again: matching answers both as duplicates.
    await orders.relay(SYMBOL);
    const retried = orders.place("carol", SYMBOL, limit(Side.BUY, "0.1", "30000"), "x2");
    await until(() => matching.sent.filter((sent) => sent === `cancelReplace ${x.orderId} ${x2.orderId} STOP_ON_FAILURE`).length === 3);
    // The first application dies between wallet and the order store: the group is applied again.
    const applyBatch = store.applyBatch.bind(store);
    let crashes = 1;
    store.applyBatch = async (...args) => {
      if (crashes-- > 0) throw new Error("killed between wallet and the order store");
      return applyBatch(...args);
    };
    matching.unpause();
    // Matching had it: the retry answers with the order as stored then, like any duplicate placement.
    expect((await retried).orderId).toBe(x2.orderId);
    await until(async () => orders.appliedSequence(SYMBOL) >= (await matching.inner.headSequence(SYMBOL)));
    expect((await orders.get("carol", SYMBOL, BigInt(x2.orderId), "")).status).toBe(OrderStatus.NEW);
    expect((await orders.get("carol", SYMBOL, BigInt(x.orderId), "")).status).toBe(OrderStatus.CANCELED);
    expect((await matchingBatches()).filter((batch) => acceptedIn(batch, x2.orderId))).toHaveLength(1);
    expect(await balance("carol", "USDT")).toEqual({ available: 0n, locked: usdt("3000") });
    expect(await parts.wallet.hold(`${SYMBOL}:${x.orderId}`)).toMatchObject({ state: "voided", remaining: 0n });
    expect(await parts.wallet.hold(`${SYMBOL}:${x2.orderId}`)).toMatchObject({ amount: usdt("3000"), remaining: usdt("3000") });
    expect(consumerErrors.map((error) => (error as Error).message)).toEqual(["killed between wallet and the order store"]);
  });

  it("an undelivered cancel-replace is delivered whole (one CANCEL_REPLACE) by a retry or the relay, never as a plain placement", async () => {
    const x = await orders.place("alice", SYMBOL, limit(Side.BUY, "0.1", "29000"), "x");
    matching.down = true;
    await expect(orders.cancelReplace(replace("alice", x, limit(Side.BUY, "0.05", "28500"), "x2"))).rejects.toBeInstanceOf(ConnectError);
    const pending = (await store.getByClientId("alice", "x2"))!;
    expect(pending).toMatchObject({ status: OrderStatus.PENDING_NEW, submitted: false, replaces: { orderId: x.orderId, allowFailure: false } });
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("10000") - usdt("2900") - usdt("1425"), locked: usdt("2900") + usdt("1425") });
    matching.down = false;

    // A plain placement retried with the new order's client order id delivers the cancel-replace, not the order alone.
    const retried = await orders.place("alice", SYMBOL, limit(Side.BUY, "0.05", "28500"), "x2");
    expect(retried).toMatchObject({ orderId: pending.orderId, status: OrderStatus.NEW });
    expect(matching.sent.at(-1)).toBe(`cancelReplace ${x.orderId} ${pending.orderId} STOP_ON_FAILURE`);
    expect((await orders.get("alice", SYMBOL, BigInt(x.orderId), "")).status).toBe(OrderStatus.CANCELED);
    // The relay has nothing left; a second delivery would be a duplicate in matching anyway.
    const sent = matching.sent.length;
    await orders.relay(SYMBOL);
    expect(matching.sent.length).toBe(sent);
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("10000") - usdt("1425"), locked: usdt("1425") });

    // The relay, after a crash: same again with another order, delivered by the relay as one CANCEL_REPLACE.
    const y = await orders.place("alice", SYMBOL, limit(Side.BUY, "0.1", "27000"), "y");
    matching.down = true;
    await expect(orders.cancelReplace(replace("alice", y, limit(Side.BUY, "0.1", "26000"), "y2", { mode: "ALLOW_FAILURE" }))).rejects.toBeInstanceOf(ConnectError);
    matching.down = false;
    const y2 = (await store.getByClientId("alice", "y2"))!;
    await orders.relay(SYMBOL);
    expect(matching.sent.at(-1)).toBe(`cancelReplace ${y.orderId} ${y2.orderId} ALLOW_FAILURE`);
    await until(async () => (await orders.get("alice", SYMBOL, BigInt(y2.orderId), "")).status === OrderStatus.NEW);
    expect((await orders.get("alice", SYMBOL, BigInt(y.orderId), "")).status).toBe(OrderStatus.CANCELED);
    expect(await balance("alice", "USDT")).toEqual({ available: usdt("10000") - usdt("1425") - usdt("2600"), locked: usdt("1425") + usdt("2600") });
    expect(matching.sent.filter((s) => s === `place ${y2.orderId}` || s === `place ${pending.orderId}`)).toEqual([]);
    expect(consumerErrors).toEqual([]);
  });
});
