import { create } from "@bufbuild/protobuf";
import { OrderStatus } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderPage, OrderStore } from "../ports/order-store.port.js";
import type { OrderUpdatePublisher } from "../ports/order-updates.port.js";
import type { WalletGateway } from "../ports/wallet-gateway.port.js";
import { AppliedSequences } from "./applied-sequences.js";
import { ApplyMatchingEvents } from "./apply-matching-events.use-case.js";
import { cancelRejected } from "./matching-reasons.js";
import type { Order, UserTrade } from "./order.js";
import type { OrderQuery, TradeQuery } from "./order-history.js";
import { TradePrices } from "./trade-prices.js";
import type { PlaceRequest } from "./order-intent.js";
import { DONE_STATUSES } from "./order-status.js";
import { FundPendingOrders } from "./fund-pending-orders.use-case.js";
import { OpenOrderLimits } from "./open-order-limits.js";
import { PlaceOrder } from "./place-order.use-case.js";
import { PlaceOrderList } from "./place-order-list.use-case.js";
import { CancelOrderList } from "./cancel-order-list.use-case.js";
import { CANCEL_SETTLE_MS, CancelReplaceOrder, type CancelReplaceOutcome, type CancelReplaceRequest } from "./cancel-replace.use-case.js";
import { QueryOrderLists } from "./query-order-lists.use-case.js";
import { SerialQueue } from "./serial-queue.js";
import { SymbolCatalog } from "./symbol-catalog.js";
import type { SymbolSpec } from "./symbol.js";

export type { CancelReplaceMode, CancelReplaceOutcome, CancelReplaceRequest, CancelRestriction } from "./cancel-replace.use-case.js";

export interface OrdersDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
  readonly wallet: WalletGateway;
  readonly clock: Clock;
  readonly symbols: readonly SymbolSpec[];
  /** How long a placement waits for its own events before answering with what it has. */
  readonly waitMs?: number;
  readonly newClientOrderId?: () => string;
  /** Hears every order change after it is stored (StreamOrderUpdates); none when absent. */
  readonly updates?: OrderUpdatePublisher;
  /** Hears, per stored group of matching's batches, the time of each batch whose trades settled. */
  readonly settled?: (symbol: string, batchTimes: readonly number[]) => void;
  /** Store user notifications with each batch (the notifier's outbox). */
  readonly notices?: boolean;
  readonly onNoticesStored?: () => void;
  /** Runs the application of each group of matching's batches consumed (tracing: a span per group). */
  readonly traceGroup?: (symbol: string, batches: readonly EventBatch[], apply: () => Promise<void>) => Promise<void>;
}

/**
 * The order lifecycle: validate and convert (order-intent), allocate the id, persist (the row
 * is the outbox), hold the budget in wallet, deliver to matching, and apply matching's events
 * (settling trades in wallet, releasing what is left of holds) in sequence order, exactly once.
 */
export class Orders {
  private readonly symbols: SymbolCatalog;
  /** A symbol's commands reach matching one at a time, in order (order ids increase). */
  private readonly queue = new SerialQueue();
  private readonly progress: AppliedSequences;
  private readonly placing: PlaceOrder;
  private readonly events: ApplyMatchingEvents;
  /** Order lists: placed, canceled and read by their own use cases. */
  readonly placingLists: PlaceOrderList;
  readonly cancelingLists: CancelOrderList;
  readonly orderLists: QueryOrderLists;
  /** An OTO's pending orders: funded once the working order filled. */
  private readonly funding: FundPendingOrders;
  private readonly cancelReplacing: CancelReplaceOrder;

  constructor(private readonly deps: OrdersDeps) {
    this.symbols = new SymbolCatalog(deps.symbols);
    this.progress = new AppliedSequences(deps.waitMs);
    const prices = new TradePrices();
    const listLimits = new OpenOrderLimits((accountId, symbol) => deps.store.openOrderCounts(accountId, symbol));
    this.placing = new PlaceOrder(deps, this.symbols, this.queue, this.progress, prices);
    this.funding = new FundPendingOrders(deps, this.symbols, this.queue);
    this.events = new ApplyMatchingEvents(deps, this.symbols, this.progress, prices, this.funding);
    this.placingLists = new PlaceOrderList(deps, this.symbols, this.queue, this.progress, (symbol) => this.placing.referenceOf(symbol), listLimits);
    this.cancelingLists = new CancelOrderList(deps, this.symbols, this.queue, this.progress);
    this.orderLists = new QueryOrderLists(deps.store);
    this.cancelReplacing = new CancelReplaceOrder(deps, this.symbols, this.progress, this.placing, {
      find: (accountId, symbol, orderId, clientOrderId) => this.find(accountId, symbol, orderId, clientOrderId),
      submitCancel: (order) => this.submitCancel(order),
    });
  }

