import { create } from "@bufbuild/protobuf";
import { OrderStatus, OrderType, Side } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema, UpdateReason, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { formatUnits, parseUnits } from "#kit/money/decimal.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderPage, OrderStore } from "../ports/order-store.port.js";
import type { OrderUpdatePublisher } from "../ports/order-updates.port.js";
import type { TradeFees, TradeSettlement, WalletGateway } from "../ports/wallet-gateway.port.js";
import { cancelRejected, placementRejected } from "./matching-reasons.js";
import { holdIdOf, tradeIdOf, type Order, type UserTrade } from "./order.js";
import type { OrderQuery, TradeQuery } from "./order-history.js";
import type { ExecutionType, OrderUpdate } from "./order-update.event.js";
import { orderIntent, type PlaceRequest } from "./order-intent.js";
import { SerialQueue } from "./serial-queue.js";
import type { SymbolSpec } from "./symbol.js";
import { SymbolUnits } from "./symbol-units.js";

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
}

/** Binance's cancelReplaceMode. */
export type CancelReplaceMode = "STOP_ON_FAILURE" | "ALLOW_FAILURE";
/** Binance's cancelRestrictions ("NONE": any open order). */
export type CancelRestriction = "NONE" | "ONLY_NEW" | "ONLY_PARTIALLY_FILLED";

export interface CancelReplaceRequest {
  readonly accountId: string;
  readonly symbol: string;
  /** The order to cancel: by id, or (when 0) by its client order id. */
  readonly cancelOrderId: bigint;
  readonly cancelClientOrderId: string;
  readonly place: PlaceRequest;
  /** The new order's client order id; "" generates one. Reusing one makes the request a retry. */
  readonly clientOrderId: string;
  readonly mode: CancelReplaceMode;
  readonly restriction: CancelRestriction;
}

/**
 * How each half of a cancel-replace went. A half that failed carries its error (a DomainError,
 * or an error a service answered with); the new order is not attempted after a failed cancel
 * in STOP_ON_FAILURE mode.
 */
export interface CancelReplaceOutcome {
  readonly canceled?: Order;
  readonly cancelError?: unknown;
  readonly placeAttempted: boolean;
  readonly placed?: Order;
  readonly placeError?: unknown;
}

/** How long a cancel-replace waits for the cancel's events (its hold released) before placing anyway. */
const CANCEL_SETTLE_MS = 10_000;

const DONE = new Set([OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.EXPIRED, OrderStatus.EXPIRED_IN_MATCH, OrderStatus.REJECTED]);

/** An update of the batch being applied, before its trade's fee is known. */
interface Draft {
  readonly order: Order;
  readonly executionType: ExecutionType;
  readonly rejectReason: string;
  /** TRADE: the settlement's index in the batch and which side of it the order took. */
  readonly fill?: { readonly index: number; readonly buyer: boolean; readonly isMaker: boolean; readonly tradeId: number; readonly priceTicks: bigint; readonly quantityLots: bigint; readonly quoteUnits: bigint };
}

/** What a matching status change is reported as (fills are reported by their trades). */
const REPORTED: Partial<Record<OrderStatus, ExecutionType>> = {
  [OrderStatus.CANCELED]: "CANCELED",
  [OrderStatus.EXPIRED]: "EXPIRED",
  [OrderStatus.EXPIRED_IN_MATCH]: "TRADE_PREVENTION",
};

interface Waiter {
  readonly sequence: number;
  readonly resolve: () => void;
}

/**
 * The order lifecycle: validate and convert (order-intent), allocate the id, persist (the row
 * is the outbox), hold the budget in wallet, deliver to matching, and apply matching's events
 * (settling trades in wallet, releasing what is left of holds) in sequence order, exactly once.
 */
export class Orders {
  private readonly symbols = new Map<string, { spec: SymbolSpec; units: SymbolUnits }>();
  private readonly queue = new SerialQueue();
  private readonly applied = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly rejections = new Map<string, string>();

  constructor(private readonly deps: OrdersDeps) {
    for (const spec of deps.symbols) this.symbols.set(spec.symbol, { spec, units: new SymbolUnits(spec) });
  }

