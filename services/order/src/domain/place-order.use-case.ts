import { create } from "@bufbuild/protobuf";
import { OrderStatus, OrderType, Side } from "#gen/exchange/common/v1/common_pb.js";
import { CancelReplaceCommandSchema, CommandSchema, PlaceCommandSchema, type Command, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError, isDomainError } from "#kit/errors/domain-error.js";
import { averageWindowStart } from "#kit/money/average-price.js";
import { formatUnits } from "#kit/money/decimal.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { OrderUpdatePublisher } from "../ports/order-updates.port.js";
import type { HoldRequest, WalletGateway } from "../ports/wallet-gateway.port.js";
import type { AppliedSequences } from "./applied-sequences.js";
import { placementRejected } from "./matching-reasons.js";
import { holdIdOf, type Order } from "./order.js";
import { orderIntent, type OrderIntent, type PlaceRequest } from "./order-intent.js";
import { admitGroup, limitsOpenOrders } from "./open-order-limits.js";
import type { SerialQueue } from "./serial-queue.js";
import { checkOpenOrderLimits, countsOf, symbolFilters, type OpenOrderCounts } from "./symbol-filters.js";
import type { SymbolCatalog } from "./symbol-catalog.js";
import type { MarketReference, TradePrices } from "./trade-prices.js";

export interface PlaceOrderDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
  readonly wallet: WalletGateway;
  readonly clock: Clock;
  readonly newClientOrderId?: () => string;
  readonly updates?: OrderUpdatePublisher;
}

/** Placements stored, held and delivered together at most. */
const MAX_GROUP = 1024;

/** A placement waiting for its group. */
interface Entry {
  readonly accountId: string;
  readonly clientOrderId: string;
  readonly intent: OrderIntent;
  /** What it adds to its account's open orders (MAX_NUM_* filters). */
  readonly adding: OpenOrderCounts;
  readonly done: (outcome: Promise<Order>) => void;
  /** What the caller is answered: settles once `done` was called (every path calls it once). */
  readonly result: Promise<Order>;
}

/** What became of one order handed to matching: its batch (undefined: matching already had it), or why it failed. */
type DeliveryOutcome = { readonly sequence: number | undefined; readonly batch?: EventBatch } | { readonly error: Error };

/** An order stored and held, ready for matching. */
interface Held {
  readonly order: Order;
  readonly budget: bigint;
  readonly quoteNotional: bigint;
  /** Of `budget`, what a cancel-replace's target pays (matching moves it when it cancels the target); 0 otherwise. */
  readonly fromTarget: bigint;
}

/**
 * Placing an order: validate and convert (order-intent), allocate the id, persist (the row is
 * the outbox), hold the budget in wallet, deliver to matching, and answer once the consumer
 * applied the order's events (or with what is stored after the wait).
 *
 * Group commit: placements of a symbol that arrive while a group is being stored wait and form
 * the next group. A group's ids are allocated and its rows inserted in one transaction, its holds
 * requested together (wallet commits them together), and its commands sent to matching in one
 * call, journaled in one write. A group is delivered only after the previous one was (the
 * symbol's queue), so matching sees ids increasing; the next group is stored while the previous
 * one is delivered. Nothing is acknowledged before matching journaled it and its events were
 * applied, as for a lone order.
 */