  symbol(symbol: string) {
    return this.symbols.get(symbol);
  }

  /** Takes a symbol's spec from the registry: a new listing, or a changed status or filters. */
  useSymbol(spec: SymbolSpec): void {
    this.symbols.put(spec);
  }

  knowsSymbol(symbol: string): boolean {
    return this.symbols.has(symbol);
  }

  /** The last of matching's sequences applied for `symbol` (here or by another replica). */
  appliedSequence(symbol: string): number {
    return this.progress.head(symbol);
  }

  // ------------------------------------------------------------------ placing

  place(accountId: string, symbol: string, request: PlaceRequest, clientOrderId: string): Promise<Order> {
    return this.placing.place(accountId, symbol, request, clientOrderId);
  }

  /** Delivers orders persisted but not yet handed to matching (after a crash), oldest first. */
  async relay(symbol: string, olderThanMs = 0): Promise<void> {
    await this.placing.relay(symbol, olderThanMs);
    await this.placingLists.relay(symbol, olderThanMs);
    await this.funding.relay(symbol, olderThanMs);
  }

  // ------------------------------------------------------------------ matching's events

  /** Follows a symbol's event stream from the last applied sequence until `signal` aborts. */
  consume(symbol: string, signal: AbortSignal): Promise<void> {
    return this.events.consume(symbol, signal);
  }

  /** Applies one event batch (a batch at or below the applied sequence changes nothing). */
  apply(symbol: string, batch: EventBatch): Promise<void> {
    return this.events.apply(symbol, batch);
  }

  // ------------------------------------------------------------------ canceling

  private async find(accountId: string, symbol: string, orderId: bigint, clientOrderId: string): Promise<Order> {
    this.symbol(symbol);
    const order =
      orderId !== 0n ? await this.deps.store.get(symbol, Number(orderId)) : clientOrderId !== "" ? await this.deps.store.getByClientId(accountId, clientOrderId) : undefined;
    if (orderId === 0n && clientOrderId === "") throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'orderId' or 'origClientOrderId' must be sent.", [{ field: "order_id", description: "orderId or origClientOrderId is required" }]);
    // Another account's order is reported exactly like a missing one.
    if (!order || order.accountId !== accountId || order.symbol !== symbol) throw new DomainError("NO_SUCH_ORDER");
    return order;
  }

  async get(accountId: string, symbol: string, orderId: bigint, clientOrderId: string): Promise<Order> {
    return this.find(accountId, symbol, orderId, clientOrderId);
  }

  async cancel(accountId: string, symbol: string, orderId: bigint, clientOrderId: string): Promise<Order> {
    const order = await this.find(accountId, symbol, orderId, clientOrderId);
    const sequence = await this.submitCancel(order);
    await this.progress.waitFor(symbol, sequence);
    return (await this.deps.store.get(symbol, order.orderId))!;
  }

  /** Asks matching to cancel an open order; answers the sequence of the cancel's events. */
  private async submitCancel(order: Order): Promise<number> {
    if (DONE_STATUSES.has(order.status)) throw new DomainError("CANCEL_REJECTED", "Unknown order sent.");
    const { symbol } = order;
    const batch = await this.queue.run(symbol, () =>
      this.deps.matching.submit(
        create(CommandSchema, { symbol, timestamp: BigInt(this.deps.clock.now()), kind: { case: "cancel", value: { orderId: BigInt(order.orderId), accountId: order.accountId } } }),
      ),
    );
    if (batch === "duplicate") throw new DomainError("CANCEL_REJECTED");
    const rejected = batch.events.find((event) => event.kind.case === "rejected");
    if (rejected?.kind.case === "rejected") throw cancelRejected(rejected.kind.value.reason);
    return Number(batch.sequence);
  }

  // ------------------------------------------------------------------ cancel-replace

  /** Binance's order/cancelReplace (see CancelReplaceOrder). */
  cancelReplace(request: CancelReplaceRequest): Promise<CancelReplaceOutcome> {
    return this.cancelReplacing.cancelReplace(request);
  }

  // ------------------------------------------------------------------ amend (keepPriority)

