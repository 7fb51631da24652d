import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Kysely } from "kysely";
import { Code, ConnectError, createClient, type ConnectRouter, type Interceptor } from "@connectrpc/connect";
import { OrderStatus, Side } from "#gen/exchange/common/v1/common_pb.js";
import { WalletService, type SettleTradesRequest } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { systemClock } from "#kit/clock/clock.js";
import { openDatabase, type Database } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { formatUnits, parseUnits } from "#kit/money/decimal.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { ConnectMatchingGateway } from "../../../services/order/src/adapters/matching-gateway.connect.js";
import { SqlOrderStore, orderStoreMigrations, type OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import { ConnectWalletGateway } from "../../../services/order/src/adapters/wallet-gateway.connect.js";
import { Orders } from "../../../services/order/src/domain/orders.use-case.js";
import { DEFAULT_SYMBOLS } from "../../../services/order/src/domain/symbol.js";
import { type HoldRequest, type TradeSettlement, type WalletGateway } from "../../../services/order/src/ports/wallet-gateway.port.js";
import { createMatchingModule } from "../../../services/matching/src/main.js";
import { createWalletModule, type WalletParts } from "../../../services/wallet/src/main.js";
import { limitRequest } from "../../support/place-request.js";

// How order hands a matching event batch's trades to wallet: all of them in one SettleTrades
// call, in event order, before any hold of the batch is released; each UserTrade carries the
// fee wallet charged. Real matching and wallet (SQLite) behind their routes in-process, a real
// order store; the wallet gateway is the real Connect adapter, wrapped only to log its calls.

const BTC = 10n ** 8n;
const SYMBOL = "BTCUSDT";

type Call = { op: "hold" | "release" | "reduce" | "move" | "settle"; ids: string[]; releases?: string[] };

/** The real adapter, logging each call; can lose the answer of one settlement (after wallet applied it). */
class LoggingWallet implements WalletGateway {
  readonly calls: Call[] = [];
  loseNextSettlementAnswer = false;

  constructor(private readonly inner: WalletGateway) {}

  hold(holdId: string, accountId: string, asset: string, amount: string) {
    this.calls.push({ op: "hold", ids: [holdId] });
    return this.inner.hold(holdId, accountId, asset, amount);
  }

  holdAll(holds: readonly HoldRequest[]) {
    this.calls.push({ op: "hold", ids: holds.map((hold) => hold.holdId) });
    return this.inner.holdAll(holds);
  }

  async settleAndRelease(trades: readonly TradeSettlement[], releaseHoldIds: readonly string[]) {
    this.calls.push({ op: "settle", ids: trades.map((trade) => trade.tradeId), releases: [...releaseHoldIds] });
    const fees = await this.inner.settleAndRelease(trades, releaseHoldIds);
    if (this.loseNextSettlementAnswer) {
      this.loseNextSettlementAnswer = false;
      throw new ConnectError("connection reset before the answer", Code.Unavailable);
    }
    return fees;
  }

  release(holdId: string) {
    this.calls.push({ op: "release", ids: [holdId] });
    return this.inner.release(holdId);
  }

  reduce(holdId: string, requestId: string, amount: string) {
    this.calls.push({ op: "reduce", ids: [holdId] });
    return this.inner.reduce(holdId, requestId, amount);
  }

  moveHold(holdId: string, toHoldId: string, amount: string) {
    this.calls.push({ op: "move", ids: [holdId, toHoldId] });
    return this.inner.moveHold(holdId, toHoldId, amount);
  }

  available(accountId: string, asset: string) {
    return this.inner.available(accountId, asset);
  }

  async settleMany(trades: readonly TradeSettlement[]) {
    this.calls.push({ op: "settle", ids: trades.map((trade) => trade.tradeId) });
    const fees = await this.inner.settleMany(trades);
    if (this.loseNextSettlementAnswer) {
      this.loseNextSettlementAnswer = false;
      throw new ConnectError("connection reset before the answer", Code.Unavailable);
    }
    return fees;
  }
}

let dir: string;
let modules: ServiceModule[];
let parts: WalletParts;
let orderDb: Database<OrderTables>;
let wallet: LoggingWallet;
let orders: Orders;
let adapter: ConnectWalletGateway;
/** Every SettleTrade / SettleTrades request wallet's router received: method and trade count. */
const walletRpcs: { method: string; trades: number; voids: number }[] = [];
const consumerErrors: unknown[] = [];
const consumer = new AbortController();
let consuming: Promise<void>;

const countSettlements: Interceptor = (next) => async (request) => {
  if (request.service.typeName === WalletService.typeName && request.method.name.startsWith("SettleTrade")) {
    const trades = request.method.name === "SettleTrades" ? (request.message as SettleTradesRequest).trades.length : 1;
    const voids = request.method.name === "SettleTrades" ? (request.message as SettleTradesRequest).voidHoldIds.length : 0;
    walletRpcs.push({ method: request.method.name, trades, voids });
  }
  return next(request);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "order-settlement-batch-"));
  const walletModule = await createWalletModule({
    ledgerUrl: `sqlite:${join(dir, "wallet.sqlite")}`,
    tickMs: 0,
    // s2 is in a better tier (maker 4 bps, taker 6 bps), everyone else 10 bps both ways.
    tiers: { tier: async (account) => (account === "s2" ? 3 : 0) },
  });
  parts = walletModule.parts;
  modules = [walletModule, await createMatchingModule({ dataDir: join(dir, "matching") })];
  const transport = inProcessTransport((router: ConnectRouter) => {
    for (const module of modules) module.routes(router);
  }, [countSettlements]);
  orderDb = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
  await migrate(orderDb.db as never, "order", orderStoreMigrations);
  adapter = new ConnectWalletGateway(transport);
  wallet = new LoggingWallet(adapter);
  orders = new Orders({
    store: new SqlOrderStore(orderDb.db as Kysely<OrderTables>),
    matching: new ConnectMatchingGateway(transport),
    wallet,
    clock: systemClock,
    symbols: DEFAULT_SYMBOLS,
  });
  // The order module's consumer loop: a batch that fails is applied again from the last stored sequence.
  consuming = (async () => {
    while (!consumer.signal.aborted) {
      try {
        await orders.consume(SYMBOL, consumer.signal);
      } catch (error) {
        if (consumer.signal.aborted) return;
        consumerErrors.push(error);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  })();
  for (const account of ["s1", "s2", "s3", "s4"]) await parts.wallet.creditDeposit(`btc-${account}`, account, "BTC", 1n * BTC);
  await parts.wallet.creditDeposit("usdt-bob", "bob", "USDT", 100_000n * BTC);
});

