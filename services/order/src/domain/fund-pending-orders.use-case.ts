import { create } from "@bufbuild/protobuf";
import { OrderStatus, Side } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema } from "#gen/exchange/matching/v1/matching_pb.js";
import type { Clock } from "#kit/clock/clock.js";
import { isDomainError } from "#kit/errors/domain-error.js";
import { formatUnits } from "#kit/money/decimal.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { WalletGateway } from "../ports/wallet-gateway.port.js";
import { holdIdOf, type Order } from "./order.js";
import type { SerialQueue } from "./serial-queue.js";
import type { SymbolCatalog } from "./symbol-catalog.js";

export interface FundPendingOrdersDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
  readonly wallet: WalletGateway;
  readonly clock: Clock;
}

/**
 * The funds of an OTO / OTOCO's pending orders, as on Binance: they are checked and held only once the working order
 * has filled, from the account's balance then (the working order's proceeds included). The consumer of matching's
 * events holds them (`hold`) right after settling the fill's trades, before it stores the batch, and stores the
 * decision on the pending orders (Order.pendingFunds), which stay undelivered: they are the outbox of the
 * FUND_PENDING command that tells matching (`deliver`, and `relay` for one that failed). Matching places them with
 * their budgets, or expires them when the account could not cover them; a second FUND_PENDING for the same list
 * changes nothing there, so resending is harmless.
 */
export class FundPendingOrders {
  /** Lists (by working order id) whose FUND_PENDING this process is sending: the relay leaves them alone. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly deps: FundPendingOrdersDeps,
    private readonly symbols: SymbolCatalog,
    private readonly queue: SerialQueue,
  ) {}

  /**
   * Holds the pending orders' funds (one hold: an OTOCO pair shares its first order's), idempotent by hold id:
   * true when held, false when wallet refused (as for a placement, any answer but DISCONNECTED: see
   * WalletGateway.hold); throws when wallet's answer is unknown (the caller tries again).
   */
  async hold(pending: readonly Order[]): Promise<boolean> {
    const owner = pending.find((order) => order.sharedHold === undefined || order.sharedHold[0] === order.orderId);
    if (!owner) return false;
    const { spec } = this.symbols.get(owner.symbol);
    const scale = owner.holdAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale;
    try {
      await this.deps.wallet.hold(holdIdOf(owner.symbol, owner.orderId), owner.accountId, owner.holdAsset, formatUnits(owner.holdUnits, scale));
      return true;
    } catch (error) {
      if (isDomainError(error) && error.key === "DISCONNECTED") throw error;
      return false;
    }
  }

  /**
   * Tells matching what was decided for the pending orders of the list whose working order is `workingOrderId`
   * (read back as stored). A failure is left to the relay.
   */
  async deliver(symbol: string, workingOrderId: number, pending: readonly number[]): Promise<void> {
    const key = `${symbol}:${workingOrderId}`;
    if (this.inFlight.has(key)) return;
    this.inFlight.add(key);
    try {
      const orders = await this.deps.store.getMany(symbol, pending);
      const waiting = pending.map((id) => orders.find((order) => order.orderId === id)).filter((order): order is Order => order !== undefined && awaitingFunds(order));
      if (waiting.length !== pending.length) return; // matching's events got there first
      const { units } = this.symbols.get(symbol);
      const held = waiting[0]!.pendingFunds!.held;
      // each order's budget as placeOf gives it: notional units for a buy, lots for a sell (an OTOCO pair: the shared hold)
      const budgets = waiting.map((order) => String(order.side === Side.BUY ? order.holdUnits / units.notionalUnits : order.holdUnits / units.lotUnits));
      await this.queue.run(symbol, () =>
        this.deps.matching.submit(
          create(CommandSchema, {
            symbol,
            timestamp: BigInt(this.deps.clock.now()),
            kind: { case: "fundPending", value: { workingOrderId: BigInt(workingOrderId), funded: held, budgets: held ? budgets : [] } },
          }),
        ),
      );
    } catch {
      // matching unreachable or its answer lost: the relay sends it again
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Sends FUND_PENDING again for pending orders decided at least `olderThanMs` ago and still not placed or ended. */
  async relay(symbol: string, olderThanMs = 0): Promise<void> {
    const before = this.deps.clock.now() - olderThanMs;
    const lists = new Set<number>();
    for (const order of await this.deps.store.undelivered(symbol)) if (awaitingFunds(order) && order.pendingFunds!.at <= before) lists.add(order.orderListId!);
    for (const orderListId of lists) {
      const list = await this.deps.store.getList(orderListId);
      if (list) await this.deliver(symbol, list.orderIds[0]!, list.orderIds.slice(1));
    }
  }
}

/** A pending order whose funds were decided and which matching has not yet placed or ended. */
function awaitingFunds(order: Order): boolean {
  return order.pendingFunds !== undefined && order.status === OrderStatus.PENDING_NEW && !order.submitted && order.orderListId !== undefined;
}
