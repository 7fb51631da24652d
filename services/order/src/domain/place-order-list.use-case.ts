import { create } from "@bufbuild/protobuf";
import { ContingencyType, OrderStatus, OrderType, Side } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema, type Command, type PlaceCommand } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError, isDomainError } from "#kit/errors/domain-error.js";
import { formatUnits } from "#kit/money/decimal.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { OrderUpdatePublisher } from "../ports/order-updates.port.js";
import type { WalletGateway } from "../ports/wallet-gateway.port.js";
import type { AppliedSequences } from "./applied-sequences.js";
import { placementRejected } from "./matching-reasons.js";
import { holdIdOf, holdOf, type Order } from "./order.js";
import type { OrderIntent } from "./order-intent.js";
import { viewOf, type OrderList, type OrderListView } from "./order-list.js";
import { orderListIntent, type ListLegRequest, type OrderListIntent } from "./order-list-intent.js";
import { OpenOrderLimits } from "./open-order-limits.js";
import type { SerialQueue } from "./serial-queue.js";
import { addCounts, countsOf, symbolFilters } from "./symbol-filters.js";
import type { SymbolCatalog } from "./symbol-catalog.js";
import type { MarketReference } from "./trade-prices.js";

export interface PlaceOrderListDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
  readonly wallet: WalletGateway;
  readonly clock: Clock;
  readonly newClientOrderId?: () => string;
  readonly updates?: OrderUpdatePublisher;
}

export interface PlaceOrderListRequest {
  readonly accountId: string;
  readonly symbol: string;
  readonly contingency: ContingencyType;
  /** "" generates one; reusing one of the account's makes the request a retry. */
  readonly listClientOrderId: string;
  readonly orders: readonly ListLegRequest[];
}

/**
 * Placing an order list (OCO, OTO, OTOCO): check it whole (order-list-intent), store the list
 * and its orders in one transaction (the rows are the outbox), hold the budget of each order
 * that works now (an OCO pair once; an OTO's working order: its pending orders are funded once
 * it has filled, see FundPendingOrders), and deliver the list to matching as ONE command, which
 * accepts or rejects every order together and then runs the contingency itself. Answers once the consumer applied
 * the list's events. A list refused before matching accepted it (a refused hold, or matching's refusal of the
 * command) leaves nothing visible: its rows are removed (their ids stay used), and no event is published.
 * A list matching did not answer for stays undelivered with its holds, as a lone order does: a retry with its
 * listClientOrderId, or the relay, delivers the same command again (matching answers a list it has as a
 * duplicate), so what became of it is decided by matching's events only.
 */
export class PlaceOrderList {
  /** Lists this process stored and is placing, by id: a retry waits for the placement, the relay leaves it alone. */
  private readonly inFlight = new Map<number, Promise<OrderListView>>();

  constructor(
    private readonly deps: PlaceOrderListDeps,
    private readonly symbols: SymbolCatalog,
    private readonly queue: SerialQueue,
    private readonly progress: AppliedSequences,
    private readonly referenceOf: (symbol: string) => Promise<MarketReference | undefined>,
    private readonly limits: OpenOrderLimits = new OpenOrderLimits((accountId, symbol) => deps.store.openOrderCounts(accountId, symbol)),
  ) {}

  async place(request: PlaceOrderListRequest): Promise<OrderListView> {
    const { accountId, symbol } = request;
    const { spec, units } = this.symbols.get(symbol);
    if (request.listClientOrderId !== "") {
      const existing = await this.deps.store.getListByClientId(accountId, request.listClientOrderId);
      if (existing) return this.retried(existing);
    }
    for (const leg of request.orders) {
      if (leg.clientOrderId !== "" && (await this.deps.store.getByClientId(accountId, leg.clientOrderId))) {
        throw new DomainError("NEW_ORDER_REJECTED", "Duplicate order sent.", [{ field: "orders.client_order_id", description: `${leg.clientOrderId} names another order` }]);
      }
    }
    const needsTouch = request.orders.some((leg) => leg.side === Side.BUY && leg.type !== OrderType.LIMIT && leg.type !== OrderType.LIMIT_MAKER && leg.quoteOrderQty === "" && leg.price === "");
    const bestAsk = needsTouch ? await this.deps.matching.bestAskTicks(symbol) : undefined;
    const filters = symbolFilters(spec);
    const [reference, open] = await Promise.all([this.referenceOf(symbol), this.limits.read(accountId, symbol, filters)]);
    const intent = orderListIntent(request.contingency, request.orders, spec, units, bestAsk, reference);
    const admitted = this.limits.admit(accountId, symbol, filters, open, intent.legs.map(countsOf).reduce(addCounts));
    try {
      return await this.placeChecked(request, intent);
    } finally {
      admitted();
    }
  }

