import { describe, expect, it } from "vitest";
import { OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import type { Order, UserTrade } from "../../../services/order/src/domain/order.js";
import type { OrderStore } from "../../../services/order/src/ports/order-store.port.js";

/** One contract for every OrderStore adapter: same tests, same assertions. */
export function orderStoreContract(name: string, makeStore: () => OrderStore): void {
  let run = 0;
  const fresh = () => ({ store: makeStore(), symbol: `S${Date.now() % 100000}X${++run}` });

  const order = (symbol: string, orderId: number, overrides: Partial<Order> = {}): Order => ({
    symbol,
    orderId,
    accountId: "alice",
    clientOrderId: `${symbol}-${orderId}`,
    side: Side.BUY,
    type: OrderType.LIMIT,
    timeInForce: TimeInForce.GTC,
    priceTicks: 100n,
    quantityLots: 5n,
    quoteOrderUnits: 0n,
    stopPriceTicks: 0n,
    icebergLots: 0n,
    trailingDelta: 0,
    stp: SelfTradePreventionMode.EXPIRE_MAKER,
    holdAsset: "USDT",
    holdUnits: 500n,
    status: OrderStatus.PENDING_NEW,
    filledLots: 0n,
    quoteUnits: 0n,
    submitted: false,
    createdAt: 1_700_000_000_000 + orderId,
    updatedAt: 1_700_000_000_000 + orderId,
    ...overrides,
  });

  const trade = (symbol: string, tradeId: number, orderId: number, isMaker: boolean): UserTrade => ({
    symbol,
    tradeId,
    orderId,
    accountId: "alice",
    priceTicks: 100n,
    quantityLots: 1n,
    quoteUnits: 100n,
    isBuyer: !isMaker,
    isMaker,
    commissionUnits: 1n,
    commissionAsset: "BTC",
    time: 1,
  });

  describe(`OrderStore contract: ${name}`, () => {
    it("allocates strictly increasing ids per symbol, independently across symbols", async () => {
      const { store, symbol } = fresh();
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push(await store.nextOrderId(symbol));
      expect(ids).toEqual([1, 2, 3, 4, 5]);
      expect(await store.nextOrderId(`${symbol}B`)).toBe(1);
      const concurrent = await Promise.all(Array.from({ length: 20 }, () => store.nextOrderId(symbol)));
      expect(new Set(concurrent).size).toBe(20);
      expect(Math.min(...concurrent)).toBe(6);
    });

    it("keeps (account, clientOrderId) unique and returns the first order on a retry", async () => {
      const { store, symbol } = fresh();
      expect((await store.insert(order(symbol, 1))).created).toBe(true);
      const retry = await store.insert(order(symbol, 2, { clientOrderId: `${symbol}-1`, quantityLots: 9n }));
      expect(retry.created).toBe(false);
      expect(retry.order.orderId).toBe(1);
      expect(await store.get(symbol, 2)).toBeUndefined();
      expect((await store.insert(order(symbol, 3, { accountId: "bob", clientOrderId: `${symbol}-1` }))).created).toBe(true);
    });

    it("round-trips every field exactly, including units beyond 64 bits", async () => {
      const { store, symbol } = fresh();
      const big = order(symbol, 1, { holdUnits: 2n ** 90n + 7n, quoteUnits: 10n ** 30n, stopPriceTicks: 42n, icebergLots: 2n, trailingDelta: 150 });
      await store.insert(big);
      expect(await store.get(symbol, 1)).toEqual(big);
      expect(await store.getByClientId("alice", `${symbol}-1`)).toEqual(big);
      big.status = OrderStatus.PARTIALLY_FILLED;
      big.filledLots = 3n;
      big.submitted = true;
      await store.update(big);
      expect(await store.get(symbol, 1)).toEqual(big);
    });

    it("lists undelivered orders oldest first, and open orders per account", async () => {
      const { store, symbol } = fresh();
      for (const id of [3, 1, 2]) await store.insert(order(symbol, id));
      await store.insert(order(symbol, 4, { accountId: "bob" }));
      await store.update({ ...order(symbol, 2), submitted: true, status: OrderStatus.FILLED });
      expect((await store.undelivered(symbol)).map((o) => o.orderId)).toEqual([1, 3, 4]);
      expect((await store.listOpen("alice", symbol)).map((o) => o.orderId)).toEqual([1, 3]);
      expect((await store.listOpen("bob")).filter((o) => o.symbol === symbol).map((o) => o.orderId)).toEqual([4]);
    });

    it("pages an account's history newest first", async () => {
      const { store, symbol } = fresh();
      for (let id = 1; id <= 7; id++) await store.insert(order(symbol, id));
      const first = await store.list("alice", symbol, 3, "");
      expect(first.items.map((o) => o.orderId)).toEqual([7, 6, 5]);
      const second = await store.list("alice", symbol, 3, first.nextToken);
      expect(second.items.map((o) => o.orderId)).toEqual([4, 3, 2]);
      const last = await store.list("alice", symbol, 3, second.nextToken);
      expect(last.items.map((o) => o.orderId)).toEqual([1]);
      expect(last.nextToken).toBe("");
      expect((await store.list("bob", symbol, 3, "")).items).toEqual([]);
    });

    it("applies a matching batch once, atomically with its sequence", async () => {
      const { store, symbol } = fresh();
      await store.insert(order(symbol, 1));
      expect(await store.lastSequence(symbol)).toBe(0);
      const filled = { ...order(symbol, 1), status: OrderStatus.FILLED, filledLots: 5n, quoteUnits: 500n, submitted: true };
      expect(await store.applyBatch(symbol, 1, [filled], [trade(symbol, 1, 1, false), trade(symbol, 1, 1, true)])).toBe(true);
      expect(await store.lastSequence(symbol)).toBe(1);
      // A replay of the same batch (at-least-once delivery) changes nothing.
      expect(await store.applyBatch(symbol, 1, [{ ...filled, status: OrderStatus.CANCELED }], [trade(symbol, 2, 1, false)])).toBe(false);
      expect((await store.get(symbol, 1))?.status).toBe(OrderStatus.FILLED);
      const trades = await store.listTrades("alice", symbol, 10, "");
      expect(trades.items.map((t) => [t.tradeId, t.isMaker])).toEqual([
        [1, false],
        [1, true],
      ]);
      expect(trades.items[0]).toEqual(trade(symbol, 1, 1, false));
      expect((await store.listOpen("alice", symbol)).length).toBe(0);
    });
  });
}
