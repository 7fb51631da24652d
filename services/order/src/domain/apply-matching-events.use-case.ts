import { ContingencyType, OrderStatus, Side } from "#gen/exchange/common/v1/common_pb.js";
import { UpdateReason, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { inGroups, untilDone } from "#kit/lifecycle/in-groups.js";
import { formatUnits, parseUnits } from "#kit/money/decimal.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { DiscardedOrders, OrderStore } from "../ports/order-store.port.js";
import type { OrderUpdatePublisher } from "../ports/order-updates.port.js";
import type { TradeFees, TradeSettlement, WalletGateway } from "../ports/wallet-gateway.port.js";
import type { AppliedSequences } from "./applied-sequences.js";
import type { FundPendingOrders } from "./fund-pending-orders.use-case.js";
import { holdOf, tradeIdOf, type Order, type UserTrade } from "./order.js";
import { DONE_STATUSES } from "./order-status.js";
import { viewOf, type OrderList } from "./order-list.js";
import type { ExecutionType, OrderUpdate } from "./order-update.event.js";
import { orderNotices } from "./order-notices.js";
import type { SymbolCatalog } from "./symbol-catalog.js";
import type { SymbolSpec } from "./symbol.js";
import type { TradePrint, TradePrices } from "./trade-prices.js";

export interface ApplyMatchingEventsDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
  readonly wallet: WalletGateway;
  /** Hears every order change after it is stored (StreamOrderUpdates); none when absent. */
  readonly updates?: OrderUpdatePublisher;
  /** Hears, per stored group, matching's time of each batch whose trades it settled (settlement lag). */
  readonly settled?: (symbol: string, batchTimes: readonly number[]) => void;
  /** Store each batch's user notifications with it (the outbox the notifier is fed from). */
  readonly notices?: boolean;
  /** Notices were stored: the outbox relay may look now. */
  readonly onNoticesStored?: () => void;
  /** Runs the application of each group consumed (tracing: a span per group); absent: applied as is. */
  readonly traceGroup?: (symbol: string, batches: readonly EventBatch[], apply: () => Promise<void>) => Promise<void>;
}

/** Event batches applied together at most. */
const MAX_GROUP = 256;

/** An update of the batch being applied, before its trade's fee is known. */
interface Draft {
  readonly order: Order;
  readonly executionType: ExecutionType;
  readonly rejectReason: string;
  readonly expiryReason?: string;
  /** TRADE: the settlement's index in the batch and which side of it the order took. */
  readonly fill?: { readonly index: number; readonly buyer: boolean; readonly isMaker: boolean; readonly tradeId: number; readonly priceTicks: bigint; readonly quantityLots: bigint; readonly quoteUnits: bigint };
}

/** What a matching status change is reported as (fills are reported by their trades). */
const REPORTED: Partial<Record<OrderStatus, ExecutionType>> = {
  [OrderStatus.CANCELED]: "CANCELED",
  [OrderStatus.EXPIRED]: "EXPIRED",
  [OrderStatus.EXPIRED_IN_MATCH]: "TRADE_PREVENTION",
};

/**
 * Applies matching's events to orders, trades and wallet, in sequence order, exactly once per
 * sequence (the store claims each sequence), and tells the placements waiting for them.
 */
export class ApplyMatchingEvents {
  constructor(
    private readonly deps: ApplyMatchingEventsDeps,
    private readonly symbols: SymbolCatalog,
    private readonly progress: AppliedSequences,
    private readonly prices?: TradePrices,
    private readonly funding?: FundPendingOrders,
  ) {}


  /**
   * Follows a symbol's event stream from the last applied sequence until `signal` aborts. The
   * batches that arrived while the previous ones were being applied are applied together.
   */
  async consume(symbol: string, signal: AbortSignal): Promise<void> {
    const last = await this.deps.store.lastSequence(symbol);
    this.progress.mark(symbol, last);
    await untilDone(signal, async (stream) => {
      const trace = this.deps.traceGroup;
      for await (const group of inGroups(this.deps.matching.events(symbol, last + 1, stream), MAX_GROUP)) {
        await (trace ? trace(symbol, group, () => this.applyGroup(symbol, group)) : this.applyGroup(symbol, group));
        this.deps.matching.applied?.(symbol, this.progress.head(symbol));
      }
    });
  }