  private async placeChecked(request: PlaceOrderListRequest, intent: OrderListIntent): Promise<OrderListView> {
    const { accountId, symbol } = request;
    const now = this.deps.clock.now();
    const stored = await this.deps.store.insertList(symbol, intent.legs.length, (orderListId, first) => {
      const orderIds = intent.legs.map((_, index) => first + index);
      const pair = intent.ocoPair?.map((index) => orderIds[index]!);
      const list: OrderList = {
        orderListId,
        symbol,
        accountId,
        listClientOrderId: request.listClientOrderId || (this.deps.newClientOrderId?.() ?? `x-list-${orderListId}`),
        contingency: request.contingency,
        orderIds,
        createdAt: now,
      };
      const orders = intent.legs.map((leg, index) =>
        newOrder(symbol, orderIds[index]!, accountId, request.orders[index]!.clientOrderId || (this.deps.newClientOrderId?.() ?? `x-${symbol}-${orderIds[index]}`), leg, now, orderListId, pair?.includes(orderIds[index]!) ? pair : undefined),
      );
      return { list, orders };
    });
    if (!stored.created) return this.retried(stored.list);
    return this.tracked(stored.list.orderListId, this.placeNew(stored.list, stored.orders));
  }

  /** Registers a placement in flight in this process until it settles (a retry awaits it; the relay skips it). */
  private async tracked(orderListId: number, placing: Promise<OrderListView>): Promise<OrderListView> {
    this.inFlight.set(orderListId, placing);
    try {
      return await placing;
    } finally {
      this.inFlight.delete(orderListId);
    }
  }

  /** A new list: held (a refusal removes it), delivered, answered once its events are applied. */
  private async placeNew(list: OrderList, orders: readonly Order[]): Promise<OrderListView> {
    await this.holdAll(list, orders);
    return this.deliverAndSettle(list, orders);
  }

  private async deliverAndSettle(list: OrderList, orders: readonly Order[]): Promise<OrderListView> {
    const { units } = this.symbols.get(list.symbol);
    const sequence = await this.queue.run(list.symbol, () => this.deliver(list, orders, units));
    if (sequence !== undefined) await this.progress.waitFor(list.symbol, sequence);
    const reasons = orders.map((order) => this.progress.takeRejection(list.symbol, order.orderId));
    const reason = reasons.find((r) => r !== undefined);
    if (reason !== undefined) throw placementRejected(reason);
    return this.view(list);
  }

  /**
   * A list whose listClientOrderId is stored: as stored once matching has it; while it is not known to be in
   * matching, the placement in flight here is awaited, or the list is held and delivered again (both idempotent),
   * and answered as a placement is. Answering the stored PENDING_NEW list instead would acknowledge a list matching
   * may not have.
   */
  private async retried(list: OrderList): Promise<OrderListView> {
    const placing = this.inFlight.get(list.orderListId);
    if (placing) return placing;
    const orders = await this.legs(list);
    if (!undeliveredList(list, orders)) return viewOf(list, orders);
    return this.tracked(list.orderListId, this.redeliver(list, orders));
  }

  /**
   * Holds (again: idempotent by hold id) and delivers a stored list. Wallet's unknown answer leaves it for later;
   * a refusal ends it REJECTED (see refuseHeld).
   */
  private async redeliver(list: OrderList, orders: readonly Order[]): Promise<OrderListView> {
    await this.holdAgain(list, orders);
    return this.deliverAndSettle(list, orders);
  }

