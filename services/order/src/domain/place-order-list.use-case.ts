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
 * and its orders in one transaction (the rows are the outbox), hold each order's budget (an
 * OCO pair once), and deliver the list to matching as ONE command, which accepts or rejects
 * every order together and then runs the contingency itself. Answers once the consumer applied
 * the list's events. A list refused before matching accepted it (a refused hold, or matching's refusal of the
 * command) leaves nothing visible: its rows are removed (their ids stay used), and no event is published.
 */
export class PlaceOrderList {
  /** Lists this process stored and is placing: the relay leaves them to their placement. */
  private readonly inFlight = new Set<number>();

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
      if (existing) return this.view(existing);
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
    const { units } = this.symbols.get(symbol);
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
    if (!stored.created) return this.view(stored.list);
    const { orderListId } = stored.list;
    this.inFlight.add(orderListId);
    let sequence: number | undefined;
    try {
      await this.holdAll(stored.list, stored.orders);
      sequence = await this.queue.run(symbol, () => this.deliver(stored.list, stored.orders, units));
    } finally {
      this.inFlight.delete(orderListId);
    }
    if (sequence !== undefined) await this.progress.waitFor(symbol, sequence);
    const reasons = stored.orders.map((order) => this.progress.takeRejection(symbol, order.orderId));
    const reason = reasons.find((r) => r !== undefined);
    if (reason !== undefined) throw placementRejected(reason);
    return this.view(stored.list);
  }

  /**
   * Holds every order's budget (an OCO pair's once). A refusal releases what was taken and removes the list: it was
   * never delivered (this placement delivers it only once held, and the relay leaves it alone meanwhile).
   */
  private async holdAll(list: OrderList, orders: readonly Order[]): Promise<void> {
    const owners = orders.filter((order) => order.sharedHold === undefined || order.sharedHold[0] === order.orderId);
    const results = await Promise.allSettled(owners.map((order) => this.hold(order)));
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
   */
  private async deliver(list: OrderList, orders: readonly Order[], units: ListUnits): Promise<number | undefined> {
    const { symbol } = list;
    const [outcome] = await this.deps.matching.submitBatch(symbol, [listCommand(symbol, list.contingency, orders, units)]);
    if (outcome === "duplicate") return undefined;
    if (outcome !== undefined && "invalid" in outcome) {
      await this.discard(list, orders);
      throw new DomainError("NEW_ORDER_REJECTED", `Order list rejected (${outcome.invalid}).`);
    }
    if (outcome === undefined) {
      const time = this.deps.clock.now();
      for (const order of orders) {
        order.status = OrderStatus.REJECTED;
        order.submitted = true;
        order.updatedAt = time;
        await this.deps.store.update(order);
      }
      await Promise.all(orders.map((order) => this.deps.wallet.release(holdOf(order)).catch(() => undefined)));
      throw new DomainError("NEW_ORDER_REJECTED", "Order list rejected (no answer).");
    }
    return Number(outcome.sequence);
  }

  /**
   * Delivers lists stored but not yet handed to matching (their first order still undelivered),
   * oldest first, under the symbol's queue: after a crash, or a delivery that failed.
   */
  async relay(symbol: string, olderThanMs = 0): Promise<void> {
    const { units } = this.symbols.get(symbol);
    await this.queue.run(symbol, async () => {
      const before = this.deps.clock.now() - olderThanMs;
      const firsts = (await this.deps.store.undelivered(symbol)).filter((order) => order.orderListId !== undefined && order.status === OrderStatus.PENDING_NEW && order.createdAt <= before);
      const seen = new Set<number>();
      for (const first of firsts) {
        if (seen.has(first.orderListId!)) continue;
        seen.add(first.orderListId!);
        const list = await this.deps.store.getList(first.orderListId!);
        if (!list || list.orderIds[0] !== first.orderId || this.inFlight.has(list.orderListId)) continue;
        const orders = (await Promise.all(list.orderIds.map((id) => this.deps.store.get(symbol, id)))).filter((order): order is Order => order !== undefined);
        try {
          for (const order of orders) if (order.sharedHold === undefined || order.sharedHold[0] === order.orderId) await this.hold(order);
          await this.deps.matching.submitBatch(symbol, [listCommand(symbol, list.contingency, orders, units)]);
        } catch {
          // left for the next round
        }
      }
    });
  }

  private async view(list: OrderList): Promise<OrderListView> {
    const orders = await Promise.all(list.orderIds.map((id) => this.deps.store.get(list.symbol, id)));
    return viewOf(list, orders.filter((order): order is Order => order !== undefined));
  }
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

function listCommand(symbol: string, contingency: ContingencyType, orders: readonly Order[], units: ListUnits): Command {
  return create(CommandSchema, {
    symbol,
    timestamp: BigInt(orders[0]!.createdAt),
    kind: { case: "placeList", value: { contingencyType: contingency, orders: orders.map((order) => placeOf(order, units)) } },
  });
}

/** A stored order as matching places it; its budget from what is held (an OCO pair: the shared hold). */
function placeOf(order: Order, units: ListUnits): Omit<PlaceCommand, "$typeName"> {
  const budget = order.side === Side.BUY ? order.holdUnits / units.notionalUnits : order.holdUnits / units.lotUnits;
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