export class PlaceOrder {
  private readonly waiting = new Map<string, Entry[]>();
  private readonly forming = new Set<string>();
  /** Placements of this process stored and not yet answered, by symbol:orderId: a retry waits for its answer. */
  private readonly inFlight = new Map<string, Promise<Order>>();
  /** Loads of a symbol's recent trades in flight (trade-prices.ts). */
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: PlaceOrderDeps,
    private readonly symbols: SymbolCatalog,
    private readonly queue: SerialQueue,
    private readonly progress: AppliedSequences,
    private readonly prices: TradePrices,
  ) {}

  /**
   * The symbol's last price and average price at this moment (undefined: no trade yet), which
   * NOTIONAL and PERCENT_PRICE_BY_SIDE judge at: from memory (the consumer records every trade),
   * its minutes loaded from the store once after a start.
   */
  async referenceOf(symbol: string): Promise<MarketReference | undefined> {
    const { spec, units } = this.symbols.get(symbol);
    const mins = symbolFilters(spec).avgPriceMins;
    while (this.prices.needsLoad(symbol, mins)) {
      const loading = this.loading.get(symbol) ?? this.loadPrices(symbol, mins);
      await loading;
    }
    return this.prices.at(symbol, this.deps.clock.now(), mins, units);
  }

  /** Loads the symbol's recent trades into `prices`, one load per symbol at a time. */
  private loadPrices(symbol: string, mins: number): Promise<void> {
    this.prices.beginLoad(symbol);
    const since = averageWindowStart(this.deps.clock.now(), mins);
    const loading = this.deps.store
      .recentTrades(symbol, since)
      .then((trades) => this.prices.load(symbol, mins, trades))
      .finally(() => this.loading.delete(symbol));
    this.loading.set(symbol, loading);
    return loading;
  }

  /** The request checked (filters, units) and converted, as a placement takes it; throws before anything changes. */
  async intentOf(symbol: string, request: PlaceRequest): Promise<OrderIntent> {
    const { spec, units } = this.symbols.get(symbol);
    const needsTouch = request.side === Side.BUY && request.type !== OrderType.LIMIT && request.type !== OrderType.LIMIT_MAKER && request.quoteOrderQty === "" && request.price === "";
    const [bestAsk, reference] = await Promise.all([needsTouch ? this.deps.matching.bestAskTicks(symbol) : undefined, this.referenceOf(symbol)]);
    return orderIntent(request, spec, units, bestAsk, reference);
  }

  async place(accountId: string, symbol: string, request: PlaceRequest, clientOrderId: string): Promise<Order> {
    this.symbols.get(symbol);
    if (clientOrderId !== "") {
      const existing = await this.deps.store.getByClientId(accountId, clientOrderId);
      if (existing) return this.retried(existing);
    }
    const intent = await this.intentOf(symbol, request);
    let done!: (outcome: Promise<Order>) => void;
    const result = new Promise<Order>((resolve) => (done = resolve));
    const list = this.waiting.get(symbol) ?? [];
    list.push({ accountId, clientOrderId, intent, adding: countsOf(intent), done, result });
    this.waiting.set(symbol, list);
    if (!this.forming.has(symbol)) void this.formGroups(symbol);
    return result;
  }

  /** Stores and holds the waiting placements group by group until none waits. */
  private async formGroups(symbol: string): Promise<void> {
    this.forming.add(symbol);
    try {
      for (;;) {
        const list = this.waiting.get(symbol) ?? [];
        if (list.length === 0) break;
        const group = list.splice(0, MAX_GROUP);
        try {
          await this.storeAndHold(symbol, group);
        } catch (error) {
          for (const entry of group) entry.done(Promise.reject(error));
        }
      }
    } finally {
      this.waiting.delete(symbol);
      this.forming.delete(symbol);
    }
  }

  /** A placement whose client order id is stored: the stored order, or its delivery (again) while not in matching. */
  private retried(existing: Order): Promise<Order> | Order {
    return undelivered(existing) ? (this.inFlight.get(`${existing.symbol}:${existing.orderId}`) ?? this.redeliver(existing)) : existing;
  }

  /**
   * The group's placements within the symbol's MAX_NUM_* limits (one read of the accounts' open orders for the whole
   * group); the others are answered with their refusal, or, when their client order id was stored meanwhile (a retry
   * that raced its first attempt), with that order.
   */
  private async withinOpenOrderLimits(symbol: string, group: readonly Entry[]): Promise<Entry[]> {
    const filters = symbolFilters(this.symbols.get(symbol).spec);
    if (!limitsOpenOrders(filters)) return [...group];
    const stored = await this.deps.store.openOrderCountsOf(symbol, [...new Set(group.map((entry) => entry.accountId))]);
    const refusals = admitGroup(filters, stored, group);
    const admitted: Entry[] = [];
    for (const [index, entry] of group.entries()) {
      const refusal = refusals[index];
      if (!refusal) admitted.push(entry);
      else entry.done(this.refusedOrRetried(entry, refusal));
    }
    return admitted;
  }

  private async refusedOrRetried(entry: Entry, refusal: Error): Promise<Order> {
    const existing = entry.clientOrderId === "" ? undefined : await this.deps.store.getByClientId(entry.accountId, entry.clientOrderId);
    if (existing) return this.retried(existing);
    throw refusal;
  }

  /** One group: ids and rows in one transaction, holds together, then delivery queued in order. */
  private async storeAndHold(symbol: string, candidates: readonly Entry[]): Promise<void> {
    const group = await this.withinOpenOrderLimits(symbol, candidates);
    if (group.length === 0) return;
    const now = this.deps.clock.now();
    const stored = await this.deps.store.insertNew(symbol, group.length, (first) => group.map((entry, index) => this.newOrder(symbol, first + index, entry, now)));
    const fresh: { entry: Entry; order: Order }[] = [];
    stored.forEach(({ order, created }, index) => {
      if (created) fresh.push({ entry: group[index]!, order });
      else group[index]!.done(Promise.resolve(order));
    });
    for (const { entry, order } of fresh) {
      const key = `${symbol}:${order.orderId}`;
      this.inFlight.set(key, entry.result);
      const forget = () => this.inFlight.get(key) === entry.result && this.inFlight.delete(key);
      entry.result.then(forget, forget);
    }
    // One wallet call for the group's holds, each taken or refused on its own.
    const refusals = await this.holdAll(fresh.map(({ order }) => order));
    const held: { entry: Entry; item: Held }[] = [];
    for (const [index, { entry, order }] of fresh.entries()) {
      const refusal = refusals[index];
      if (refusal === undefined) held.push({ entry, item: { order, budget: entry.intent.budget, quoteNotional: entry.intent.quoteNotional, fromTarget: 0n } });
      else entry.done(this.firstHoldFailed(order, refusal));
    }
    if (held.length === 0) return;
    for (const { item } of held) this.progress.await(symbol, item.order.orderId);
    // Queued now, under this group's turn: the next group's delivery queues behind it.
    const delivered = this.queue.run(symbol, () => this.deliver(symbol, held.map(({ item }) => item)));
    held.forEach(({ entry, item }, index) =>
      entry.done(
        delivered.then((outcomes) => {
          const outcome = outcomes[index]!;
          if ("error" in outcome) throw outcome.error;
          return this.settled(symbol, outcome.sequence, item.order.orderId);
        }).finally(() => this.progress.storedOrder(symbol, item.order.orderId)),
      ),
    );
  }

  private newOrder(symbol: string, orderId: number, entry: Pick<Entry, "accountId" | "clientOrderId" | "intent">, now: number): Order {
    const { intent } = entry;
    return {
      symbol,
      orderId,
      accountId: entry.accountId,
      clientOrderId: entry.clientOrderId || (this.deps.newClientOrderId?.() ?? `x-${symbol}-${orderId}`),
      side: intent.side,
      type: intent.type,
      timeInForce: intent.timeInForce,
      priceTicks: intent.priceTicks,
      quantityLots: intent.quantityLots,
      quoteOrderUnits: intent.quoteOrderUnits,
      stopPriceTicks: intent.stopPriceTicks,
      icebergLots: intent.icebergLots,
      trailingDelta: intent.trailingDelta,
      stp: intent.stp,
      holdAsset: intent.holdAsset,
      holdUnits: intent.holdUnits,
      status: OrderStatus.PENDING_NEW,
      filledLots: 0n,
      quoteUnits: 0n,
      submitted: false,
      createdAt: now,
      updatedAt: now,
    };
  }

  /**
   * Stores a cancel-replace's new order as a placement stores it (PENDING_NEW, its own id and client order id, the
   * row is the outbox), marked as replacing `target`: every delivery of it (this one, a retry's, the relay's) is one
   * CANCEL_REPLACE command. MAX_NUM_* filters count the account's open orders without the target, which the same
   * command cancels. `fundedByTarget` (hold units) is the part of the new order's hold the target pays (see
   * Replacing); stored before anything is held, so every delivery holds and sends the same. Answers the stored order
   * instead (created false) when the client order id is taken.
   */
  async storeReplacement(
    accountId: string,
    clientOrderId: string,
    intent: OrderIntent,
    target: Order,
    allowFailure: boolean,
    fundedByTarget = 0n,
  ): Promise<{ order: Order; created: boolean }> {
    const { symbol } = target;
    const filters = symbolFilters(this.symbols.get(symbol).spec);
    if (limitsOpenOrders(filters)) {
      const open = await this.deps.store.openOrderCounts(accountId, symbol);
      const gone = countsOf(target);
      checkOpenOrderLimits(filters, { orders: open.orders - gone.orders, algo: open.algo - gone.algo, iceberg: open.iceberg - gone.iceberg }, countsOf(intent));
    }
    const now = this.deps.clock.now();
    const [stored] = await this.deps.store.insertNew(symbol, 1, (first) => [
      {
        ...this.newOrder(symbol, first, { accountId, clientOrderId, intent }, now),
        replaces: fundedByTarget > 0n ? { orderId: target.orderId, allowFailure, fundedByTarget } : { orderId: target.orderId, allowFailure },
      },
    ]);
    return stored!;
  }

  /**
   * Takes an order's hold in wallet (idempotent by the order's hold id); see WalletGateway.hold for its errors. A
   * cancel-replace's new order holds only what its target does not pay (possibly zero).
   */
  hold(order: Order): Promise<void> {
    const { holdId, accountId, asset, amount } = this.holdRequestOf(order);
    return this.deps.wallet.hold(holdId, accountId, asset, amount);
  }

  /** Takes the orders' holds in one wallet call: per order, undefined when taken, else the error `hold` would throw. */
  private holdAll(orders: readonly Order[]): Promise<(Error | undefined)[]> {
    return this.deps.wallet.holdAll(orders.map((order) => this.holdRequestOf(order)));
  }

  private holdRequestOf(order: Order): HoldRequest {
    const { spec } = this.symbols.get(order.symbol);
    const scale = order.holdAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale;
    // a cancel-replace's new order holds only what its target does not pay
    const own = order.holdUnits - (order.replaces?.fundedByTarget ?? 0n);
    return { holdId: holdIdOf(order.symbol, order.orderId), accountId: order.accountId, asset: order.holdAsset, amount: formatUnits(own, scale) };
  }

  /**
   * Wallet did not take the hold. When its answer is unknown (unreachable, or gone mid-call) the hold may exist:
   * the order stays undelivered, for the client's retry or the relay (the hold is idempotent by order id), and
   * the caller gets the retryable error. Otherwise wallet refused it: see refuseHold.
   */
  private holdFailed(order: Order, error: unknown): Promise<Order> {
    if (isDomainError(error) && error.key === "DISCONNECTED") return Promise.reject(error);
    return this.refuseHold(order, error);
  }

  /**
   * A new placement's hold failed. Unknown answer: as holdFailed. Refused: matching never got the order (this
   * placement delivers it only once held, and while it is in flight a retry waits for it and the relay leaves it
   * alone), so its row, the outbox, is removed: as on Binance, an order refused for its balance leaves nothing in
   * allOrders or openOrders and no executionReport; its id stays used. The caller gets wallet's error.
   */
  private async firstHoldFailed(order: Order, error: unknown): Promise<Order> {
    if (isDomainError(error) && error.key === "DISCONNECTED") throw error;
    await this.deps.wallet.release(holdIdOf(order.symbol, order.orderId)).catch(() => undefined);
    await this.deps.store.discardUndelivered(order.symbol, [order.orderId]);
    throw error;
  }

  /**
   * Wallet refused the hold of an order stored before (a retry's or the relay's delivery, when an earlier delivery
   * may have reached matching): the order is stored REJECTED, reported, and the caller gets wallet's
   * error. The release is a no-op for a refused hold; it covers a hold wallet took after all.
   */
  private async refuseHold(order: Order, error: unknown): Promise<Order> {
    await this.deps.wallet.release(holdIdOf(order.symbol, order.orderId)).catch(() => undefined);
    await this.rejectUndelivered(order, "HOLD_REFUSED");
    throw error;
  }

  /** An order never delivered (and never to be), stored REJECTED and reported; it holds nothing. */
  async rejectUndelivered(order: Order, rejectReason: string): Promise<void> {
    order.status = OrderStatus.REJECTED;
    order.submitted = true;
    order.updatedAt = this.deps.clock.now();
    await this.deps.store.update(order);
    this.deps.updates?.publish([{ order: { ...order }, executionType: "REJECTED", rejectReason, time: order.updatedAt, balancesChanged: false }]);
  }

  /**
   * Hands held orders to matching in one call, in id order; runs under the symbol's queue.
   * Answers, per order, the sequence of its events (undefined: matching already had it) or why
   * it failed. The row stays "not submitted" until the consumer stores the order's events, in the
   * same transaction; a group whose delivery failed is left to the relay.
   */
  private async deliver(symbol: string, items: readonly Held[]): Promise<DeliveryOutcome[]> {
    const own = await this.deps.matching.submitBatch(
      symbol,
      items.map((item) => commandOf(item)),
    );
    return Promise.all(
      own.map(async (outcome, index): Promise<DeliveryOutcome> => {
        const { order } = items[index]!;
        // Matching had it (a resend after a lost answer): its events are the consumer's to store.
        if (outcome === "duplicate") return { sequence: undefined };
        if ("invalid" in outcome) {
          // Order's checks and matching's disagree: nothing was journaled; this order ends here.
          order.status = OrderStatus.REJECTED;
          order.submitted = true;
          order.updatedAt = this.deps.clock.now();
          await this.deps.store.update(order);
          await this.deps.wallet.release(holdIdOf(symbol, order.orderId)).catch(() => undefined);
          return { error: new Error(`matching refused order ${symbol}:${order.orderId}: ${outcome.invalid}`) };
        }
        return { sequence: Number(outcome.sequence), batch: outcome };
      }),
    );
  }

  /**
   * Waits (bounded) until the consumer applied `sequence`, then answers with the stored order (as
   * this process's consumer stored it, else read back) or its rejection. A lone order matching
   * rejected is removed with its batch (Binance keeps nothing of it): gone, it was rejected.
   */
  async settled(symbol: string, sequence: number | undefined, orderId: number): Promise<Order> {
    if (sequence !== undefined) await this.progress.waitFor(symbol, sequence);
    const rejection = this.progress.takeRejection(symbol, orderId);
    if (rejection !== undefined) throw placementRejected(rejection);
    const order = this.progress.storedOrder(symbol, orderId) ?? (await this.deps.store.get(symbol, orderId));
    if (!order) throw new DomainError("NEW_ORDER_REJECTED", "New order rejected.");
    return order;
  }

  /**
   * A client's retry of an order not known to be in matching (its delivery failed, or is still in flight): held
   * and delivered again, both idempotent by the order id (matching answers a second delivery as a duplicate), and
   * answered as a placement is. Answering the stored PENDING_NEW order instead would acknowledge an order matching
   * may not have: a cancel-all that follows would miss it, and the relay would put it on the book afterwards.
   * A cancel-replace's new order is delivered as its CANCEL_REPLACE (see commandOf), never alone.
   */
  async redeliver(order: Order): Promise<Order> {
    const { units } = this.symbols.get(order.symbol);
    try {
      await this.hold(order);
    } catch (error) {
      return this.holdFailed(order, error);
    }
    const [outcome] = await this.queue.run(order.symbol, () => this.deliver(order.symbol, [heldOf(order, units)]));
    if ("error" in outcome!) throw outcome.error;
    return this.settled(order.symbol, outcome!.sequence, order.orderId);
  }

  /**
   * Runs `change` on the order as stored while it is still undelivered, under the symbol's queue, so neither the
   * relay nor a retry delivers it meanwhile; answers the order as stored (changed, or as another delivery left it).
   * The consumer is first brought up to matching's head (as amend does), so a delivery made before (the row stays
   * "not submitted" until its events are stored) is seen, and `change` cannot overwrite what the consumer stores;
   * TIMEOUT when it does not get there within `settleMs`.
   */
  async whileUndelivered(order: Order, settleMs: number, change: (stored: Order) => Promise<void>): Promise<Order> {
    const { symbol } = order;
    return this.queue.run(symbol, async () => {
      const head = await this.deps.matching.headSequence(symbol);
      await this.progress.settleWithin(symbol, head, settleMs);
      if (this.progress.head(symbol) < head) throw new DomainError("TIMEOUT");
      const stored = (await this.deps.store.get(symbol, order.orderId))!;
      if (undelivered(stored)) await change(stored);
      return stored;
    });
  }

  /**
   * Hands one stored, held order to matching alone, under the symbol's queue (a cancel-replace's new order: one
   * CANCEL_REPLACE command). Answers its sequence and batch (sequence undefined: matching already had it); throws
   * when matching refused the command (the order is then REJECTED, its hold released) or was not reached (the
   * order stays undelivered, for a retry or the relay). Answer it with `settled`.
   */
  async deliverAlone(order: Order): Promise<{ readonly sequence: number | undefined; readonly batch?: EventBatch }> {
    const { units } = this.symbols.get(order.symbol);
    const [outcome] = await this.queue.run(order.symbol, () => this.deliver(order.symbol, [heldOf(order, units)]));
    if ("error" in outcome!) throw outcome.error;
    return outcome!;
  }

  /**
   * Delivers orders persisted but not yet handed to matching, oldest first, under the symbol's queue: after a
   * crash, and periodically for deliveries that failed (only orders older than `olderThanMs`, so placements in
   * flight are left to finish).
   */
  async relay(symbol: string, olderThanMs = 0): Promise<void> {
    const { units } = this.symbols.get(symbol);
    await this.queue.run(symbol, async () => {
      const before = this.deps.clock.now() - olderThanMs;
      // A placement of this process still in flight delivers (or discards) its order itself.
      const pending = (await this.deps.store.undelivered(symbol)).filter((order) => undelivered(order) && order.createdAt <= before && !this.inFlight.has(`${symbol}:${order.orderId}`));
      const held: Held[] = [];
      for (const order of pending) {
        try {
          await this.hold(order); // idempotent by the hold id: a hold made before the crash stands
        } catch (error) {
          await this.holdFailed(order, error).catch(() => undefined);
          continue;
        }
        held.push(heldOf(order, units));
      }
      for (let from = 0; from < held.length; from += MAX_GROUP) await this.deliver(symbol, held.slice(from, from + MAX_GROUP)).catch(() => undefined);
    });
  }
}

