import { describe, expect, it } from "vitest";
import { ContingencyType, OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import type { Order, UserTrade } from "../../../services/order/src/domain/order.js";
import { scanOf, type OrderQuery, type TradeQuery } from "../../../services/order/src/domain/order-history.js";
import type { OrderStore } from "../../../services/order/src/ports/order-store.port.js";

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;

/** The reference selection: filter the whole history in memory, then take the page Binance would answer. */
function select<T>(
  items: readonly T[],
  idOf: (item: T) => number,
  timeOf: (item: T) => number,
  sideOf: (item: T) => number,
  query: { fromId?: number; startTime?: number; endTime?: number; limit: number },
  keep: (item: T) => boolean,
): T[] {
  const { ascending, byTime } = scanOf(query);
  const matching = items.filter(
    (item) =>
      keep(item) &&
      (query.fromId === undefined || idOf(item) >= query.fromId) &&
      (query.startTime === undefined || timeOf(item) >= query.startTime) &&
      (query.endTime === undefined || timeOf(item) <= query.endTime),
  );
  const key = (item: T) => [byTime ? timeOf(item) : 0, idOf(item), sideOf(item)];
  matching.sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
  return ascending ? matching.slice(0, query.limit) : matching.slice(Math.max(0, matching.length - query.limit));
}

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
    it("stores an order list with its orders in one go; finds it by id, client id, history and while open", async () => {
      const { store, symbol } = fresh();
      const account = `acct-${symbol}`;
      const build = (client: string) => (orderListId: number, first: number) => ({
        list: { orderListId, symbol, accountId: account, listClientOrderId: client, contingency: ContingencyType.OCO, orderIds: [first, first + 1], createdAt: T0 + orderListId },
        orders: [0, 1].map((k) => order(symbol, first + k, { accountId: account, clientOrderId: `${client}-${k}`, orderListId, sharedHold: [first, first + 1] })),
      });
      const a = await store.insertList(symbol, 2, build("list-a"));
      expect(a.created).toBe(true);
      expect(a.orders.map((o) => o.orderId)).toEqual([a.orders[0]!.orderId, a.orders[0]!.orderId + 1]);
      const b = await store.insertList(symbol, 2, build("list-b"));
      expect(b.list.orderListId).toBeGreaterThan(a.list.orderListId);
      // a taken list client id answers the stored list and inserts nothing
      const again = await store.insertList(symbol, 2, build("list-a"));
      expect([again.created, again.list.orderListId, again.orders.map((o) => o.orderId)]).toEqual([false, a.list.orderListId, a.orders.map((o) => o.orderId)]);
      expect(await store.getList(a.list.orderListId)).toEqual(a.list);
      expect(await store.getListByClientId(account, "list-b")).toEqual(b.list);
      expect((await store.get(symbol, a.orders[1]!.orderId))?.sharedHold).toEqual(a.orders[0]!.sharedHold);
      expect((await store.findLists(account, { limit: 10 })).map((l) => l.listClientOrderId)).toEqual(["list-a", "list-b"]);
      expect((await store.findLists(account, { fromId: b.list.orderListId, limit: 10 })).map((l) => l.listClientOrderId)).toEqual(["list-b"]);
      expect((await store.findLists(account, { limit: 1 })).map((l) => l.listClientOrderId)).toEqual(["list-b"]);
      expect((await store.openLists(account)).map((l) => l.listClientOrderId)).toEqual(["list-a", "list-b"]);
      for (const o of a.orders) await store.update({ ...o, status: OrderStatus.CANCELED });
      expect((await store.openLists(account)).map((l) => l.listClientOrderId)).toEqual(["list-b"]);
    });

    it("discards a refused list or order never delivered, leaving delivered rows and the id counters alone", async () => {
      const { store, symbol } = fresh();
      const account = `acct-${symbol}`;
      const listed = await store.insertList(symbol, 2, (orderListId, first) => ({
        list: { orderListId, symbol, accountId: account, listClientOrderId: "refused", contingency: ContingencyType.OCO, orderIds: [first, first + 1], createdAt: T0 },
        orders: [0, 1].map((k) => order(symbol, first + k, { accountId: account, clientOrderId: `refused-${k}`, orderListId })),
      }));
      const [lone, delivered] = await store.insertNew(symbol, 2, (id) => [order(symbol, id, { accountId: account, clientOrderId: "lone" }), order(symbol, id + 1, { accountId: account, clientOrderId: "delivered" })]);
      await store.update({ ...delivered!.order, status: OrderStatus.NEW, submitted: true });

      await store.discardUndelivered(symbol, listed.orders.map((o) => o.orderId), listed.list.orderListId);
      await store.discardUndelivered(symbol, [lone!.order.orderId, delivered!.order.orderId]);

      expect(await store.getList(listed.list.orderListId)).toBeUndefined();
      expect(await store.getListByClientId(account, "refused")).toBeUndefined();
      expect(await store.findLists(account, { limit: 10 })).toEqual([]);
      expect(await store.getMany(symbol, [...listed.orders.map((o) => o.orderId), lone!.order.orderId])).toEqual([]);
      expect(await store.getByClientId(account, "lone")).toBeUndefined();
      // a delivered order stays
      expect((await store.findOrders(account, symbol, { limit: 10 })).map((o) => o.clientOrderId)).toEqual(["delivered"]);
      expect(await store.undelivered(symbol)).toEqual([]);
      expect(await store.nextOrderId(symbol)).toBe(delivered!.order.orderId + 1);
    });

    it("removes a list matching refused whole with the batch that says so, and only when that batch is claimed", async () => {
      const { store, symbol } = fresh();
      const account = `acct-${symbol}`;
      const listed = await store.insertList(symbol, 2, (orderListId, first) => ({
        list: { orderListId, symbol, accountId: account, listClientOrderId: "would-take", contingency: ContingencyType.OCO, orderIds: [first, first + 1], createdAt: T0 },
        orders: [0, 1].map((k) => order(symbol, first + k, { accountId: account, clientOrderId: `would-take-${k}`, orderListId })),
      }));
      const [other] = await store.insertNew(symbol, 1, (id) => [order(symbol, id, { accountId: account, clientOrderId: "other" })]);
      const discarded = [{ orderListId: listed.list.orderListId, orderIds: listed.orders.map((o) => o.orderId) }];
      // a batch already applied claims nothing and removes nothing
      expect(await store.applyBatch(symbol, 1, [{ ...other!.order, status: OrderStatus.NEW, submitted: true }], [])).toBe(true);
      expect(await store.applyBatch(symbol, 1, [], [], 1, [], discarded)).toBe(false);
      expect(await store.getList(listed.list.orderListId)).toBeDefined();
      expect(await store.applyBatch(symbol, 2, [], [], 2, [], discarded)).toBe(true);
      expect(await store.getList(listed.list.orderListId)).toBeUndefined();
      expect(await store.getListByClientId(account, "would-take")).toBeUndefined();
      expect(await store.getMany(symbol, listed.orders.map((o) => o.orderId))).toEqual([]);
      expect((await store.findOrders(account, symbol, { limit: 10 })).map((o) => o.clientOrderId)).toEqual(["other"]);
      expect(await store.lastSequence(symbol)).toBe(2);
    });

    it("stores a group of new orders with consecutive ids in one go, answering a taken client id with the stored order", async () => {
      const { store, symbol } = fresh();
      expect(await store.nextOrderId(symbol)).toBe(1);
      const first = await store.insertNew(symbol, 3, (id) => [order(symbol, id, { clientOrderId: "a" }), order(symbol, id + 1, { clientOrderId: "b" }), order(symbol, id + 2, { clientOrderId: "c" })]);
      expect(first.map((r) => [r.order.orderId, r.created])).toEqual([[2, true], [3, true], [4, true]]);
      // "b" is taken: the stored order comes back, its new id stays unused; the others go in.
      const second = await store.insertNew(symbol, 2, (id) => [order(symbol, id, { clientOrderId: "b", priceTicks: 999n }), order(symbol, id + 1, { clientOrderId: "d" })]);
      expect(second.map((r) => [r.order.orderId, r.created, r.order.priceTicks])).toEqual([[3, false, 100n], [6, true, 100n]]);
      expect((await store.get(symbol, 5))).toBeUndefined();
      expect((await store.get(symbol, 6))?.clientOrderId).toBe("d");
      expect(await store.nextOrderId(symbol)).toBe(7);
      // Groups of different callers never share an id.
      const groups = await Promise.all(Array.from({ length: 5 }, (_, g) => store.insertNew(symbol, 4, (id) => [0, 1, 2, 3].map((k) => order(symbol, id + k, { clientOrderId: `g${g}-${k}` })))));
      const ids = groups.flat().map((r) => r.order.orderId);
      expect(new Set(ids).size).toBe(20);
      expect(Math.min(...ids)).toBe(8);
      expect(Math.max(...ids)).toBe(27);
    });

    it("reads many orders of a symbol in one call: those that exist, as get reads each", async () => {
      const { store, symbol } = fresh();
      await store.insertNew(symbol, 3, (id) => [0, 1, 2].map((k) => order(symbol, id + k, { clientOrderId: `m${k}` })));
      await store.insertNew(`${symbol}B`, 1, (id) => [order(`${symbol}B`, id, { clientOrderId: "other" })]);
      const many = await store.getMany(symbol, [3, 1, 99, 2]);
      expect(many.map((o) => o.orderId).sort((a, b) => a - b)).toEqual([1, 2, 3]);
      for (const found of many) expect(found).toEqual(await store.get(symbol, found.orderId));
      expect(await store.getMany(symbol, [])).toEqual([]);
      // More ids than one statement takes.
      const ids = Array.from({ length: 1_200 }, (_, k) => k + 1);
      expect((await store.getMany(symbol, ids)).length).toBe(3);
    });

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

    it("finds orders as allOrders selects them: from an id, in a time window, or the newest, oldest first", async () => {
      const { store, symbol } = fresh();
      const all: Order[] = [];
      for (let id = 1; id <= 120; id++) {
        // Two orders a minute (equal creation times), one in five of them bob's.
        const o = order(symbol, id, { accountId: id % 5 === 0 ? "bob" : "alice", createdAt: T0 + Math.floor(id / 2) * MINUTE });
        await store.insert(o);
        if (o.accountId === "alice") all.push(o);
      }
      const queries: OrderQuery[] = [
        { limit: 500 },
        { limit: 7 },
        { fromOrderId: 50, limit: 10 },
        { fromOrderId: 119, limit: 10 },
        { fromOrderId: 500, limit: 10 },
        { startTime: T0 + 30 * MINUTE, limit: 9 },
        { endTime: T0 + 30 * MINUTE, limit: 9 },
        { startTime: T0 + 10 * MINUTE, endTime: T0 + 20 * MINUTE, limit: 1000 },
        { startTime: T0 + 10 * MINUTE, endTime: T0 + 20 * MINUTE, limit: 4 },
        { fromOrderId: 30, startTime: T0 + 10 * MINUTE, endTime: T0 + 40 * MINUTE, limit: 6 },
        { fromOrderId: 30, endTime: T0 + 20 * MINUTE, limit: 6 },
      ];
      for (const query of queries) {
        const expected = select(all, (o) => o.orderId, (o) => o.createdAt, () => 0, { ...query, fromId: query.fromOrderId }, () => true);
        expect((await store.findOrders("alice", symbol, query)).map((o) => o.orderId), JSON.stringify(query)).toEqual(expected.map((o) => o.orderId));
      }
      expect(await store.findOrders("alice", symbol, { fromOrderId: 3, limit: 1 })).toEqual([all.find((o) => o.orderId === 3)]);
      expect(await store.findOrders("carol", symbol, { limit: 10 })).toEqual([]);
    });

    it("finds trades as myTrades selects them: by order, from an id, in a time window, or the newest, oldest first", async () => {
      const { store, symbol } = fresh();
      const all: UserTrade[] = [];
      let sequence = 0;
      for (let batch = 0; batch < 10; batch++) {
        const trades: UserTrade[] = [];
        for (let i = 0; i < 15; i++) {
          const tradeId = batch * 15 + i + 1;
          const time = T0 + Math.floor(tradeId / 3) * MINUTE;
          // Alice takes from order 1..7; every fourth trade she is also the maker (a self-trade), and bob trades too.
          trades.push({ ...trade(symbol, tradeId, (tradeId % 7) + 1, false), time });
          trades.push({ ...trade(symbol, tradeId, 100 + (tradeId % 3), true), accountId: tradeId % 4 === 0 ? "alice" : "bob", time });
        }
        await store.applyBatch(symbol, ++sequence, [], trades);
        all.push(...trades.filter((t) => t.accountId === "alice"));
      }
      const queries: TradeQuery[] = [
        { limit: 500 },
        { limit: 5 },
        { orderId: 3, limit: 500 },
        { orderId: 3, limit: 4 },
        { orderId: 101, fromId: 40, limit: 5 },
        { fromId: 60, limit: 11 },
        { fromId: 148, limit: 11 },
        { startTime: T0 + 20 * MINUTE, limit: 13 },
        { endTime: T0 + 20 * MINUTE, limit: 13 },
        { startTime: T0 + 5 * MINUTE, endTime: T0 + 15 * MINUTE, limit: 1000 },
        { startTime: T0 + 5 * MINUTE, endTime: T0 + 15 * MINUTE, limit: 3 },
      ];
      for (const query of queries) {
        const expected = select(all, (t) => t.tradeId, (t) => t.time, (t) => (t.isMaker ? 1 : 0), query, (t) => query.orderId === undefined || t.orderId === query.orderId);
        expect((await store.findTrades("alice", symbol, query)).map((t) => [t.tradeId, t.isMaker]), JSON.stringify(query)).toEqual(expected.map((t) => [t.tradeId, t.isMaker]));
      }
      expect((await store.findTrades("alice", symbol, { fromId: 4, limit: 2 }))).toEqual([all[3], all[4]]);
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

    it("answers a symbol's recent trades, whoever's, once each and oldest first, and its latest one however old", async () => {
      const { store, symbol } = fresh();
      expect(await store.recentTrades(symbol, 0)).toEqual([]);
      const at = (tradeId: number, time: number, priceTicks: bigint, isMaker: boolean, accountId = "alice") => ({ ...trade(symbol, tradeId, tradeId, isMaker), accountId, time, priceTicks, quantityLots: BigInt(tradeId) });
      await store.applyBatch(symbol, 1, [], [at(1, 1_000, 300n, true), at(1, 1_000, 300n, false)]);
      // Only the latest trade, however old, when none is recent.
      expect(await store.recentTrades(symbol, 5_000)).toEqual([{ tradeId: 1, time: 1_000, priceTicks: 300n, quantityLots: 1n }]);
      // Enough trades for several pages of the read, one side of some only (another account's).
      const many = Array.from({ length: 1_200 }, (_, i) => i + 2).flatMap((id) => (id % 3 === 0 ? [at(id, 2_000 + id, 250n, true, "bob")] : [at(id, 2_000 + id, 250n, false), at(id, 2_000 + id, 250n, true, "bob")]));
      await store.applyBatch(symbol, 2, [], many);
      const recent = await store.recentTrades(symbol, 2_500);
      expect(recent.map((t) => t.tradeId)).toEqual(Array.from({ length: 702 }, (_, i) => i + 500));
      expect(recent[0]).toEqual({ tradeId: 500, time: 2_500, priceTicks: 250n, quantityLots: 500n });
      expect((await store.recentTrades(symbol, 0)).length).toBe(1_201);
      expect(await store.recentTrades(`${symbol}Z`, 0)).toEqual([]);
    });


    it("lets exactly one of several concurrent writers (replicas) apply a batch, and never an older batch over a newer one", async () => {
      const { store, symbol } = fresh();
      await store.insert(order(symbol, 1));
      for (let sequence = 1; sequence <= 20; sequence += 1) {
        const filled = { ...order(symbol, 1), filledLots: BigInt(sequence), submitted: true };
        const applied = await Promise.all(Array.from({ length: 4 }, () => store.applyBatch(symbol, sequence, [filled], [trade(symbol, sequence, 1, false)])));
        expect(applied.filter(Boolean)).toHaveLength(1);
        // A writer that lags behind arrives with the previous batch: it must change nothing.
        expect(await store.applyBatch(symbol, sequence - 1, [{ ...filled, filledLots: 0n }], [])).toBe(false);
        expect((await store.get(symbol, 1))?.filledLots).toBe(BigInt(sequence));
      }
      expect(await store.lastSequence(symbol)).toBe(20);
    });
  });
}
