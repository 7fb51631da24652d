import { OrderStatus } from "#gen/exchange/common/v1/common_pb.js";
import { DomainError, isDomainError } from "#kit/errors/domain-error.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { AppliedSequences } from "./applied-sequences.js";
import type { Order } from "./order.js";
import type { PlaceRequest } from "./order-intent.js";
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

/** How long a cancel-replace waits for its command's events (or the fallback's cancel, its hold released) to be applied. */
export const CANCEL_SETTLE_MS = 10_000;

/** Matching's reasons for refusing a whole CANCEL_REPLACE because the market takes no new orders (a cancel alone it takes). */
const MARKET_CLOSED = new Set(["SYMBOL_HALTED", "CANCEL_ONLY"]);

export interface CancelReplaceDeps {
  readonly store: OrderStore;
  readonly matching: MatchingGateway;
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
   * holds its own. When wallet refuses the hold (the free balance does not cover it: typically the
   * funds are the target's), the request falls back to two commands: cancel, wait until the
   * consumer applied it (the target's hold released), then place the same stored order alone. In
   * that fallback another order can trade between the cancel and the place.
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
    const { order, created } = await this.placing.storeReplacement(accountId, request.clientOrderId, intent, target, request.mode === "ALLOW_FAILURE");
    // The client order id was stored meanwhile (a retry racing its first attempt).
    if (!created) return this.replayedCancelReplace(request, order);
    try {
      await this.placing.hold(order);
    } catch (error) {
      // No answer: the hold may exist. The order stays undelivered (the relay delivers it as the same CANCEL_REPLACE).
      if (isDomainError(error) && error.key === "DISCONNECTED") throw error;
      return this.cancelThenPlace(request, target, order);
    }
    return this.atomically(request, target, order);
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
   * The fallback when wallet refused the new order's hold: cancel, wait until the consumer applied
   * the cancel (the target's hold released), then hold and place the stored new order alone (no
   * longer marked as replacing: its cancel is done). STOP_ON_FAILURE with a failed cancel rejects
   * the stored order without placing it.
   */
  private async cancelThenPlace(request: CancelReplaceRequest, target: Order, order: Order): Promise<CancelReplaceOutcome> {
    const { symbol } = request;
    let canceled: Order | undefined;
    let cancelError: unknown;
    try {
      const sequence = await this.canceling.submitCancel(target);
      await this.progress.settleWithin(symbol, sequence, CANCEL_SETTLE_MS);
      canceled = (await this.deps.store.get(symbol, target.orderId))!;
    } catch (error) {
      // Not a refusal (matching unreachable): unknown, the caller's error; the row stays for the relay.
      if (!(error instanceof DomainError)) throw error;
      cancelError = error;
    }
    // Under the symbol's queue: the relay may have delivered the stored order (as the cancel-replace) meanwhile.
    try {
      if (cancelError !== undefined && request.mode === "STOP_ON_FAILURE") {
        await this.placing.whileUndelivered(order, CANCEL_SETTLE_MS, (stored) => this.placing.rejectUndelivered(stored, "CANCEL_FAILED"));
        return { cancelError, placeAttempted: false };
      }
      const stored = await this.placing.whileUndelivered(order, CANCEL_SETTLE_MS, async (stored) => {
        stored.replaces = undefined;
        await this.deps.store.update(stored);
      });
      if (stored.replaces === undefined) return { canceled, cancelError, placeAttempted: true, placed: await this.placing.redeliver(stored) };
      // Delivered meanwhile as the cancel-replace: answered as it stands.
      if (stored.status === OrderStatus.REJECTED) throw new DomainError("NEW_ORDER_REJECTED", "Order was rejected.");
      return { canceled, cancelError, placeAttempted: true, placed: stored };
    } catch (error) {
      return { canceled, cancelError, placeAttempted: true, placeError: error };
    }
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
