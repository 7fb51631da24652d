import { OrderStatus, Side } from "#gen/exchange/common/v1/common_pb.js";
import { DomainError, isDomainError } from "#kit/errors/domain-error.js";
import { parseUnits } from "#kit/money/decimal.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { WalletGateway } from "../ports/wallet-gateway.port.js";
import type { AppliedSequences } from "./applied-sequences.js";
import type { Order } from "./order.js";
import type { OrderIntent, PlaceRequest } from "./order-intent.js";
import { cancelRejected } from "./matching-reasons.js";
import { DONE_STATUSES } from "./order-status.js";
import type { PlaceOrder } from "./place-order.use-case.js";
import type { SymbolCatalog } from "./symbol-catalog.js";

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

/** How long a cancel-replace waits for its command's events (or a lone cancel's) to be applied. */
export const CANCEL_SETTLE_MS = 10_000;

/** Matching's reasons for refusing a whole CANCEL_REPLACE because the market takes no new orders (a cancel alone it takes). */
const MARKET_CLOSED = new Set(["SYMBOL_HALTED", "CANCEL_ONLY"]);

export interface CancelReplaceDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
  readonly wallet: Pick<WalletGateway, "available">;
}

/** What cancel-replace borrows from the order lifecycle: finding an order, and canceling it in matching. */
export interface OrderCanceling {
  /** The account's order of the symbol, by id or (when 0) client order id; NO_SUCH_ORDER otherwise. */
  find(accountId: string, symbol: string, orderId: bigint, clientOrderId: string): Promise<Order>;
  /** Asks matching to cancel an open order; answers the sequence of the cancel's events. */
  submitCancel(order: Order): Promise<number>;
}

/** Binance's order/cancelReplace: cancel one order of an account and place another on the same symbol. */
export class CancelReplaceOrder {
  constructor(
    private readonly deps: CancelReplaceDeps,
    private readonly symbols: SymbolCatalog,
    private readonly progress: AppliedSequences,
    private readonly placing: PlaceOrder,
    private readonly canceling: OrderCanceling,
  ) {}