  private async holdAgain(list: OrderList, orders: readonly Order[]): Promise<void> {
    try {
      for (const order of holders(list, orders)) await this.hold(order);
    } catch (error) {
      if (isDomainError(error) && error.key === "DISCONNECTED") throw error;
      await this.refuseHeld(list, orders, error);
    }
  }

  /**
   * Wallet refused a hold of a list stored before (a retry's or the relay's delivery): as a lone order's refused
   * redelivery, its orders are stored REJECTED (HOLD_REFUSED), the holds taken released, and the caller gets
   * wallet's error.
   */
  private async refuseHeld(list: OrderList, orders: readonly Order[], error: unknown): Promise<never> {
    await Promise.all(orders.map((order) => this.deps.wallet.release(holdOf(order)).catch(() => undefined)));
    const time = this.deps.clock.now();
    for (const order of orders) {
      order.status = OrderStatus.REJECTED;
      order.submitted = true;
      order.updatedAt = time;
      await this.deps.store.update(order);
    }
    const view = viewOf(list, orders);
    this.deps.updates?.publish(
      orders.map((order, index) => ({
        order: { ...order },
        executionType: "REJECTED" as const,
        rejectReason: "HOLD_REFUSED",
        time,
        balancesChanged: false,
        ...(index === orders.length - 1 ? { orderList: view } : {}),
      })),
    );
    throw error;
  }

  /**
   * Holds the budget of every order that works at once (an OCO pair's once). A refusal releases what was taken and removes the list: it was
   * never delivered (this placement delivers it only once held, and the relay leaves it alone meanwhile).
   */
  private async holdAll(list: OrderList, orders: readonly Order[]): Promise<void> {
    const results = await Promise.allSettled(holders(list, orders).map((order) => this.hold(order)));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === "rejected");
    if (!failed) return;
    // Unknown answer (wallet unreachable): the holds may exist; nothing was delivered, the relay may retry.
    if (isDomainError(failed.reason) && failed.reason.key === "DISCONNECTED") throw failed.reason;
    await this.discard(list, orders);
    throw failed.reason;
  }

  private hold(order: Order): Promise<void> {
    const { spec } = this.symbols.get(order.symbol);
    const scale = order.holdAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale;
    return this.deps.wallet.hold(holdIdOf(order.symbol, order.orderId), order.accountId, order.holdAsset, formatUnits(order.holdUnits, scale));
  }

  /** Releases the list's holds and removes its rows: for a list matching never got, and never will. */
  private async discard(list: OrderList, orders: readonly Order[]): Promise<void> {
    await Promise.all(orders.map((order) => this.deps.wallet.release(holdOf(order)).catch(() => undefined)));
    await this.deps.store.discardUndelivered(list.symbol, list.orderIds, list.orderListId);
  }

  /**
   * The list as one matching command; answers the sequence of its events (undefined: matching had it). Refused by
   * matching (nothing journaled; a list it had is answered as a duplicate), the list is removed as a refused hold's.
   * Matching not reached, or its answer lost (it may have journaled the list): the list stays undelivered with its
   * holds, for a retry or the relay, and the caller gets a retryable error.
   */
  private async deliver(list: OrderList, orders: readonly Order[], units: ListUnits): Promise<number | undefined> {
    const { symbol } = list;
    const [outcome] = await this.deps.matching.submitBatch(symbol, [listCommand(symbol, list.contingency, orders, units)]);
    if (outcome === undefined) throw new DomainError("DISCONNECTED", `matching did not answer for order list ${list.orderListId}; it is delivered again`);
    if (outcome === "duplicate") return undefined;
    if ("invalid" in outcome) {
      await this.discard(list, orders);
      throw new DomainError("NEW_ORDER_REJECTED", `Order list rejected (${outcome.invalid}).`);
    }
    return Number(outcome.sequence);
  }

  /**
   * Delivers lists stored but not yet handed to matching (their first order still undelivered),
   * oldest first: after a crash, or a delivery that failed or went unanswered. Lists placed by this
   * process and still in flight are left to their placement.
   */
  async relay(symbol: string, olderThanMs = 0): Promise<void> {
    const { units } = this.symbols.get(symbol);
    const before = this.deps.clock.now() - olderThanMs;
    const firsts = (await this.deps.store.undelivered(symbol)).filter((order) => order.orderListId !== undefined && order.status === OrderStatus.PENDING_NEW && order.createdAt <= before);
    const seen = new Set<number>();
    for (const first of firsts) {
      if (seen.has(first.orderListId!)) continue;
      seen.add(first.orderListId!);
      const list = await this.deps.store.getList(first.orderListId!);
      if (!list || list.orderIds[0] !== first.orderId || this.inFlight.has(list.orderListId)) continue;
      const orders = await this.legs(list);
      const delivering = (async () => {
        await this.holdAgain(list, orders);
        await this.queue.run(symbol, () => this.deliver(list, orders, units));
        return this.view(list);
      })();
      // left for the next round when it fails again
      await this.tracked(list.orderListId, delivering).catch(() => undefined);
    }
  }

  /** The list's orders as stored, in list order. */
  private async legs(list: OrderList): Promise<Order[]> {
    const orders = await Promise.all(list.orderIds.map((id) => this.deps.store.get(list.symbol, id)));
    return orders.filter((order): order is Order => order !== undefined);
  }

  private async view(list: OrderList): Promise<OrderListView> {
    return viewOf(list, await this.legs(list));
  }
}