  /**
   * Whether a done order was the last one drawing on its hold: an OCO's orders share one, released
   * when both are done (matching ends the other in the same command, or it goes on trading).
   */
  private async lastOfHold(order: Order, load: (orderId: bigint) => Promise<Order | null>): Promise<boolean> {
    if (order.sharedHold === undefined) return true;
    for (const id of order.sharedHold) {
      if (id === order.orderId) continue;
      const other = await load(BigInt(id));
      if (other && !DONE_STATUSES.has(other.status)) return false;
    }
    return true;
  }

  /** The lists of the drafts' orders, with every order as it stands after the group. */
  private async listsOf(symbol: string, drafts: readonly Draft[], touched: ReadonlyMap<number, Order | null>): Promise<Map<number, { list: OrderList; orders: Map<number, Order> }>> {
    const out = new Map<number, { list: OrderList; orders: Map<number, Order> }>();
    for (const { order } of drafts) {
      const id = order.orderListId;
      if (id === undefined || out.has(id)) continue;
      const list = await this.deps.store.getList(id);
      if (!list) continue;
      const orders = new Map<number, Order>();
      for (const orderId of list.orderIds) {
        const leg = touched.get(orderId) ?? (await this.deps.store.get(symbol, orderId));
        if (leg) orders.set(orderId, leg);
      }
      out.set(id, { list, orders });
    }
    return out;
  }

  /**
   * The OTO / OTOCO lists whose working order is FILLED after this group and whose pending orders (as stored: they
   * have no events of their own yet, so they are no touched order) still wait for their funds to be decided.
   */
  private async fillsToFund(symbol: string, touched: ReadonlyMap<number, Order | null>): Promise<{ list: OrderList; pending: Order[] }[]> {
    const out: { list: OrderList; pending: Order[] }[] = [];
    for (const order of touched.values()) {
      if (!order || order.orderListId === undefined || order.sharedHold !== undefined || order.status !== OrderStatus.FILLED) continue;
      const list = await this.deps.store.getList(order.orderListId);
      if (!list || list.orderIds[0] !== order.orderId || list.contingency === ContingencyType.OCO) continue;
      const ids = list.orderIds.slice(1);
      if (ids.some((id) => touched.has(id))) continue; // their own events are here: placed or ended already
      const pending = await this.deps.store.getMany(symbol, ids);
      if (pending.length === ids.length && pending.every((leg) => leg.status === OrderStatus.PENDING_NEW && !leg.submitted && leg.pendingFunds === undefined)) out.push({ list, pending });
    }
    return out;
  }

  /**
   * Another replica stored these batches first, with its own decision on the pending orders' funds: a hold taken
   * here that it did not take (it found the account short a moment earlier) is released, so no hold is left that no
   * order draws on.
   */
  private async releaseUnstoredFunds(symbol: string, fundings: readonly { pending: readonly Order[] }[]): Promise<void> {
    for (const { pending } of fundings) {
      if (!pending.some((order) => order.pendingFunds?.held)) continue;
      const stored = await this.deps.store.getMany(symbol, pending.map((order) => order.orderId));
      if (stored.some((order) => order.pendingFunds?.held !== true)) await this.deps.wallet.release(holdOf(pending[0]!));
    }
  }

  /** The lists every order of which matching rejected at placement (a refused list command: rejected together). */
  private async refusedLists(rejectedNew: ReadonlyMap<number, ReadonlySet<number>>): Promise<OrderList[]> {
    const refused: OrderList[] = [];
    for (const [id, rejected] of rejectedNew) {
      const list = await this.deps.store.getList(id);
      if (list && list.orderIds.every((orderId) => rejected.has(orderId))) refused.push(list);
    }
    return refused;
  }

