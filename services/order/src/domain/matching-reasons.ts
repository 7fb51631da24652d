import { DomainError } from "#kit/errors/domain-error.js";

/** Matching's reject reasons as the errors a Binance client expects. */
export function placementRejected(reason: string): DomainError {
  switch (reason) {
    case "WOULD_TAKE":
      return new DomainError("NEW_ORDER_REJECTED", "Order would immediately match and take.", [], { matchingReason: reason });
    case "WOULD_TRIGGER_IMMEDIATELY":
      return new DomainError("NEW_ORDER_REJECTED", "Order would trigger immediately.", [], { matchingReason: reason });
    case "SYMBOL_HALTED":
    case "SYMBOL_BREAK":
    case "CANCEL_ONLY":
      return new DomainError("NEW_ORDER_REJECTED", "Market is closed.", [], { matchingReason: reason });
    case "INSUFFICIENT_BUDGET":
      return new DomainError("INSUFFICIENT_BALANCE", undefined, [], { matchingReason: reason });
    default:
      return new DomainError("NEW_ORDER_REJECTED", `New order rejected (${reason}).`, [], { matchingReason: reason });
  }
}

export function cancelRejected(reason: string): DomainError {
  if (reason === "UNKNOWN_ORDER" || reason === "NOT_OWNER") return new DomainError("CANCEL_REJECTED", "Unknown order sent.", [], { matchingReason: reason });
  return new DomainError("CANCEL_REJECTED", `Cancel rejected (${reason}).`, [], { matchingReason: reason });
}