  symbol(symbol: string) {
    const found = this.symbols.get(symbol);
    if (!found) throw new DomainError("BAD_SYMBOL", "Invalid symbol.", [{ field: "symbol", description: `unknown symbol ${symbol}` }]);
    return found;
  }

  // ------------------------------------------------------------------ placing

  async place(accountId: string, symbol: string, request: PlaceRequest, clientOrderId: string): Promise<Order> {
    const { spec, units } = this.symbol(symbol);
    if (clientOrderId !== "") {
      const existing = await this.deps.store.getByClientId(accountId, clientOrderId);
      if (existing) return existing;
    }
    const needsTouch = request.side === Side.BUY && request.type !== OrderType.LIMIT && request.type !== OrderType.LIMIT_MAKER && request.quoteOrderQty === "" && request.price === "";
    const bestAsk = needsTouch ? await this.deps.matching.bestAskTicks(symbol) : undefined;
    const intent = orderIntent(request, spec, units, bestAsk);
    const outcome = await this.queue.run(symbol, async (): Promise<{ existing: Order } | { sequence?: number; orderId: number }> => {
      const now = this.deps.clock.now();
      const orderId = await this.deps.store.nextOrderId(symbol);
      const order: Order = {
        symbol,
        orderId,
        accountId,
        clientOrderId: clientOrderId || (this.deps.newClientOrderId?.() ?? `x-${symbol}-${orderId}`),
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
      const { order: stored, created } = await this.deps.store.insert(order);
      if (!created) return { existing: stored };
      return this.deliver(stored, intent.budget, intent.quoteNotional);
    });
    if ("existing" in outcome) return outcome.existing;
    return this.settled(symbol, outcome.sequence, outcome.orderId);
  }

  /** Holds the budget and hands the order to matching. Runs under the symbol's queue. */
  private async deliver(order: Order, budget: bigint, quoteNotional: bigint): Promise<{ sequence?: number; orderId: number }> {
    const { spec } = this.symbol(order.symbol);
    try {
      const scale = order.holdAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale;
      await this.deps.wallet.hold(holdIdOf(order.symbol, order.orderId), order.accountId, order.holdAsset, formatUnits(order.holdUnits, scale));
    } catch (error) {
      order.status = OrderStatus.REJECTED;
      order.submitted = true;
      order.updatedAt = this.deps.clock.now();
      await this.deps.store.update(order);
      this.deps.updates?.publish([{ order: { ...order }, executionType: "REJECTED", rejectReason: "HOLD_REFUSED", time: order.updatedAt, balancesChanged: false }]);
      throw error;
    }
    const command = create(CommandSchema, {
      symbol: order.symbol,
      timestamp: BigInt(order.createdAt),
      kind: {
        case: "place",
        value: {
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
        },
      },
    });
    const batch = await this.deps.matching.submit(command);
    order.submitted = true;
    await this.deps.store.update(order);
    return { sequence: batch === "duplicate" ? undefined : Number(batch.sequence), orderId: order.orderId };
  }

  /** Waits (bounded) until the consumer applied `sequence`, then answers with the stored order or its rejection. */
  private async settled(symbol: string, sequence: number | undefined, orderId: number): Promise<Order> {
    if (sequence !== undefined) await this.waitFor(symbol, sequence);
    const rejection = this.rejections.get(`${symbol}:${orderId}`);
    if (rejection !== undefined) {
      this.rejections.delete(`${symbol}:${orderId}`);
      throw placementRejected(rejection);
    }
    return (await this.deps.store.get(symbol, orderId))!;
  }

  private waitFor(symbol: string, sequence: number): Promise<void> {
    if ((this.applied.get(symbol) ?? 0) >= sequence) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.deps.waitMs ?? 3_000);
      const list = this.waiters.get(symbol) ?? [];
      list.push({ sequence, resolve: () => (clearTimeout(timer), resolve()) });
      this.waiters.set(symbol, list);
    });
  }

  /** Delivers orders persisted but not yet handed to matching (after a crash), oldest first. */
  async relay(symbol: string): Promise<void> {
    await this.queue.run(symbol, async () => {
      for (const order of await this.deps.store.undelivered(symbol)) {
        if (order.status !== OrderStatus.PENDING_NEW) continue;
        const { units } = this.symbol(symbol);
        const buy = order.side === Side.BUY;
        const quoteNotional = order.quoteOrderUnits === 0n ? 0n : order.quoteOrderUnits / units.notionalUnits;
        const budget = buy ? order.holdUnits / units.notionalUnits : order.quantityLots;
        await this.deliver(order, budget, quoteNotional).catch(() => undefined);
      }
    });
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
    await this.waitFor(symbol, sequence);
    return (await this.deps.store.get(symbol, order.orderId))!;
  }

  /** Asks matching to cancel an open order; answers the sequence of the cancel's events. */
  private async submitCancel(order: Order): Promise<number> {
    if (DONE.has(order.status)) throw new DomainError("CANCEL_REJECTED", "Unknown order sent.");
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

  /**
   * Binance's order/cancelReplace: cancel one order, then place another on the same symbol.
   * The new order's parameters and filters are checked first (a bad new order changes nothing,
   * as Binance). The cancel goes to matching and its events are applied (the old hold released)
   * before the new order is placed, so the new order may use the funds the old one held. A
   * failed cancel stops the request in STOP_ON_FAILURE mode; ALLOW_FAILURE places anyway.
   *
   * Retries: a request whose clientOrderId already names an order of the account on this symbol
   * cancels and places nothing again; it answers with the cancel target's and that order's
   * current state. Another account's order is reported like a missing one.
   */
  async cancelReplace(request: CancelReplaceRequest): Promise<CancelReplaceOutcome> {
    const { accountId, symbol } = request;
    const { spec, units } = this.symbol(symbol);
    if (request.cancelOrderId === 0n && request.cancelClientOrderId === "") {
      throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'cancelOrderId' or 'cancelOrigClientOrderId' must be sent.", [
        { field: "cancel.order_id", description: "cancelOrderId or cancelOrigClientOrderId is required" },
      ]);
    }
    if (request.clientOrderId !== "") {
      const existing = await this.deps.store.getByClientId(accountId, request.clientOrderId);
      if (existing) return this.replayedCancelReplace(request, existing);
    }
    // Dry run of the new order's checks (filters, units): throws before anything changes.
    const place = request.place;
    const needsTouch = place.side === Side.BUY && place.type !== OrderType.LIMIT && place.type !== OrderType.LIMIT_MAKER && place.quoteOrderQty === "" && place.price === "";
    orderIntent(place, spec, units, needsTouch ? await this.deps.matching.bestAskTicks(symbol) : undefined);

    let canceled: Order | undefined;
    let cancelError: unknown;
    try {
      const target = await this.cancelTarget(request);
      const sequence = await this.submitCancel(target);
      await this.settleWithin(symbol, sequence, CANCEL_SETTLE_MS);
      canceled = (await this.deps.store.get(symbol, target.orderId))!;
    } catch (error) {
      // Only refusals are a failed cancel; anything else (matching unreachable) leaves the
      // outcome unknown and is the caller's error, with nothing placed.
      if (!(error instanceof DomainError)) throw error;
      cancelError = error;
    }
    if (cancelError !== undefined && request.mode === "STOP_ON_FAILURE") return { cancelError, placeAttempted: false };
    try {
      const placed = await this.place(accountId, symbol, place, request.clientOrderId);
      return { canceled, cancelError, placeAttempted: true, placed };
    } catch (error) {
      return { canceled, cancelError, placeAttempted: true, placeError: error };
    }
  }

  /** The order a cancel-replace cancels, with its restriction applied; unknown and foreign orders alike are Binance's -2011. */
  private async cancelTarget(request: CancelReplaceRequest): Promise<Order> {
    let target: Order;
    try {
      target = await this.find(request.accountId, request.symbol, request.cancelOrderId, request.cancelClientOrderId);
    } catch (error) {
      if (error instanceof DomainError && error.key === "NO_SUCH_ORDER") throw new DomainError("CANCEL_REJECTED", "Unknown order sent.");
      throw error;
    }
    const allowed =
      request.restriction === "ONLY_NEW" ? target.status === OrderStatus.NEW : request.restriction === "ONLY_PARTIALLY_FILLED" ? target.status === OrderStatus.PARTIALLY_FILLED : true;
    if (!allowed && !DONE.has(target.status)) throw new DomainError("CANCEL_REJECTED", "Order was not canceled due to cancel restrictions.");
    return target;
  }

  /** A cancel-replace whose new client order id is taken: report, change nothing. */
  private async replayedCancelReplace(request: CancelReplaceRequest, existing: Order): Promise<CancelReplaceOutcome> {
    const target = await this.cancelTarget({ ...request, restriction: "NONE" }).catch(() => undefined);
    if (existing.symbol !== request.symbol || (target && target.orderId === existing.orderId)) {
      throw new DomainError("NEW_ORDER_REJECTED", "Duplicate order sent.", [{ field: "place.client_order_id", description: "names another order" }]);
    }
    const canceled = target?.status === OrderStatus.CANCELED ? target : undefined;
    const cancelError = canceled ? undefined : new DomainError("CANCEL_REJECTED", "Unknown order sent.");
    if (existing.status === OrderStatus.REJECTED) return { canceled, cancelError, placeAttempted: true, placeError: new DomainError("NEW_ORDER_REJECTED", "Order was rejected.") };
    return { canceled, cancelError, placeAttempted: true, placed: existing };
  }

  /** Waits until the consumer applied `sequence` (so the cancel's hold is released), at most `ms`. */
  private async settleWithin(symbol: string, sequence: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while ((this.applied.get(symbol) ?? 0) < sequence && Date.now() < deadline) await this.waitFor(symbol, sequence);
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
      await this.settleWithin(symbol, head, CANCEL_SETTLE_MS);
      if ((this.applied.get(symbol) ?? 0) < head) throw new DomainError("TIMEOUT");
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
    await this.waitFor(symbol, sequence);
    return (await this.deps.store.get(symbol, found.orderId))!;
  }

  async cancelAll(accountId: string, symbol: string): Promise<Order[]> {
    this.symbol(symbol);
    const open = await this.deps.store.listOpen(accountId, symbol);
    const batch = await this.queue.run(symbol, () =>
      this.deps.matching.submit(create(CommandSchema, { symbol, timestamp: BigInt(this.deps.clock.now()), kind: { case: "cancelAll", value: { accountId } } })),
    );
    if (batch !== "duplicate") await this.waitFor(symbol, Number(batch.sequence));
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

  // ------------------------------------------------------------------ matching's events

  /** Follows a symbol's event stream from the last applied sequence until `signal` aborts. */
  async consume(symbol: string, signal: AbortSignal): Promise<void> {
    const last = await this.deps.store.lastSequence(symbol);
    this.markApplied(symbol, last);
    for await (const batch of this.deps.matching.events(symbol, last + 1, signal)) await this.apply(symbol, batch);
  }

  /**
   * Applies one batch: wallet effects first (idempotent by id), then the orders and sequence in
   * one transaction. The batch's trades settle in one wallet call, in event order; the holds its
   * events release are released after that call, in event order, so no hold is released before
   * the trades that draw on it have settled (matching reports a maker's fill right after its
   * trade, before the taker's next trade). Any wallet failure throws before anything is stored:
   * the batch is applied again later, and wallet answers the trades already settled as
   * duplicates with their original fees.
   */
  async apply(symbol: string, batch: EventBatch): Promise<void> {
    const sequence = Number(batch.sequence);
    if (sequence <= (this.applied.get(symbol) ?? 0)) return;
    const { spec, units } = this.symbol(symbol);
    const touched = new Map<number, Order | null>();
    const load = async (orderId: bigint) => {
      const id = Number(orderId);
      if (!touched.has(id)) touched.set(id, (await this.deps.store.get(symbol, id)) ?? null);
      return touched.get(id)!;
    };
    const settlements: TradeSettlement[] = [];
    /** Per settlement, in the same order: its buyer's and seller's UserTrade, short of the fee. */
    const sides: { buyer: Omit<UserTrade, "commissionUnits">; seller: Omit<UserTrade, "commissionUnits"> }[] = [];
    const releases: string[] = [];
    /** Parts of holds freed by amendments that lowered a resting order's quantity. */
    const reductions: { holdId: string; amount: string }[] = [];
    const time = Number(batch.timestamp);
    /** What each touched order has filled so far in this batch (matching reports a taker's total only at its end). */
    const filledSoFar = new Map<number, bigint>();
    const drafts: Draft[] = [];
    const draft = (order: Order, executionType: ExecutionType, rejectReason = "NONE", patch: Partial<Order> = {}, fill?: Draft["fill"]) =>
      drafts.push({ order: { ...order, updatedAt: time, ...patch }, executionType, rejectReason, fill });
    for (const event of batch.events) {
      switch (event.kind.case) {
        case "accepted": {
          const order = await load(event.kind.value.orderId);
          if (order && order.status === OrderStatus.PENDING_NEW) {
            order.status = OrderStatus.NEW;
            draft(order, "NEW");
          }
          break;
        }
        case "rejected": {
          const order = await load(event.kind.value.orderId);
          if (order && order.status === OrderStatus.PENDING_NEW) {
            order.status = OrderStatus.REJECTED;
            this.rejections.set(`${symbol}:${order.orderId}`, event.kind.value.reason);
            releases.push(holdIdOf(symbol, order.orderId));
            draft(order, "REJECTED", event.kind.value.reason);
          }
          break;
        }
        case "trade": {
          const trade = event.kind.value;
          const maker = await load(trade.makerOrderId);
          const taker = await load(trade.takerOrderId);
          if (!maker || !taker) break;
          const takerBuys = trade.takerSide === Side.BUY;
          const [buyer, seller] = takerBuys ? [taker, maker] : [maker, taker];
          const lots = BigInt(trade.quantityLots);
          const ticks = BigInt(trade.priceTicks);
          const base = units.baseOf(lots);
          const quote = units.quoteOf(ticks, lots);
          settlements.push({
            tradeId: tradeIdOf(symbol, Number(trade.tradeId)),
            symbol,
            baseAsset: spec.baseAsset,
            quoteAsset: spec.quoteAsset,
            buyerAccountId: buyer.accountId,
            sellerAccountId: seller.accountId,
            buyerHoldId: holdIdOf(symbol, buyer.orderId),
            sellerHoldId: holdIdOf(symbol, seller.orderId),
            baseAmount: formatUnits(base, spec.baseScale),
            quoteAmount: formatUnits(quote, spec.quoteScale),
            buyerIsMaker: !takerBuys,
          });
          for (const order of [buyer, seller]) order.quoteUnits += quote;
          const common = { symbol, tradeId: Number(trade.tradeId), priceTicks: ticks, quantityLots: lots, quoteUnits: quote, time };
          for (const [order, isBuyer] of [[buyer, true], [seller, false]] as const) {
            const filled = (filledSoFar.get(order.orderId) ?? order.filledLots) + lots;
            filledSoFar.set(order.orderId, filled);
            const status = order.quantityLots > 0n && filled >= order.quantityLots ? OrderStatus.FILLED : OrderStatus.PARTIALLY_FILLED;
            const isMaker = order === maker;
            draft(order, "TRADE", "NONE", { status, filledLots: filled }, { index: settlements.length - 1, buyer: isBuyer, isMaker, tradeId: common.tradeId, priceTicks: ticks, quantityLots: lots, quoteUnits: quote });
          }
          sides.push({
            buyer: { ...common, orderId: buyer.orderId, accountId: buyer.accountId, isBuyer: true, isMaker: !takerBuys, commissionAsset: spec.baseAsset },
            seller: { ...common, orderId: seller.orderId, accountId: seller.accountId, isBuyer: false, isMaker: takerBuys, commissionAsset: spec.quoteAsset },
          });
          break;
        }
        case "orderUpdated": {
          const update = event.kind.value;
          const order = await load(update.orderId);
          if (!order) break;
          order.filledLots = BigInt(update.filledLots);
          if (update.reason === UpdateReason.AMENDED) {
            const total = order.filledLots + BigInt(update.remainingLots);
            const freed = order.quantityLots - total;
            if (freed > 0n) {
              order.quantityLots = total;
              const buy = order.side === Side.BUY;
              reductions.push({
                holdId: holdIdOf(symbol, order.orderId),
                amount: buy ? formatUnits(units.quoteOf(order.priceTicks, freed), spec.quoteScale) : formatUnits(units.baseOf(freed), spec.baseScale),
              });
            }
          }
          if (update.status !== OrderStatus.UNSPECIFIED) order.status = update.status;
          order.updatedAt = time;
          filledSoFar.set(order.orderId, order.filledLots);
          if (DONE.has(order.status)) releases.push(holdIdOf(symbol, order.orderId));
          if (update.reason === UpdateReason.AMENDED) draft(order, "REPLACED");
          else if (update.reason !== UpdateReason.TRIGGERED && REPORTED[order.status]) draft(order, REPORTED[order.status]!);
          break;
        }
        default:
          break;
      }
    }
    const fees = settlements.length > 0 ? await this.deps.wallet.settleMany(settlements) : [];
    const trades: UserTrade[] = sides.flatMap(({ buyer, seller }, index) => [
      { ...buyer, commissionUnits: parseUnits(fees[index]!.buyerFee, spec.baseScale) },
      { ...seller, commissionUnits: parseUnits(fees[index]!.sellerFee, spec.quoteScale) },
    ]);
    for (const { holdId, amount } of reductions) await this.deps.wallet.reduce(holdId, `A${sequence}`, amount);
    for (const holdId of releases) await this.deps.wallet.release(holdId);
    const orders = [...touched.values()].filter((order): order is Order => order !== null);
    const stored = await this.deps.store.applyBatch(symbol, sequence, orders, trades);
    this.markApplied(symbol, sequence);
    // Only the process that stored the batch reports it: another one loaded orders it had already changed.
    // A stored batch is reported even without updates, so a publisher shared between processes knows it is done.
    const updates = this.deps.updates;
    if (updates && stored) updates.publish(drafts.length > 0 ? updatesOf(drafts, fees, spec, (orderId) => touched.get(orderId)?.status, time) : [], { symbol, sequence });
    else if (updates) updates.storedElsewhere?.({ symbol, sequence });
  }

  private markApplied(symbol: string, sequence: number): void {
    this.applied.set(symbol, Math.max(sequence, this.applied.get(symbol) ?? 0));
    const list = this.waiters.get(symbol);
    if (!list) return;
    const still = list.filter((waiter) => {
      if (waiter.sequence > sequence) return true;
      waiter.resolve();
      return false;
    });
    if (still.length > 0) this.waiters.set(symbol, still);
    else this.waiters.delete(symbol);
  }
}