  /**
   * Binance's order/amend/keepPriority: lowers an open order's quantity to `newQty` (its new
   * original quantity, above what it executed and below what it had) where it rests, keeping
   * its place in the queue. Matching amends the OPEN quantity, so the order's fills must be
   * current: under the symbol's queue (no other command can be submitted) the consumer is first
   * brought up to matching's head. The freed part of the hold is released when the consumer
   * applies the amendment (wallet ReduceHold, idempotent by the batch's sequence).
   */
  async amend(accountId: string, symbol: string, orderId: bigint, clientOrderId: string, newQty: string): Promise<Order> {
    const { units } = this.symbol(symbol);
    const newLots = units.lots("newQty", newQty);
    if (newLots <= 0n) throw new DomainError("INVALID_PARAMETER", "newQty must be greater than zero.", [{ field: "new_qty", description: "must be > 0" }]);
    const found = await this.find(accountId, symbol, orderId, clientOrderId);
    const sequence = await this.queue.run(symbol, async () => {
      const head = await this.deps.matching.headSequence(symbol);
      await this.progress.settleWithin(symbol, head, CANCEL_SETTLE_MS);
      if (this.progress.head(symbol) < head) throw new DomainError("TIMEOUT");
      const order = (await this.deps.store.get(symbol, found.orderId))!;
      if (order.status !== OrderStatus.NEW && order.status !== OrderStatus.PARTIALLY_FILLED) throw new DomainError("NO_SUCH_ORDER");
      if (newLots >= order.quantityLots) throw new DomainError("INVALID_PARAMETER", "Order amend (quantity increase) is not supported.", [{ field: "new_qty", description: "must be less than the order's quantity" }]);
      if (newLots <= order.filledLots) throw new DomainError("INVALID_PARAMETER", "newQty must be greater than the executed quantity.", [{ field: "new_qty", description: "must be above executedQty" }]);
      const batch = await this.deps.matching.submit(
        create(CommandSchema, {
          symbol,
          timestamp: BigInt(this.deps.clock.now()),
          kind: { case: "amend", value: { orderId: BigInt(order.orderId), accountId, newQuantityLots: String(newLots - order.filledLots) } },
        }),
      );
      if (batch === "duplicate") throw new DomainError("NEW_ORDER_REJECTED", "Order amend rejected.");
      const rejected = batch.events.find((event) => event.kind.case === "rejected");
      if (rejected?.kind.case === "rejected") {
        const reason = rejected.kind.value.reason;
        if (reason === "UNKNOWN_ORDER" || reason === "NOT_OWNER") throw new DomainError("NO_SUCH_ORDER");
        throw new DomainError("NEW_ORDER_REJECTED", reason === "NOT_AMENDABLE" ? "Order amend is not supported for this order." : `Order amend rejected (${reason}).`, [], { matchingReason: reason });
      }
      return Number(batch.sequence);
    });
    await this.progress.waitFor(symbol, sequence);
    return (await this.deps.store.get(symbol, found.orderId))!;
  }

  async cancelAll(accountId: string, symbol: string): Promise<Order[]> {
    this.symbol(symbol);
    const open = await this.deps.store.listOpen(accountId, symbol);
    const batch = await this.queue.run(symbol, () =>
      this.deps.matching.submit(create(CommandSchema, { symbol, timestamp: BigInt(this.deps.clock.now()), kind: { case: "cancelAll", value: { accountId } } })),
    );
    if (batch !== "duplicate") await this.progress.waitFor(symbol, Number(batch.sequence));
    const after = await Promise.all(open.map((order) => this.deps.store.get(symbol, order.orderId)));
    return after.filter((order): order is Order => order !== undefined && order.status === OrderStatus.CANCELED);
  }

  listOpen(accountId: string, symbol: string): Promise<Order[]> {
    if (symbol !== "") this.symbol(symbol);
    return this.deps.store.listOpen(accountId, symbol === "" ? undefined : symbol);
  }

  list(accountId: string, symbol: string, pageSize: number, pageToken: string): Promise<OrderPage<Order>> {
    this.symbol(symbol);
    return this.deps.store.list(accountId, symbol, clampPage(pageSize), pageToken);
  }

  listTrades(accountId: string, symbol: string, pageSize: number, pageToken: string): Promise<OrderPage<UserTrade>> {
    this.symbol(symbol);
    return this.deps.store.listTrades(accountId, symbol, clampPage(pageSize), pageToken);
  }

  /** Binance allOrders, selected by the store (the query is checked by orderQueryOf). */
  findOrders(accountId: string, symbol: string, query: OrderQuery): Promise<Order[]> {
    this.symbol(symbol);
    return this.deps.store.findOrders(accountId, symbol, query);
  }

  /** Binance myTrades, selected by the store (the query is checked by tradeQueryOf). */
  findTrades(accountId: string, symbol: string, query: TradeQuery): Promise<UserTrade[]> {
    this.symbol(symbol);
    return this.deps.store.findTrades(accountId, symbol, query);
  }

}

function clampPage(pageSize: number): number {
  return pageSize <= 0 ? 500 : Math.min(pageSize, 1000);
}
