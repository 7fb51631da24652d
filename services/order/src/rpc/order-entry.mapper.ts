import { create } from "@bufbuild/protobuf";
import type { Validator } from "@bufbuild/protovalidate";
import {
  OrderEntryStatusSchema,
  StreamOrderEntryRequestSchema,
  StreamOrderEntryResponseSchema,
  type OrderEntryStatus,
  type StreamOrderEntryRequest,
  type StreamOrderEntryResponse,
} from "#gen/exchange/order/v1/order_pb.js";
import { errorStatusOf } from "#kit/errors/connect-errors.js";
import { validationError } from "#kit/rpc/validate.interceptor.js";
import type { EntryRequest, EntryResponse } from "../domain/order-entry.use-case.js";
import type { SymbolUnits } from "../domain/symbol-units.js";
import { toOrderMessage, toOrderUpdateMessage, toPlaceRequest } from "./order.mapper.js";

/** The client order id a request's ack echoes: place's client_order_id, cancel's orig_client_order_id. */
export function entryClientOrderId(message: StreamOrderEntryRequest): string {
  const { action } = message;
  return action.case === "place" ? action.value.clientOrderId : action.case === "cancel" ? action.value.origClientOrderId : "";
}

/**
 * Each request checked alone against its protovalidate rules (the kit's interceptor checks
 * unary requests only): a bad one becomes a refused request, acknowledged with its error.
 */
export async function* toEntryRequests(messages: AsyncIterable<StreamOrderEntryRequest>, validator: Validator): AsyncGenerator<EntryRequest> {
  for await (const message of messages) {
    const invalid = validationError(validator, StreamOrderEntryRequestSchema, message);
    const { action } = message;
    if (invalid || action.case === undefined) {
      yield { kind: "refused", clientOrderId: entryClientOrderId(message), error: invalid };
    } else if (action.case === "place") {
      const place = action.value;
      yield { kind: "place", accountId: place.accountId, symbol: place.symbol, clientOrderId: place.clientOrderId, request: toPlaceRequest(place) };
    } else {
      const cancel = action.value;
      yield { kind: "cancel", accountId: cancel.accountId, symbol: cancel.symbol, orderId: cancel.orderId, origClientOrderId: cancel.origClientOrderId };
    }
  }
}

export function toEntryStatus(error: unknown): OrderEntryStatus {
  const status = errorStatusOf(error);
  return create(OrderEntryStatusSchema, { ...status, fieldViolations: [...status.fieldViolations] });
}

export function toEntryResponse(response: EntryResponse, units: (symbol: string) => SymbolUnits): StreamOrderEntryResponse {
  if (response.kind === "report") {
    return create(StreamOrderEntryResponseSchema, { event: { case: "report", value: toOrderUpdateMessage(response.update, units(response.update.order.symbol)) } });
  }
  const { order } = response;
  const result = order ? { case: "order" as const, value: toOrderMessage(order, units(order.symbol)) } : { case: "error" as const, value: toEntryStatus(response.error) };
  return create(StreamOrderEntryResponseSchema, { event: { case: "ack", value: { requestIndex: BigInt(response.index), clientOrderId: response.clientOrderId, result } } });
}