afterAll(async () => {
  consumer.abort();
  await consuming;
  for (const module of modules ?? []) await module.stop?.();
  await orderDb?.close();
  rmSync(dir, { recursive: true, force: true });
});

const limit = limitRequest;

const free = async (account: string, asset: string) => (await parts.wallet.balances(account, [asset]))[0]?.available ?? 0n;
const usdt = (text: string) => parseUnits(text, 8);

async function tradesOf(account: string) {
  const page = await orders.listTrades(account, SYMBOL, 100, "");
  return [...page.items].sort((a, b) => a.tradeId - b.tradeId).map((trade) => ({ tradeId: trade.tradeId, orderId: trade.orderId, isBuyer: trade.isBuyer, isMaker: trade.isMaker, fee: formatUnits(trade.commissionUnits, 8), asset: trade.commissionAsset }));
}

describe("order settles an event batch's trades in one wallet call", () => {
  it("sends every trade of a sweep and the holds it finished in one SettleTrades call, in order, and records wallet's fees", async () => {
    const s1 = await orders.place("s1", SYMBOL, limit(Side.SELL, "0.1", "30000"), "s1-a");
    const s2 = await orders.place("s2", SYMBOL, limit(Side.SELL, "0.1", "30001"), "s2-a");
    const s3 = await orders.place("s3", SYMBOL, limit(Side.SELL, "0.3", "30002"), "s3-a");
    wallet.calls.length = 0;
    walletRpcs.length = 0;

    // Fills s1 and s2, and s3 in part (its hold stays): matching reports each maker's fill right after its trade.
    const bob = await orders.place("bob", SYMBOL, limit(Side.BUY, "0.4", "30002"), "bob-a");
    expect(bob).toMatchObject({ status: OrderStatus.FILLED, filledLots: 40_000n });

    const hold = (orderId: number) => `${SYMBOL}:${orderId}`;
    expect(wallet.calls).toEqual([
      { op: "hold", ids: [hold(bob.orderId)] },
      { op: "settle", ids: [`${SYMBOL}:T1`, `${SYMBOL}:T2`, `${SYMBOL}:T3`], releases: [hold(s1.orderId), hold(s2.orderId), hold(bob.orderId)] },
    ]);
    expect(walletRpcs).toEqual([{ method: "SettleTrades", trades: 3, voids: 3 }]);

    // Fees: ceil(amount x bps / 10 000) in the asset received. Bob takes at 10 bps of the BTC;
    // s1 and s3 make at 10 bps of the USDT, s2 at its tier's 4 bps.
    expect(await tradesOf("bob")).toEqual([
      { tradeId: 1, orderId: bob.orderId, isBuyer: true, isMaker: false, fee: "0.00010000", asset: "BTC" },
      { tradeId: 2, orderId: bob.orderId, isBuyer: true, isMaker: false, fee: "0.00010000", asset: "BTC" },
      { tradeId: 3, orderId: bob.orderId, isBuyer: true, isMaker: false, fee: "0.00020000", asset: "BTC" },
    ]);
    expect(await tradesOf("s1")).toEqual([{ tradeId: 1, orderId: s1.orderId, isBuyer: false, isMaker: true, fee: "3.00000000", asset: "USDT" }]);
    expect(await tradesOf("s2")).toEqual([{ tradeId: 2, orderId: s2.orderId, isBuyer: false, isMaker: true, fee: "1.20004000", asset: "USDT" }]);
    expect(await tradesOf("s3")).toEqual([{ tradeId: 3, orderId: s3.orderId, isBuyer: false, isMaker: true, fee: "6.00040000", asset: "USDT" }]);

    // ... and those are exactly what wallet took: every account got its side of each trade less the recorded fee.
    expect(await free("bob", "BTC")).toBe(40_000_000n - 40_000n);
    expect(await free("bob", "USDT")).toBe(usdt("100000") - usdt("12000.5")); // price improvement on s1 and s2 released
    expect(await free("s1", "USDT")).toBe(usdt("3000") - usdt("3"));
    expect(await free("s2", "USDT")).toBe(usdt("3000.1") - usdt("1.20004"));
    expect(await free("s3", "USDT")).toBe(usdt("6000.4") - usdt("6.0004"));
    expect(await free("@fees", "USDT")).toBe(usdt("3") + usdt("1.20004") + usdt("6.0004"));
    expect(await free("@fees", "BTC")).toBe(40_000n);
    expect(consumerErrors).toEqual([]);
  });

  it("applies a batch whose settlement answer was lost again: wallet answers the duplicate with the original fees, releases once", async () => {
    const s4 = await orders.place("s4", SYMBOL, limit(Side.SELL, "0.1", "30000"), "s4-a");
    wallet.calls.length = 0;
    walletRpcs.length = 0;
    wallet.loseNextSettlementAnswer = true;

    const bob = await orders.place("bob", SYMBOL, limit(Side.BUY, "0.1", "30000"), "bob-b");
    expect(bob.status).toBe(OrderStatus.FILLED);

    const hold = (orderId: number) => `${SYMBOL}:${orderId}`;
    expect(wallet.calls).toEqual([
      { op: "hold", ids: [hold(bob.orderId)] },
      // Settled and released in wallet; the answer never arrived, nothing stored.
      { op: "settle", ids: [`${SYMBOL}:T4`], releases: [hold(s4.orderId), hold(bob.orderId)] },
      // The batch again: a duplicate settlement, the holds already voided.
      { op: "settle", ids: [`${SYMBOL}:T4`], releases: [hold(s4.orderId), hold(bob.orderId)] },
    ]);
    expect(consumerErrors.map((error) => ConnectError.from(error).code)).toEqual([Code.Unavailable]);
    expect(await tradesOf("s4")).toEqual([{ tradeId: 4, orderId: s4.orderId, isBuyer: false, isMaker: true, fee: "3.00000000", asset: "USDT" }]);
    expect(await free("s4", "USDT")).toBe(usdt("3000") - usdt("3")); // settled once
  });
});