/**
 * The batch's drafts as updates, fees filled in. A fill's status is FILLED when it completed the
 * quantity; an order without one (a market buy by quote amount) learns it from matching's final
 * update, so its last fill of the batch takes the order's final FILLED status.
 */
function updatesOf(drafts: readonly Draft[], fees: readonly TradeFees[], spec: SymbolSpec, finalStatus: (orderId: number) => OrderStatus | undefined, time: number): OrderUpdate[] {
  const lastFill = new Map<number, number>();
  drafts.forEach((d, index) => d.fill && lastFill.set(d.order.orderId, index));
  return drafts.map((d, index): OrderUpdate => {
    const { fill } = d;
    if (!fill) return { order: d.order, executionType: d.executionType, rejectReason: d.rejectReason, time, balancesChanged: true };
    const fee = fees[fill.index]!;
    const completes = lastFill.get(d.order.orderId) === index && finalStatus(d.order.orderId) === OrderStatus.FILLED;
    return {
      order: completes ? { ...d.order, status: OrderStatus.FILLED } : d.order,
      executionType: "TRADE",
      rejectReason: "NONE",
      time,
      balancesChanged: true,
      fill: {
        tradeId: fill.tradeId,
        priceTicks: fill.priceTicks,
        quantityLots: fill.quantityLots,
        quoteUnits: fill.quoteUnits,
        commissionUnits: fill.buyer ? parseUnits(fee.buyerFee, spec.baseScale) : parseUnits(fee.sellerFee, spec.quoteScale),
        commissionAsset: fill.buyer ? spec.baseAsset : spec.quoteAsset,
        isMaker: fill.isMaker,
      },
    };
  });
}

function clampPage(pageSize: number): number {
  return pageSize <= 0 ? 500 : Math.min(pageSize, 1000);
}