/** A lone order not yet delivered (lists are delivered whole, by PlaceOrderList's relay). */
function undelivered(order: Order): boolean {
  return !order.submitted && order.status === OrderStatus.PENDING_NEW && order.orderListId === undefined;
}

/** A stored order with the budget and quote notional matching needs, from its stored units. */
function heldOf(order: Order, units: { readonly notionalUnits: bigint; readonly lotUnits: bigint }): Held {
  const buy = order.side === Side.BUY;
  const funded = order.replaces?.fundedByTarget ?? 0n;
  return {
    order,
    budget: buy ? order.holdUnits / units.notionalUnits : order.quantityLots,
    quoteNotional: order.quoteOrderUnits === 0n ? 0n : order.quoteOrderUnits / units.notionalUnits,
    // whole budget units: the order service rounds the part the new order holds itself down to one
    fromTarget: buy ? funded / units.notionalUnits : funded / units.lotUnits,
  };
}

/**
 * The command that delivers an order: its placement, or, for a cancel-replace's new order, one CANCEL_REPLACE (the
 * cancel and the placement in one matching command; matching knows it by the new order's id, so a second delivery is
 * a duplicate). The part of the budget the target pays travels as budget_from_canceled, the rest as the order's own.
 */
function commandOf({ order, budget, quoteNotional, fromTarget }: Held): Command {
  const place = placeOf(order, budget - fromTarget, quoteNotional);
  const replaces = order.replaces;
  const kind: Command["kind"] = replaces
    ? {
        case: "cancelReplace",
        value: create(CancelReplaceCommandSchema, {
          cancelOrderId: BigInt(replaces.orderId),
          allowFailure: replaces.allowFailure,
          place,
          budgetFromCanceled: fromTarget > 0n ? String(fromTarget) : "",
        }),
      }
    : { case: "place", value: place };
  return create(CommandSchema, { symbol: order.symbol, timestamp: BigInt(order.createdAt), kind });
}

function placeOf(order: Order, budget: bigint, quoteNotional: bigint) {
  return create(PlaceCommandSchema, {
    orderId: BigInt(order.orderId),
    accountId: order.accountId,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    priceTicks: order.priceTicks === 0n ? "" : String(order.priceTicks),
    quantityLots: order.quantityLots === 0n ? "" : String(order.quantityLots),
    quoteQuantity: quoteNotional === 0n ? "" : String(quoteNotional),
    stopPriceTicks: order.stopPriceTicks === 0n ? "" : String(order.stopPriceTicks),
    trailingDeltaBps: order.trailingDelta,
    icebergLots: order.icebergLots === 0n ? "" : String(order.icebergLots),
    selfTradePreventionMode: order.stp,
    budget: String(budget),
  });
}