describe("ConnectWalletGateway.settleMany", () => {
  const client = () => createClient(WalletService, inProcessTransport((router: ConnectRouter) => modules.forEach((module) => module.routes(router))));
  const trade = (id: string, fields: Partial<TradeSettlement> = {}): TradeSettlement => ({
    tradeId: id,
    symbol: SYMBOL,
    baseAsset: "BTC",
    quoteAsset: "USDT",
    buyerAccountId: "g-buyer",
    sellerAccountId: "g-seller",
    buyerHoldId: "",
    sellerHoldId: "",
    baseAmount: "0.001",
    quoteAmount: "30",
    buyerIsMaker: false,
    ...fields,
  });

  beforeAll(async () => {
    await parts.wallet.creditDeposit("g-btc", "g-seller", "BTC", 10n * BTC);
    await parts.wallet.creditDeposit("g-usdt", "g-buyer", "USDT", 1_000_000n * BTC);
  });

  it("throws the error SettleTrade would have thrown for the first failed trade, naming it; a retry answers the settled ones' fees", async () => {
    const good = trade("g-1");
    const bad = trade("g-2", { buyerHoldId: "g-no-such-hold" });
    const failed = await adapter.settleMany([good, bad, trade("g-3", { baseAmount: "0.123456789" })]).then(
      () => new Error("expected an error"),
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(ConnectError);
    const batchError = failed as ConnectError;
    const single = ConnectError.from(await client().settleTrade(bad).then(() => new Error("expected an error"), (error: unknown) => error));
    expect(batchError.code).toBe(single.code);
    expect(batchError.code).toBe(Code.NotFound);
    const [batchInfo] = batchError.findDetails(ErrorInfoSchema);
    const [singleInfo] = single.findDetails(ErrorInfoSchema);
    expect(batchInfo).toMatchObject({ reason: singleInfo!.reason, domain: singleInfo!.domain });
    expect(batchInfo!.metadata).toMatchObject({ key: "NOT_FOUND", tradeId: "g-2" });
    expect(batchError.rawMessage).toContain("g-2");
    expect(batchError.rawMessage).toContain(single.rawMessage);

    // The good trade settled in that call; settling the list again answers its fees, unchanged.
    const before = await free("g-buyer", "BTC");
    expect(await adapter.settleMany([good])).toEqual([{ buyerFee: "0.00000100", sellerFee: "0.03000000" }]);
    expect(await free("g-buyer", "BTC")).toBe(before);
  });

  it("sends at most 4096 trades per call and answers every fee in order", async () => {
    walletRpcs.length = 0;
    const trades = Array.from({ length: 4097 }, (_, index) => trade(`g-chunk-${index}`, { baseAmount: index === 4096 ? "0.002" : "0.001", quoteAmount: index === 4096 ? "60" : "30" }));
    const fees = await adapter.settleMany(trades);
    expect(walletRpcs).toEqual([
      { method: "SettleTrades", trades: 4096, voids: 0 },
      { method: "SettleTrades", trades: 1, voids: 0 },
    ]);
    expect(fees).toHaveLength(4097);
    expect(fees[0]).toEqual({ buyerFee: "0.00000100", sellerFee: "0.03000000" });
    expect(fees[4095]).toEqual({ buyerFee: "0.00000100", sellerFee: "0.03000000" });
    expect(fees[4096]).toEqual({ buyerFee: "0.00000200", sellerFee: "0.06000000" });
    expect(await adapter.settleMany([])).toEqual([]);
    expect(walletRpcs).toHaveLength(2);
  });
});
