import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ContingencyType, OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { ExecutionType, ListOrderStatus, ListStatusType, OrderService, type PlaceOrderRequest } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { expectConserved } from "../wallet/ledger-store.contract.js";
import { prng } from "../../support/prng.js";
import { until } from "../../support/until.js";
import { balanceOf, reconcileClosedBook } from "./support.js";

// Order lists through the order service's gRPC API on the embedded exchange: matching runs the
// contingency (one leg trades -> the other ends in the same command), wallet holds an OCO once
// and releases exactly what is left, and every list's status follows its orders.

let dataDir: string;
let exchange: RunningExchange;
let orders: Client<typeof OrderService>;
let wallet: Client<typeof WalletService>;
let parts: WalletParts;
const SYMBOL = "BTCUSDT";
const BTC = 10n ** 8n;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "order-lists-"));
  exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "warn" });
  const transport = createGrpcTransport({ baseUrl: exchange.listening.http2Url });
  orders = createClient(OrderService, transport);
  wallet = createClient(WalletService, transport);
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  for (const name of ["alice", "bob", "carol"]) {
    await parts.wallet.creditDeposit(`fund-${name}-btc`, name, "BTC", 2n * BTC);
    await parts.wallet.creditDeposit(`fund-${name}-usdt`, name, "USDT", 100_000n * BTC);
  }
  // a last price of 30000
  await orders.placeOrder({ accountId: "carol", symbol: SYMBOL, side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.01", price: "30000" });
  await orders.placeOrder({ accountId: "bob", symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.01", price: "30000" });
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

type Leg = Partial<Omit<PlaceOrderRequest, "$typeName">>;
const leg = (accountId: string, fields: Leg): Leg => ({ accountId, symbol: SYMBOL, ...fields });
/** Polls an async condition every 20 ms, at most 10 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const errorOf = async (promise: Promise<unknown>) => ConnectError.from(await promise.then(() => undefined, (e: unknown) => e));
const reasonOf = (error: ConnectError) => error.findDetails(ErrorInfoSchema)[0]?.reason;

/** A sell OCO: LIMIT_MAKER above, STOP_LOSS_LIMIT below. */
const sellOco = (accountId: string, qty: string, above: string, stop: string, listClientOrderId = "") =>
  orders.placeOrderList({
    accountId,
    symbol: SYMBOL,
    contingencyType: ContingencyType.OCO,
    listClientOrderId,
    orders: [
      leg(accountId, { side: Side.SELL, type: OrderType.LIMIT_MAKER, quantity: qty, price: above }),
      leg(accountId, { side: Side.SELL, type: OrderType.STOP_LOSS_LIMIT, quantity: qty, stopPrice: stop, price: stop, timeInForce: TimeInForce.GTC }),
    ],
  });

describe("order lists through the order service", () => {
  it("OCO: holds once; a fill of one leg expires the other at once; a cancel ends the list and frees the rest", async () => {
    const updates: { type: ExecutionType; orderId: bigint; listStatus?: ListStatusType }[] = [];
    const stop = new AbortController();
    const feed = (async () => {
      try {
        for await (const { update } of orders.streamOrderUpdates({ accountId: "alice" }, { signal: stop.signal })) {
          updates.push({ type: update!.executionType, orderId: update!.order!.orderId, listStatus: update!.orderList?.listStatusType });
        }
      } catch {
        // aborted
      }
    })();
    // the stream is live once it reports an order placed after it was opened
    const probe = await orders.placeOrder({ accountId: "alice", symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.01", price: "10000" });
    await until(() => updates.some((u) => u.orderId === probe.order!.orderId));
    await orders.cancelOrder({ accountId: "alice", symbol: SYMBOL, orderId: probe.order!.orderId });

    const { orderList } = await sellOco("alice", "0.5", "31000", "29000", "alice-oco-1");
    expect(orderList).toMatchObject({ contingencyType: ContingencyType.OCO, listStatusType: ListStatusType.EXEC_STARTED, listOrderStatus: ListOrderStatus.EXECUTING, listClientOrderId: "alice-oco-1" });
    const [above, below] = orderList!.orders;
    expect([above!.status, below!.status]).toEqual([OrderStatus.NEW, OrderStatus.NEW]);
    expect(above!.orderListId).toBe(orderList!.orderListId);
    // one hold of 0.5 BTC for both legs
    expect(await balanceOf(wallet, "alice", "BTC")).toMatchObject({ free: "1.50000000", locked: "0.50000000" });

    // the retry answers the same list and holds nothing more
    const again = await sellOco("alice", "0.5", "31000", "29000", "alice-oco-1");
    expect(again.orderList!.orderListId).toBe(orderList!.orderListId);
    expect(await balanceOf(wallet, "alice", "BTC")).toMatchObject({ locked: "0.50000000" });

    const buy = await orders.placeOrder({ accountId: "bob", symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.2", price: "31000" });
    expect(buy.order?.status).toBe(OrderStatus.FILLED);
    const after = (await orders.getOrderList({ accountId: "alice", orderListId: orderList!.orderListId })).orderList!;
    expect(after.orders.map((o) => o.status)).toEqual([OrderStatus.PARTIALLY_FILLED, OrderStatus.EXPIRED]);
    expect(after.listStatusType).toBe(ListStatusType.EXEC_STARTED);
    expect(await balanceOf(wallet, "alice", "BTC")).toMatchObject({ free: "1.50000000", locked: "0.30000000" });

    const canceled = (await orders.cancelOrderList({ accountId: "alice", symbol: SYMBOL, listClientOrderId: "alice-oco-1" })).orderList!;
    expect(canceled).toMatchObject({ listStatusType: ListStatusType.ALL_DONE, listOrderStatus: ListOrderStatus.ALL_DONE });
    expect(canceled.orders.map((o) => o.status)).toEqual([OrderStatus.CANCELED, OrderStatus.EXPIRED]);
    expect(await balanceOf(wallet, "alice", "BTC")).toMatchObject({ free: "1.80000000", locked: "0.00000000" });
    expect((await orders.listOpenOrderLists({ accountId: "alice" })).orderLists).toEqual([]);

    // the user stream saw: two NEW with the list's placement, the trade, the expiry, then the list done on the cancel
    await until(() => updates.some((u) => u.type === ExecutionType.CANCELED));
    stop.abort();
    await feed;
    const ids = [above!.orderId, below!.orderId];
    const mine = updates.filter((u) => ids.includes(u.orderId));
    expect(mine.map((u) => u.type)).toEqual([ExecutionType.NEW, ExecutionType.NEW, ExecutionType.TRADE, ExecutionType.EXPIRED, ExecutionType.CANCELED]);
    expect(mine.map((u) => u.listStatus)).toEqual([undefined, ListStatusType.EXEC_STARTED, undefined, undefined, ListStatusType.ALL_DONE]);
    await expectConserved(parts.store);
  });

  it("OCO buy: the stop leg's trigger expires the limit leg, the stop fills at market, the shared hold is released", async () => {
    const { orderList } = await orders.placeOrderList({
      accountId: "bob",
      symbol: SYMBOL,
      contingencyType: ContingencyType.OCO,
      orders: [
        leg("bob", { side: Side.BUY, type: OrderType.STOP_LOSS, quantity: "0.1", stopPrice: "31500" }),
        leg("bob", { side: Side.BUY, type: OrderType.LIMIT_MAKER, quantity: "0.1", price: "29500" }),
      ],
    });
    const usdtBefore = await balanceOf(wallet, "bob", "USDT");
    // held once: the stop's need (31500 + the 5% band) x 0.1, the dearer leg
    expect(usdtBefore.locked).toBe("3307.50000000");
    await orders.placeOrder({ accountId: "carol", symbol: SYMBOL, side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.5", price: "31600" });
    await orders.placeOrder({ accountId: "carol", symbol: SYMBOL, side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.01", price: "31500" });
    await orders.placeOrder({ accountId: "alice", symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.IOC, quantity: "0.01", price: "31500" });
    await eventually(async () => (await orders.getOrderList({ accountId: "bob", orderListId: orderList!.orderListId })).orderList!.listStatusType === ListStatusType.ALL_DONE);
    const done = (await orders.getOrderList({ accountId: "bob", orderListId: orderList!.orderListId })).orderList!;
    expect(done.orders.map((o) => o.status)).toEqual([OrderStatus.FILLED, OrderStatus.EXPIRED]);
    expect(done.orders[0]).toMatchObject({ executedQty: "0.10000000", cummulativeQuoteQty: "3160.00000000" });
    expect((await balanceOf(wallet, "bob", "USDT")).locked).toBe("0.00000000");
    await expectConserved(parts.store);
  });

  it("OTO: the pending order waits as PENDING_NEW and rests once the working order fills; canceling either ends both", async () => {
    const place = (client: string) =>
      orders.placeOrderList({
        accountId: "alice",
        symbol: SYMBOL,
        contingencyType: ContingencyType.OTO,
        listClientOrderId: client,
        orders: [
          leg("alice", { side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.1", price: "29800" }),
          leg("alice", { side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.1", price: "32000" }),
        ],
      });
    const first = (await place("alice-oto-1")).orderList!;
    expect(first.orders.map((o) => o.status)).toEqual([OrderStatus.NEW, OrderStatus.PENDING_NEW]);
    await orders.placeOrder({ accountId: "carol", symbol: SYMBOL, side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.IOC, quantity: "0.1", price: "29800" });
    // placed once its funds are held, right after the fill
    const statuses = async () => (await orders.getOrderList({ accountId: "alice", listClientOrderId: "alice-oto-1" })).orderList!.orders.map((o) => o.status);
    await eventually(async () => (await statuses())[1] !== OrderStatus.PENDING_NEW);
    expect(await statuses()).toEqual([OrderStatus.FILLED, OrderStatus.NEW]);
    expect((await orders.listOpenOrderLists({ accountId: "alice" })).orderLists.map((l) => l.orderListId)).toEqual([first.orderListId]);

    const second = (await place("alice-oto-2")).orderList!;
    // canceling the pending order (not yet on the book) cancels the working one too
    const canceled = await orders.cancelOrder({ accountId: "alice", symbol: SYMBOL, orderId: second.orders[1]!.orderId });
    expect(canceled.order?.status).toBe(OrderStatus.CANCELED);
    const ended = (await orders.getOrderList({ accountId: "alice", orderListId: second.orderListId })).orderList!;
    expect(ended.orders.map((o) => o.status)).toEqual([OrderStatus.CANCELED, OrderStatus.CANCELED]);
    await orders.cancelOrderList({ accountId: "alice", symbol: SYMBOL, orderListId: first.orderListId });

    const all = (await orders.listOrderLists({ accountId: "alice" })).orderLists;
    expect(all.map((l) => l.listClientOrderId)).toEqual(["alice-oco-1", "alice-oto-1", "alice-oto-2"]);
    expect(all.every((l) => l.listStatusType === ListStatusType.ALL_DONE)).toBe(true);
    expect((await balanceOf(wallet, "alice", "USDT")).locked).toBe("0.00000000");
    expect((await balanceOf(wallet, "alice", "BTC")).locked).toBe("0.00000000");
  });

  it("bad lists are refused with Binance's codes and change nothing", async () => {
    // what alice can see: orders, lists, open ones and balances
    const visible = async () => ({
      orders: (await orders.listOrders({ accountId: "alice", symbol: SYMBOL, page: { pageSize: 1000 } })).orders,
      lists: (await orders.listOrderLists({ accountId: "alice" })).orderLists,
      open: (await orders.listOpenOrders({ accountId: "alice", symbol: SYMBOL })).orders,
      openLists: (await orders.listOpenOrderLists({ accountId: "alice" })).orderLists,
      btc: await balanceOf(wallet, "alice", "BTC"),
      usdt: await balanceOf(wallet, "alice", "USDT"),
    });
    const before = await visible();
    const updates: bigint[] = [];
    const stop = new AbortController();
    const feed = (async () => {
      try {
        for await (const { update } of orders.streamOrderUpdates({ accountId: "alice" }, { signal: stop.signal })) updates.push(update!.order!.orderId);
      } catch {
        // aborted
      }
    })();
    // the stream is live once it reports an order placed after it was opened
    const probe = await orders.placeOrder({ accountId: "alice", symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.01", price: "10000" });
    await until(() => updates.includes(probe.order!.orderId));
    await orders.cancelOrder({ accountId: "alice", symbol: SYMBOL, orderId: probe.order!.orderId });
    await until(() => updates.filter((id) => id === probe.order!.orderId).length === 2);
    const baseline = await visible();
    // prices on the wrong side of the last trade
    const wrong = await errorOf(sellOco("alice", "0.1", "29000", "28000"));
    expect(reasonOf(wrong)).toBe("-2010");
    expect(wrong.rawMessage).toBe("The relationship of the prices for the orders is not correct.");
    // a limit maker below in a sell OCO
    const misplaced = await errorOf(
      orders.placeOrderList({
        accountId: "alice",
        symbol: SYMBOL,
        contingencyType: ContingencyType.OCO,
        orders: [
          leg("alice", { side: Side.SELL, type: OrderType.STOP_LOSS, quantity: "0.1", stopPrice: "35000" }),
          leg("alice", { side: Side.SELL, type: OrderType.LIMIT_MAKER, quantity: "0.1", price: "29000" }),
        ],
      }),
    );
    expect(reasonOf(misplaced)).toBe("-1166");
    const badType = await errorOf(
      orders.placeOrderList({
        accountId: "alice",
        symbol: SYMBOL,
        contingencyType: ContingencyType.OCO,
        orders: [leg("alice", { side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.1", price: "35000" }), leg("alice", { side: Side.SELL, type: OrderType.STOP_LOSS, quantity: "0.1", stopPrice: "25000" })],
      }),
    );
    expect(reasonOf(badType)).toBe("-1158");
    // a leg that fails a filter (LOT_SIZE)
    const lot = await errorOf(sellOco("alice", "0.000001", "31000", "29000"));
    expect(reasonOf(lot)).toBe("-1013");
    // more funds than the account has
    const poor = await errorOf(sellOco("alice", "50", "31000", "29000"));
    expect(reasonOf(poor)).toBe("-2010");
    // an OTO whose working order the account cannot fund (its pending order's funds are checked only once it fills)
    const poorBuy = await errorOf(
      orders.placeOrderList({
        accountId: "alice",
        symbol: SYMBOL,
        contingencyType: ContingencyType.OTO,
        orders: [
          leg("alice", { side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "50", price: "29000" }),
          leg("alice", { side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "50", price: "31000" }),
        ],
      }),
    );
    expect(reasonOf(poorBuy)).toBe("-2010");
    // a refused list leaves nothing visible: no order, no list, no event, no balance change (as on Binance)
    expect(await visible()).toEqual(baseline);
    expect(baseline.orders.length).toBe(before.orders.length + 1); // the probe only
    expect({ ...baseline, orders: before.orders }).toEqual(before);
    // the next placement is the first event after the probe's two
    const next = await orders.placeOrder({ accountId: "alice", symbol: SYMBOL, side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.01", price: "10000" });
    await until(() => updates.includes(next.order!.orderId));
    expect(updates).toEqual([probe.order!.orderId, probe.order!.orderId, next.order!.orderId]);
    await orders.cancelOrder({ accountId: "alice", symbol: SYMBOL, orderId: next.order!.orderId });
    stop.abort();
    await feed;
    const unknown = await errorOf(orders.getOrderList({ accountId: "alice", orderListId: 999_999n }));
    expect(reasonOf(unknown)).toBe("-2013");
    await expectConserved(parts.store);
  });

  it("random order-list activity conserves funds: every hold released exactly once everything is closed (seeded)", async () => {
    const r = prng(20261206);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
    const accounts = ["dan", "erin", "fay"];
    const deposits = new Map(accounts.map((a) => [a, { btc: 3n * BTC, usdt: 200_000n * BTC }]));
    for (const a of accounts) {
      await parts.wallet.creditDeposit(`fund-${a}-btc`, a, "BTC", 3n * BTC);
      await parts.wallet.creditDeposit(`fund-${a}-usdt`, a, "USDT", 200_000n * BTC);
    }
    const price = (lo: number, hi: number) => (lo + Math.floor(r() * (hi - lo))).toString();
    const qty = () => `0.0${1 + Math.floor(r() * 9)}`;
    for (let step = 0; step < 60; step++) {
      const who = pick(accounts);
      const roll = r();
      const attempt = async (p: Promise<unknown>) => p.catch(() => undefined);
      if (roll < 0.3) {
        const q = qty();
        if (r() < 0.5) await attempt(sellOco(who, q, price(30100, 31000), price(29000, 29900)));
        else
          await attempt(
            orders.placeOrderList({
              accountId: who,
              symbol: SYMBOL,
              contingencyType: ContingencyType.OCO,
              orders: [leg(who, { side: Side.BUY, type: OrderType.STOP_LOSS, quantity: q, stopPrice: price(30100, 31000) }), leg(who, { side: Side.BUY, type: OrderType.LIMIT_MAKER, quantity: q, price: price(29000, 29900) })],
            }),
          );
      } else if (roll < 0.45) {
        const q = qty();
        const buy = r() < 0.5;
        const then = buy ? Side.SELL : Side.BUY;
        const working = leg(who, { side: buy ? Side.BUY : Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: q, price: price(29700, 30300) });
        const maker = leg(who, { side: then, type: OrderType.LIMIT_MAKER, quantity: q, price: buy ? price(31000, 32000) : price(28000, 29000) });
        const stopLoss = leg(who, { side: then, type: OrderType.STOP_LOSS, quantity: q, stopPrice: buy ? price(28000, 29000) : price(31000, 32000) });
        const otoco = r() < 0.5;
        await attempt(
          orders.placeOrderList({
            accountId: who,
            symbol: SYMBOL,
            contingencyType: otoco ? ContingencyType.OTOCO : ContingencyType.OTO,
            orders: otoco ? [working, ...(buy ? [maker, stopLoss] : [stopLoss, maker])] : [working, maker],
          }),
        );
      } else if (roll < 0.85) {
        await attempt(orders.placeOrder({ accountId: who, symbol: SYMBOL, side: r() < 0.5 ? Side.BUY : Side.SELL, type: OrderType.LIMIT, timeInForce: pick([TimeInForce.GTC, TimeInForce.IOC]), quantity: qty(), price: price(28500, 31500) }));
      } else {
        const open = (await orders.listOpenOrderLists({ accountId: who })).orderLists;
        if (open.length > 0) await attempt(orders.cancelOrderList({ accountId: who, symbol: SYMBOL, orderListId: pick(open).orderListId }));
      }
    }
    // everyone's orders closed (the earlier cases' too), so the fee account can be reconciled
    const everyone = [...accounts, "alice", "bob", "carol"];
    for (const a of ["alice", "bob", "carol"]) deposits.set(a, { btc: 2n * BTC, usdt: 100_000n * BTC });
    for (const a of everyone) {
      for (const list of (await orders.listOpenOrderLists({ accountId: a })).orderLists) await orders.cancelOrderList({ accountId: a, symbol: SYMBOL, orderListId: list.orderListId }).catch(() => undefined);
      await orders.cancelAllOrders({ accountId: a, symbol: SYMBOL });
    }
    const lists = (await Promise.all(accounts.map((a) => orders.listOrderLists({ accountId: a })))).flatMap((x) => x.orderLists);
    expect(lists.length).toBeGreaterThan(10);
    expect(lists.some((l) => l.orders.some((o) => o.status === OrderStatus.EXPIRED))).toBe(true);
    await reconcileClosedBook(orders, wallet, deposits);
    await expectConserved(parts.store);
  });
});