/**
 * The orders whose budget is held at placement: an OCO's pair once (by its first order); an OTO / OTOCO's working
 * order only (its pending orders are funded once it has filled).
 */
function holders(list: OrderList, orders: readonly Order[]): Order[] {
  if (list.contingency !== ContingencyType.OCO) return orders.filter((order) => order.orderId === list.orderIds[0]);
  return orders.filter((order) => order.sharedHold === undefined || order.sharedHold[0] === order.orderId);
}

/** Not yet known to be in matching: its first order has no events applied (the row is still the outbox). */
function undeliveredList(list: OrderList, orders: readonly Order[]): boolean {
  const first = orders.find((order) => order.orderId === list.orderIds[0]);
  return first !== undefined && !first.submitted && first.status === OrderStatus.PENDING_NEW;
}

function newOrder(symbol: string, orderId: number, accountId: string, clientOrderId: string, intent: OrderIntent, now: number, orderListId: number, sharedHold: readonly number[] | undefined): Order {
  return {
    symbol,
    orderId,
    accountId,
    clientOrderId,
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
    orderListId,
    ...(sharedHold ? { sharedHold } : {}),
  };
}

interface ListUnits {
  readonly notionalUnits: bigint;
  readonly lotUnits: bigint;
}

/** The list as one command; an OTO / OTOCO's pending orders go without a budget (funded once the working order filled). */
function listCommand(symbol: string, contingency: ContingencyType, orders: readonly Order[], units: ListUnits): Command {
  const later = contingency !== ContingencyType.OCO;
  return create(CommandSchema, {
    symbol,
    timestamp: BigInt(orders[0]!.createdAt),
    kind: { case: "placeList", value: { contingencyType: contingency, orders: orders.map((order, index) => placeOf(order, units, later && index > 0)) } },
  });
}

/** A stored order as matching places it; its budget from what is held (an OCO pair: the shared hold; none: 0). */
function placeOf(order: Order, units: ListUnits, unfunded: boolean): Omit<PlaceCommand, "$typeName"> {
  const budget = unfunded ? 0n : order.side === Side.BUY ? order.holdUnits / units.notionalUnits : order.holdUnits / units.lotUnits;
  return {
    orderId: BigInt(order.orderId),
    accountId: order.accountId,
    side: order.side,
    type: order.type,
    timeInForce: order.timeInForce,
    priceTicks: order.priceTicks === 0n ? "" : String(order.priceTicks),
    quantityLots: order.quantityLots === 0n ? "" : String(order.quantityLots),
    quoteQuantity: "",
    stopPriceTicks: order.stopPriceTicks === 0n ? "" : String(order.stopPriceTicks),
    trailingDeltaBps: order.trailingDelta,
    icebergLots: order.icebergLots === 0n ? "" : String(order.icebergLots),
    selfTradePreventionMode: order.stp,
    budget: String(budget),
  };
}
