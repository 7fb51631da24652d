import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ContingencyType, OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { ExecutionType, ListOrderStatus, ListStatusType, OrderListSchema, OrderUpdateSchema } from "#gen/exchange/order/v1/order_pb.js";
import { BalanceSchema } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ListenKeys, looksLikeListenKey, newListenKey, type ListenKeyEnd } from "../../../edge/src/ws/listen-keys.js";
import { executionReport, listenKeyExpired, listStatus, outboundAccountPosition } from "../../../edge/src/ws/user-events.js";

// The user data streams' pure parts: Binance's payloads from order updates and balances, and
// the listen keys' ownership, keepalive and expiry (on fake timers).

const order = {
  accountId: "alice",
  symbol: "BTCUSDT",
  orderId: 7n,
  clientOrderId: "bot-7",
  price: "30000.01000000",
  origQty: "0.30000000",
  executedQty: "0.10000000",
  cummulativeQuoteQty: "3000.00100000",
  status: OrderStatus.PARTIALLY_FILLED,
  timeInForce: TimeInForce.GTC,
  type: OrderType.LIMIT,
  side: Side.SELL,
  stopPrice: "0.00000000",
  icebergQty: "0.00000000",
  time: 1_700_000_000_000n,
  updateTime: 1_700_000_000_500n,
  isWorking: true,
  origQuoteOrderQty: "0.00000000",
  selfTradePreventionMode: SelfTradePreventionMode.EXPIRE_MAKER,
};

describe("order lists on the user stream", () => {
  it("an order of a list carries its list id (g); listStatus names the list, its status and its orders", () => {
    const leg = { ...order, orderListId: 3n };
    const report = executionReport(create(OrderUpdateSchema, { order: leg, executionType: ExecutionType.NEW, transactionTime: 5n }), 6);
    expect(report.g).toBe(3);
    expect(executionReport(create(OrderUpdateSchema, { order, executionType: ExecutionType.NEW, transactionTime: 5n }), 6).g).toBe(-1);
    const list = create(OrderListSchema, {
      orderListId: 3n,
      contingencyType: ContingencyType.OCO,
      listStatusType: ListStatusType.ALL_DONE,
      listOrderStatus: ListOrderStatus.ALL_DONE,
      listClientOrderId: "my-oco",
      transactionTime: 1_700_000_000_900n,
      symbol: "BTCUSDT",
      orders: [leg, { ...leg, orderId: 8n, clientOrderId: "bot-8" }],
    });
    expect(listStatus(list, 1_700_000_001_000)).toEqual({
      e: "listStatus",
      E: 1_700_000_001_000,
      s: "BTCUSDT",
      g: 3,
      c: "OCO",
      l: "ALL_DONE",
      L: "ALL_DONE",
      r: "NONE",
      C: "my-oco",
      T: 1_700_000_000_900,
      O: [
        { s: "BTCUSDT", i: 7, c: "bot-7" },
        { s: "BTCUSDT", i: 8, c: "bot-8" },
      ],
    });
  });
});

describe("executionReport", () => {
  it("maps a fill with Binance's letters, the fill's own decimals and the order's totals", () => {
    const update = create(OrderUpdateSchema, {
      order,
      executionType: ExecutionType.TRADE,
      rejectReason: "NONE",
      transactionTime: 1_700_000_000_500n,
      tradeId: 42n,
      lastExecutedQty: "0.10000000",
      lastExecutedPrice: "30000.01000000",
      lastQuoteQty: "3000.00100000",
      commission: "3.00000100",
      commissionAsset: "USDT",
      isMaker: true,
      balancesChanged: true,
    });
    expect(JSON.stringify(executionReport(update, 1_700_000_000_600))).toBe(
      JSON.stringify({
        e: "executionReport",
        E: 1_700_000_000_600,
        s: "BTCUSDT",
        c: "bot-7",
        S: "SELL",
        o: "LIMIT",
        f: "GTC",
        q: "0.30000000",
        p: "30000.01000000",
        P: "0.00000000",
        F: "0.00000000",
        g: -1,
        C: "",
        x: "TRADE",
        X: "PARTIALLY_FILLED",
        r: "NONE",
        i: 7,
        l: "0.10000000",
        z: "0.10000000",
        L: "30000.01000000",
        n: "3.00000100",
        N: "USDT",
        T: 1_700_000_000_500,
        t: 42,
        w: true,
        m: true,
        O: 1_700_000_000_000,
        Z: "3000.00100000",
        Y: "3000.00100000",
        Q: "0.00000000",
        W: 1_700_000_000_000,
        V: "EXPIRE_MAKER",
      }),
    );
  });

  it("writes zeros at the order's precision when there is no fill; a cancel repeats the client order id in C; no W off the book", () => {
    const canceled = executionReport(create(OrderUpdateSchema, { order: { ...order, status: OrderStatus.CANCELED, isWorking: false }, executionType: ExecutionType.CANCELED, transactionTime: 5n }), 6);
    expect(canceled).toMatchObject({ x: "CANCELED", X: "CANCELED", c: "bot-7", C: "bot-7", l: "0.00000000", L: "0.00000000", Y: "0.00000000", n: "0", N: null, t: -1, m: false, w: false, r: "NONE" });
    expect(canceled).not.toHaveProperty("W");
    const market = executionReport(
      create(OrderUpdateSchema, { order: { ...order, type: OrderType.MARKET, price: "0.00", origQty: "0.000", executedQty: "", cummulativeQuoteQty: "" }, executionType: ExecutionType.REJECTED, rejectReason: "WOULD_TAKE" }),
      1,
    );
    expect(market).toMatchObject({ o: "MARKET", x: "REJECTED", r: "WOULD_TAKE", p: "0.00", q: "0.000", z: "0.000", Z: "0.00", l: "0.000", L: "0.00" });
    for (const value of Object.values(market)) expect(typeof value === "number" ? Number.isSafeInteger(value) : true).toBe(true);
  });
});