  /** Applies one batch (a batch at or below the applied sequence changes nothing). */
  apply(symbol: string, batch: EventBatch): Promise<void> {
    return this.applyGroup(symbol, [batch]);
  }

  /**
   * Applies consecutive batches: wallet effects first (idempotent by id), then the orders and the
   * last sequence in one transaction. The trades settle in one wallet call, in event order; the
   * holds the events release are released after that call, so no hold is released before the
   * trades that draw on it have settled (matching reports a maker's fill right after its trade,
   * before the taker's next trade). A cancel-replace whose new order its target funds splits the
   * call: the trades before it settle, then the target's hold ends into the new order's (one
   * wallet command, the target's release), then the trades after it, the new order's among them.
   * Any wallet failure throws before anything is stored: the
   * batches are applied again later, and wallet answers the trades already settled as duplicates
   * with their original fees. When another replica stored part of the group first, each batch is
   * applied on its own again, so the store claims them one by one.
   */
  private async applyGroup(symbol: string, all: readonly EventBatch[]): Promise<void> {
    const batches = all.filter((batch) => Number(batch.sequence) > this.progress.head(symbol));
    if (batches.length === 0) return;
    const { spec, units } = this.symbols.get(symbol);
    const touched = new Map<number, Order | null>();
    // The group's orders in one read, not one per event.
    const ids = orderIdsOf(batches);
    const found = new Map((await this.deps.store.getMany(symbol, ids)).map((order) => [order.orderId, order]));
    for (const id of ids) {
      const order = found.get(id) ?? null;
      // Its events are here, so matching has it: stored with them, the row leaves the outbox.
      if (order) order.submitted = true;
      touched.set(id, order);
    }
    const load = async (orderId: bigint) => {
      const id = Number(orderId);
      if (!touched.has(id)) {
        const order = (await this.deps.store.get(symbol, id)) ?? null;
        // Its events are here, so matching has it: stored with them, the row leaves the outbox.
        if (order) order.submitted = true;
        touched.set(id, order);
      }
      return touched.get(id)!;
    };
    const settlements: TradeSettlement[] = [];
    /** Per settlement, in the same order: its buyer's and seller's UserTrade, short of the fee. */
    const sides: { buyer: Omit<UserTrade, "commissionUnits">; seller: Omit<UserTrade, "commissionUnits"> }[] = [];
    const releases: string[] = [];
    /** Parts of holds freed by amendments that lowered a resting order's quantity (idempotent per batch). */
    const reductions: { holdId: string; requestId: string; amount: string }[] = [];
    /**
     * Holds a cancel-replace ended by moving part of them into its new order's (instead of releasing them), each
     * after the settlements and reductions that precede it in event order, before those that follow.
     */
    const moves: { settlements: number; reductions: number; holdId: string; toHoldId: string; amount: string }[] = [];
    /** Per batch: what to report once stored, and each reported order's status at the batch's end. */
    const reports: { sequence: number; time: number; drafts: Draft[]; finals: Map<number, OrderStatus | undefined> }[] = [];
    /** Per list, its orders matching rejected at placement (PENDING_NEW) in this group. */
    const rejectedNew = new Map<number, Set<number>>();
    /** Lone placements (no list, no cancel-replace) matching rejected at placement in this group. */
    const refusedAlone: number[] = [];
    /** Every trade of the group, whoever's, at its batch's time (the average price's window). */
    const prints: TradePrint[] = [];
    /** Matching's time of each batch with trades. */
    const tradeTimes: number[] = [];
    for (const batch of batches) {
      const sequence = Number(batch.sequence);
      const time = Number(batch.timestamp);
      /** What each touched order has filled so far in this batch (matching reports a taker's total only at its end). */
      const filledSoFar = new Map<number, bigint>();
      /** The orders this batch canceled (a cancel-replace's target among them). */
      const canceled = new Set<number>();
      const drafts: Draft[] = [];
      const draft = (order: Order, executionType: ExecutionType, rejectReason = "NONE", patch: Partial<Order> = {}, fill?: Draft["fill"], expiryReason?: string) =>
        drafts.push({ order: { ...order, updatedAt: time, ...patch }, executionType, rejectReason, fill, ...(expiryReason ? { expiryReason } : {}) });
      for (const event of batch.events) {
        switch (event.kind.case) {
          case "accepted": {
            const order = await load(event.kind.value.orderId);
            // Whatever its stored status (another replica may have stored the batch), so every application moves the same.
            const funded = order?.replaces?.fundedByTarget ?? 0n;
            if (order && funded > 0n) {
              // Matching accepts a replacement funded by its target only once this command canceled the target.
              const target = canceled.has(order.replaces!.orderId) ? await load(BigInt(order.replaces!.orderId)) : null;
              if (!target) throw new Error(`${symbol}:${order.orderId} was accepted without the cancel of ${order.replaces!.orderId} that funds it (sequence ${sequence})`);
              const holdId = holdOf(target);
              const at = releases.lastIndexOf(holdId);
              if (at >= 0) releases.splice(at, 1);
              const scale = order.holdAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale;
              moves.push({ settlements: settlements.length, reductions: reductions.length, holdId, toHoldId: holdOf(order), amount: formatUnits(funded, scale) });
            }
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
              this.progress.rejected(symbol, order.orderId, event.kind.value.reason);
              if (order.orderListId !== undefined) rejectedNew.set(order.orderListId, (rejectedNew.get(order.orderListId) ?? new Set()).add(order.orderId));
              // a cancel-replace's new order stays REJECTED and reported, as on Binance
              else if (order.replaces === undefined) refusedAlone.push(order.orderId);
              if (await this.lastOfHold(order, load)) releases.push(holdOf(order));
              draft(order, "REJECTED", event.kind.value.reason);
            } else if (!order) {
              // Another replica stored the batch first and removed the refused order: its placement, if it waits
              // here, still learns why.
              this.progress.rejected(symbol, Number(event.kind.value.orderId), event.kind.value.reason);
            }
            break;
          }
          case "trade": {
            const trade = event.kind.value;
            prints.push({ tradeId: Number(trade.tradeId), time, priceTicks: BigInt(trade.priceTicks), quantityLots: BigInt(trade.quantityLots) });
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
              buyerHoldId: holdOf(buyer),
              sellerHoldId: holdOf(seller),
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
                  holdId: holdOf(order),
                  requestId: `A${sequence}`,
                  amount: buy ? formatUnits(units.quoteOf(order.priceTicks, freed), spec.quoteScale) : formatUnits(units.baseOf(freed), spec.baseScale),
                });
              }
            }
            if (update.status !== OrderStatus.UNSPECIFIED) order.status = update.status;
            if (update.status === OrderStatus.CANCELED) canceled.add(order.orderId);
            order.updatedAt = time;
            filledSoFar.set(order.orderId, order.filledLots);
            if (DONE_STATUSES.has(order.status) && (await this.lastOfHold(order, load))) releases.push(holdOf(order));
            if (update.reason === UpdateReason.AMENDED) draft(order, "REPLACED");
            else if (update.reason === UpdateReason.TRIGGERED) {
              // Binance reports a stop's trigger as NEW with the order now working (w, W).
              order.workingTime = time;
              draft(order, "NEW");
            } else if (update.reason === UpdateReason.TRAILING_ACTIVATED) {
              // Binance sends no executionReport for it: later reports and queries show trailingTime.
              order.trailingTime = time;
            } else if (order.status === OrderStatus.EXPIRED && order.pendingFunds?.held === false) {
              // an OTO's pending order the account could not fund once its working order filled: Binance's eR
              draft(order, "EXPIRED", "NONE", {}, undefined, "REJECTED");
            } else if (REPORTED[order.status]) draft(order, REPORTED[order.status]!);
            break;
          }
          default:
            break;
        }
      }
      if (drafts.some((d) => d.fill)) tradeTimes.push(time);
      reports.push({ sequence, time, drafts, finals: new Map(drafts.map((d) => [d.order.orderId, touched.get(d.order.orderId)?.status])) });
    }
    // OTO / OTOCO working orders filled in this group: their pending orders' funds are held (or refused) now, after
    // the fill's trades settled and the group's finished orders released their holds (what the account has then
    // counts, the proceeds included, as on Binance), and the decision is stored with the batch
    const fundings = this.funding ? await this.fillsToFund(symbol, touched) : [];
    const fees = await this.settleAndRelease(settlements, reductions, moves, releases);
    const decidedAt = reports[reports.length - 1]!.time;
    for (const funding of fundings) {
      const held = await this.funding!.hold(funding.pending);
      for (const order of funding.pending) order.pendingFunds = { held, at: decidedAt };
    }
    const trades: UserTrade[] = sides.flatMap(({ buyer, seller }, index) => [
      { ...buyer, commissionUnits: parseUnits(fees[index]!.buyerFee, spec.baseScale) },
      { ...seller, commissionUnits: parseUnits(fees[index]!.sellerFee, spec.quoteScale) },
    ]);
    // A lone order or a list matching refused whole at placement leaves no trace, as on Binance: its rows go, nothing
    // is reported (its hold is released above all the same).
    const refused = await this.refusedLists(rejectedNew);
    const discarded: DiscardedOrders[] = [...refused.map((list) => ({ orderIds: list.orderIds, orderListId: list.orderListId })), ...(refusedAlone.length > 0 ? [{ orderIds: refusedAlone }] : [])];
    const gone = new Set(discarded.flatMap((entry) => entry.orderIds));
    if (gone.size > 0) for (const report of reports) report.drafts = report.drafts.filter((d) => !gone.has(d.order.orderId));
    const orders = [...[...touched.values()].filter((order): order is Order => order !== null && !gone.has(order.orderId)), ...fundings.flatMap((funding) => funding.pending)];
    const first = reports[0]!.sequence;
    const last = reports[reports.length - 1]!.sequence;
    const updates = this.deps.updates;
    // Each batch's updates, made once for the notices stored with the batch and for the live publisher.
    const produced =
      updates || this.deps.notices ? reports.map(({ time, drafts, finals }) => (drafts.length > 0 ? updatesOf(drafts, fees, spec, (orderId) => finals.get(orderId), time) : [])) : undefined;
    const notices = this.deps.notices && produced ? reports.flatMap(({ sequence }, index) => orderNotices(symbol, sequence, produced[index]!, units)) : undefined;
    const stored = await this.deps.store.applyBatch(symbol, last, orders, trades, first, notices, discarded.length > 0 ? discarded : undefined);
    if (!stored && batches.length > 1) {
      for (const batch of batches) await this.applyGroup(symbol, [batch]);
      return;
    }
    if (!stored && fundings.length > 0) await this.releaseUnstoredFunds(symbol, fundings);
    // Matching is told what was decided (FUND_PENDING) once it is stored; a failure is left to the relay.
    if (stored) for (const { list } of fundings) void this.funding!.deliver(symbol, list.orderIds[0]!, list.orderIds.slice(1));
    // What this process wrote is what its placements answer with; another replica's write is read back.
    if (stored) this.progress.stored(symbol, orders);
    // Every replica sees every trade here, whichever stored it: prices stay current on all, and a
    // placement answered after this group is judged with its trades.
    this.prices?.record(symbol, prints);
    this.progress.mark(symbol, last);
    if (stored && tradeTimes.length > 0) this.deps.settled?.(symbol, tradeTimes);
    if (stored && notices && notices.length > 0) this.deps.onNoticesStored?.();
    const lists = updates && stored ? await this.listsOf(symbol, reports.flatMap(({ drafts }) => drafts), touched) : undefined;
    // Only the process that stored the batch reports it: another one loaded orders it had already changed.
    // A stored batch is reported even without updates, so a publisher shared between processes knows it is done.
    reports.forEach(({ sequence }, index) => {
      if (updates && stored) updates.publish(withListStatus(produced![index]!, lists!), { symbol, sequence });
      else if (updates) updates.storedElsewhere?.({ symbol, sequence });
    });
  }

  /**
   * Wallet's part of a group in one call: the trades settled, in order, then, once every one settled, the finished
   * orders' holds released. Amendments that lowered a resting order's hold go between the two, in their own calls,
   * since a reduction must not follow its hold's release. A cancel-replace whose target funds its new order splits
   * the trades: those before it settle (and the reductions before it apply), then the target's hold ends into the new
   * order's, then the rest, the new order's own trades among them, which draw on what was moved.
   */
  private async settleAndRelease(
    settlements: readonly TradeSettlement[],
    reductions: readonly { holdId: string; requestId: string; amount: string }[],
    moves: readonly { settlements: number; reductions: number; holdId: string; toHoldId: string; amount: string }[],
    releases: readonly string[],
  ): Promise<TradeFees[]> {
    const wallet = this.deps.wallet;
    const fees: TradeFees[] = [];
    let reduced = 0;
    for (const move of moves) {
      if (move.settlements > fees.length) fees.push(...(await wallet.settleMany(settlements.slice(fees.length, move.settlements))));
      for (; reduced < move.reductions; reduced += 1) {
        const { holdId, requestId, amount } = reductions[reduced]!;
        await wallet.reduce(holdId, requestId, amount);
      }
      await wallet.moveHold(move.holdId, move.toHoldId, move.amount);
    }
    const trades = settlements.slice(fees.length);
    const rest = reductions.slice(reduced);
    if (rest.length === 0) return [...fees, ...(await wallet.settleAndRelease(trades, releases))];
    if (trades.length > 0) fees.push(...(await wallet.settleMany(trades)));
    for (const { holdId, requestId, amount } of rest) await wallet.reduce(holdId, requestId, amount);
    await wallet.settleAndRelease([], releases);
    return fees;
  }
}

