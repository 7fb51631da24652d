import { OrderStatus, OrderType, Side } from "#gen/exchange/common/v1/common_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { MatchingGateway } from "../ports/matching-gateway.port.js";
import type { OrderStore } from "../ports/order-store.port.js";
import type { AppliedSequences } from "./applied-sequences.js";
import type { Order } from "./order.js";
import { orderIntent, type PlaceRequest } from "./order-intent.js";
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

/** How long a cancel-replace waits for the cancel's events (its hold released) before placing anyway. */
export const CANCEL_SETTLE_MS = 10_000;

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
    const { spec, units } = this.symbols.get(symbol);
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
    const lastPrice = place.type === OrderType.MARKET && place.quoteOrderQty === "" ? await this.placing.lastPriceTicks(symbol) : undefined;
    orderIntent(place, spec, units, needsTouch ? await this.deps.matching.bestAskTicks(symbol) : undefined, lastPrice);

    let canceled: Order | undefined;
    let cancelError: unknown;
    try {
      const target = await this.cancelTarget(request);
      const sequence = await this.canceling.submitCancel(target);
      await this.progress.settleWithin(symbol, sequence, CANCEL_SETTLE_MS);
      canceled = (await this.deps.store.get(symbol, target.orderId))!;
    } catch (error) {
      // Only refusals are a failed cancel; anything else (matching unreachable) leaves the
      // outcome unknown and is the caller's error, with nothing placed.
      if (!(error instanceof DomainError)) throw error;
      cancelError = error;
    }
    if (cancelError !== undefined && request.mode === "STOP_ON_FAILURE") return { cancelError, placeAttempted: false };
    try {
      const placed = await this.placing.place(accountId, symbol, place, request.clientOrderId);
      return { canceled, cancelError, placeAttempted: true, placed };
    } catch (error) {
      return { canceled, cancelError, placeAttempted: true, placeError: error };
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