describe("outboundAccountPosition and listenKeyExpired", () => {
  it("sends the balances of the touched assets as wallet wrote them", () => {
    const balances = [
      create(BalanceSchema, { asset: "BTC", free: "1.90000000", locked: "0.20000000" }),
      create(BalanceSchema, { asset: "ETH", free: "3.00000000", locked: "0.00000000" }),
      create(BalanceSchema, { asset: "USDT", free: "2997.00099900", locked: "0.00000000" }),
    ];
    expect(outboundAccountPosition(balances, new Set(["BTC", "USDT"]), 10, 9)).toEqual({
      e: "outboundAccountPosition",
      E: 10,
      u: 9,
      B: [
        { a: "BTC", f: "1.90000000", l: "0.20000000" },
        { a: "USDT", f: "2997.00099900", l: "0.00000000" },
      ],
    });
    expect(listenKeyExpired("abc", 3)).toEqual({ e: "listenKeyExpired", E: 3, listenKey: "abc" });
  });
});

describe("ListenKeys", () => {
  let ended: [string, string, ListenKeyEnd][];
  let keys: ListenKeys;

  beforeEach(() => {
    vi.useFakeTimers();
    ended = [];
    keys = new ListenKeys({ ttlMs: 60 * 60 * 1000, onEnd: (key, userId, why) => ended.push([key, userId, why]) });
  });

  afterEach(() => {
    void keys.close();
    vi.useRealTimers();
  });

  it("gives each user one key: POST again answers it and extends it", async () => {
    const key = await keys.open("alice");
    expect(key).toMatch(/^[A-Za-z0-9]{60}$/);
    expect(looksLikeListenKey(key)).toBe(true);
    expect(looksLikeListenKey("btcusdt@trade")).toBe(false);
    expect(looksLikeListenKey("0")).toBe(false); // ccxt's /ws/0 is a market stream connection
    expect(looksLikeListenKey(key.slice(1))).toBe(false);
    vi.advanceTimersByTime(59 * 60 * 1000);
    expect(await keys.open("alice")).toBe(key);
    vi.advanceTimersByTime(59 * 60 * 1000); // 118 minutes after creation, 59 after the second POST
    expect(await keys.userOf(key)).toBe("alice");
    expect(await keys.open("bob")).not.toBe(key);
    expect(new Set(Array.from({ length: 200 }, newListenKey)).size).toBe(200);
  });

  it("expires a key 60 minutes after its last keepalive, once, and tells whose it was", async () => {
    const key = await keys.open("alice");
    vi.advanceTimersByTime(50 * 60 * 1000);
    await keys.keepAlive(key, "alice");
    vi.advanceTimersByTime(59 * 60 * 1000);
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(60 * 1000);
    expect(ended).toEqual([[key, "alice", "expired"]]);
    expect(await keys.userOf(key)).toBeUndefined();
    await expect(keys.keepAlive(key, "alice")).rejects.toThrow(expect.objectContaining({ key: "INVALID_LISTEN_KEY" }));
    expect(await keys.open("alice")).not.toBe(key);
  });

  it("lets only the key's own user keep it alive or delete it; anyone else gets -1125 as for an unknown key", async () => {
    const key = await keys.open("alice");
    await expect(keys.keepAlive(key, "bob")).rejects.toThrow(expect.objectContaining({ key: "INVALID_LISTEN_KEY" }));
    await expect(keys.delete(key, "bob")).rejects.toThrow(expect.objectContaining({ key: "INVALID_LISTEN_KEY" }));
    await expect(keys.delete("nope", "alice")).rejects.toThrow(expect.objectContaining({ key: "INVALID_LISTEN_KEY" }));
    expect(await keys.userOf(key)).toBe("alice");
    await keys.delete(key, "alice");
    expect(ended).toEqual([[key, "alice", "deleted"]]);
    vi.advanceTimersByTime(2 * 60 * 60 * 1000);
    expect(ended).toHaveLength(1); // its expiry timer went with it
  });
});