/** The ids of the orders the batches' events name, each once. */
function orderIdsOf(batches: readonly EventBatch[]): number[] {
  const ids = new Set<number>();
  for (const batch of batches) {
    for (const event of batch.events) {
      switch (event.kind.case) {
        case "accepted":
        case "rejected":
        case "orderUpdated":
          ids.add(Number(event.kind.value.orderId));
          break;
        case "trade":
          ids.add(Number(event.kind.value.makerOrderId));
          ids.add(Number(event.kind.value.takerOrderId));
          break;
        default:
          break;
      }
    }
  }
  return [...ids];
}

/**
 * Adds Binance's listStatus to the last update of each list in a batch where the list was placed
 * (an order of it became NEW) or ended (every order done).
 */
function withListStatus(updates: OrderUpdate[], lists: ReadonlyMap<number, { list: OrderList; orders: Map<number, Order> }>): OrderUpdate[] {
  const last = new Map<number, number>();
  updates.forEach((update, index) => update.order.orderListId !== undefined && last.set(update.order.orderListId, index));
  for (const [listId, index] of last) {
    const known = lists.get(listId);
    if (!known) continue;
    const inBatch = updates.filter((update) => update.order.orderListId === listId);
    const orders = new Map(known.orders);
    for (const update of inBatch) orders.set(update.order.orderId, update.order as Order);
    const view = viewOf(known.list, [...orders.values()]);
    if (inBatch.some((update) => update.executionType === "NEW") || view.status.statusType === "ALL_DONE") updates[index] = { ...updates[index]!, orderList: view };
  }
  return updates;
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
    if (!fill) return { order: d.order, executionType: d.executionType, rejectReason: d.rejectReason, time, balancesChanged: true, ...(d.expiryReason ? { expiryReason: d.expiryReason } : {}) };
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