  /**
   * Binance's order/cancelReplace: cancel one order and place another on the same symbol.
   *
   * The new order's parameters and filters are checked first, and the target is found with its
   * restriction applied (a bad new order changes nothing, as Binance; a target not found or not
   * allowed is a failed cancel: STOP_ON_FAILURE stops there, ALLOW_FAILURE places alone). Then the
   * new order is stored (PENDING_NEW, marked as replacing the target) and its hold taken, and ONE
   * matching command, CANCEL_REPLACE, cancels the target and places the new order: no other
   * command of the symbol can come between them, and matching applies the mode (STOP_ON_FAILURE:
   * a failed cancel rejects the new order too, whose hold the consumer then releases). Both
   * halves are answered from that command's events, once the consumer applied them.
   *
   * Funds: the new order's hold must be taken before matching sees it, while the target still
   * holds its own. What the free balance does not cover the target pays (fundedByTarget): the new
   * order holds the rest itself, matching gives it that much of the target's budget when it
   * cancels the target (or refuses it for balance when too little is left), and the consumer
   * moves that much of the target's hold to the new order's in the same wallet command as the
   * target's release (docs/architecture.md, "Cancel-replace funded by the order it cancels").
   *
   * Retries: a request whose clientOrderId already names an order of the account on this symbol
   * cancels and places nothing again; it answers with the cancel target's and that order's
   * current state. Another account's order is reported like a missing one.
   */
  async cancelReplace(request: CancelReplaceRequest): Promise<CancelReplaceOutcome> {
    const { accountId, symbol } = request;
    this.symbols.get(symbol);
    if (request.cancelOrderId === 0n && request.cancelClientOrderId === "") {
      throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param 'cancelOrderId' or 'cancelOrigClientOrderId' must be sent.", [
        { field: "cancel.order_id", description: "cancelOrderId or cancelOrigClientOrderId is required" },
      ]);
    }
    if (request.clientOrderId !== "") {
      const existing = await this.deps.store.getByClientId(accountId, request.clientOrderId);
      if (existing) return this.replayedCancelReplace(request, existing);
    }
    // The new order's checks (filters, units), as its placement makes them: throws before anything changes.
    const intent = await this.placing.intentOf(symbol, request.place);

    let target: Order;
    try {
      target = await this.cancelTarget(request);
      if (DONE_STATUSES.has(target.status)) throw new DomainError("CANCEL_REJECTED", "Unknown order sent.");
    } catch (error) {
      // Only refusals are a failed cancel; anything else (the store unreachable) is the caller's error.
      if (!(error instanceof DomainError)) throw error;
      if (request.mode === "STOP_ON_FAILURE") return { cancelError: error, placeAttempted: false };
      return this.placeAlone(request, error);
    }
    const funded = await this.fundedByTarget(accountId, intent, target);
    const { order, created } = await this.placing.storeReplacement(accountId, request.clientOrderId, intent, target, request.mode === "ALLOW_FAILURE", funded);
    // The client order id was stored meanwhile (a retry racing its first attempt).
    if (!created) return this.replayedCancelReplace(request, order);
    try {
      await this.placing.hold(order);
    } catch (error) {
      // No answer: the hold may exist. The order stays undelivered (the relay delivers it as the same CANCEL_REPLACE).
      if (isDomainError(error) && error.key === "DISCONNECTED") throw error;
      return this.holdRefused(request, target, order, error);
    }
    return this.atomically(request, target, order);
  }

  /**
   * What of the new order's hold the target pays, in the hold asset's smallest units: nothing when the account's
   * free balance covers the new order, or when the target cannot pay (it holds the other asset; or it belongs to an
   * order list, whose hold is shared); otherwise all but the free balance rounded down to a whole budget unit (one
   * notional unit for a buy, one lot for a sell), which the new order holds itself (possibly nothing).
   */
  private async fundedByTarget(accountId: string, intent: OrderIntent, target: Order): Promise<bigint> {
    if (target.holdAsset !== intent.holdAsset || target.orderListId !== undefined || target.sharedHold !== undefined) return 0n;
    const { spec, units } = this.symbols.get(target.symbol);
    const scale = intent.holdAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale;
    const free = parseUnits(await this.deps.wallet.available(accountId, intent.holdAsset), scale);
    if (free >= intent.holdUnits) return 0n;
    const unit = intent.side === Side.SELL ? units.lotUnits : units.notionalUnits;
    return intent.holdUnits - (free / unit) * unit;
  }

  /** The target canceled and the new order placed by one CANCEL_REPLACE command; both halves read from its events. */
  private async atomically(request: CancelReplaceRequest, target: Order, order: Order): Promise<CancelReplaceOutcome> {
    const { symbol } = request;
    // Matching unreachable: the outcome is unknown, the caller's error; the row stays for the relay.
    const delivered = await this.placing.deliverAlone(order);
    // Matching had it already (a retry or the relay delivered it first): its events are at or before the head.
    const sequence = delivered.sequence ?? (await this.deps.matching.headSequence(symbol));
    await this.progress.settleWithin(symbol, sequence, CANCEL_SETTLE_MS);
    let cancelError: DomainError | undefined;
    const refused = delivered.batch?.events.find((event) => event.kind.case === "rejected" && Number(event.kind.value.orderId) === target.orderId);
    const after = (await this.deps.store.get(symbol, target.orderId))!;
    if (refused?.kind.case === "rejected") cancelError = cancelRejected(refused.kind.value.reason);
    else if (!delivered.batch && after.status !== OrderStatus.CANCELED) cancelError = new DomainError("CANCEL_REJECTED", "Unknown order sent.");
    let placed: Order | undefined;
    let placeError: unknown;
    try {
      placed = await this.placing.settled(symbol, delivered.sequence, order.orderId);
      // Rejected as another process's consumer stored it (its reason was heard there).
      if (placed.status === OrderStatus.REJECTED) throw new DomainError("NEW_ORDER_REJECTED", "Order was rejected.");
    } catch (error) {
      placed = undefined;
      placeError = error;
    }
    // The market takes no new orders (HALT, cancel-only): matching refused the whole command, the new order's hold
    // is released. The cancel alone is still allowed there: sent as a plain cancel, the new order failed.
    if (refused?.kind.case === "rejected" && MARKET_CLOSED.has(refused.kind.value.reason)) return this.cancelAlone(request, target, placeError);
    // STOP_ON_FAILURE: matching rejected the new order with the cancel, and the consumer released its hold.
    if (cancelError && request.mode === "STOP_ON_FAILURE") return { cancelError, placeAttempted: false };
    return { canceled: cancelError ? undefined : after, cancelError, placeAttempted: true, placed, placeError };
  }

  /** The target canceled by a plain cancel; the new order already failed with `placeError`. */
  private async cancelAlone(request: CancelReplaceRequest, target: Order, placeError: unknown): Promise<CancelReplaceOutcome> {
    try {
      const sequence = await this.canceling.submitCancel(target);
      await this.progress.settleWithin(request.symbol, sequence, CANCEL_SETTLE_MS);
      return { canceled: (await this.deps.store.get(request.symbol, target.orderId))!, placeAttempted: true, placeError };
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      if (request.mode === "STOP_ON_FAILURE") return { cancelError: error, placeAttempted: false };
      return { cancelError: error, placeAttempted: true, placeError };
    }
  }

  /**
   * Wallet refused the new order's own hold (the free balance fell since it was read, or the target could not pay):
   * the new order fails for its balance without being delivered (stored REJECTED; unless a relay delivered it
   * meanwhile, whose command is then answered as it went), and the target is canceled alone: Binance's order,
   * a cancel, then a new order the balance does not cover.
   */
  private async holdRefused(request: CancelReplaceRequest, target: Order, order: Order, holdError: unknown): Promise<CancelReplaceOutcome> {
    const stored = await this.placing.whileUndelivered(order, CANCEL_SETTLE_MS, (undelivered) => this.placing.rejectUndelivered(undelivered, "HOLD_REFUSED"));
    if (stored.status !== OrderStatus.REJECTED) return this.atomically(request, target, stored);
    return this.cancelAlone(request, target, holdError);
  }

  /** ALLOW_FAILURE with no order to cancel: the new order is placed as any placement. */
  private async placeAlone(request: CancelReplaceRequest, cancelError: DomainError): Promise<CancelReplaceOutcome> {
    try {
      const placed = await this.placing.place(request.accountId, request.symbol, request.place, request.clientOrderId);
      return { cancelError, placeAttempted: true, placed };
    } catch (error) {
      return { cancelError, placeAttempted: true, placeError: error };
    }
  }

  /** The order a cancel-replace cancels, with its restriction applied; unknown and foreign orders alike are Binance's -2011. */
  private async cancelTarget(request: CancelReplaceRequest): Promise<Order> {
    let target: Order;
    try {
      target = await this.canceling.find(request.accountId, request.symbol, request.cancelOrderId, request.cancelClientOrderId);
    } catch (error) {
      if (error instanceof DomainError && error.key === "NO_SUCH_ORDER") throw new DomainError("CANCEL_REJECTED", "Unknown order sent.");
      throw error;
    }
    const allowed =
      request.restriction === "ONLY_NEW" ? target.status === OrderStatus.NEW : request.restriction === "ONLY_PARTIALLY_FILLED" ? target.status === OrderStatus.PARTIALLY_FILLED : true;
    if (!allowed && !DONE_STATUSES.has(target.status)) throw new DomainError("CANCEL_REJECTED", "Order was not canceled due to cancel restrictions.");
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

}
