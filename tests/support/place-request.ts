import { OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import type { PlaceRequest } from "../../services/order/src/domain/order-intent.js";

/** A placement as the order domain takes it: LIMIT GTC by default (other types without a time in force). */
export function limitRequest(side: Side, quantity: string, price: string, type = OrderType.LIMIT): PlaceRequest {
  return {
    side,
    type,
    timeInForce: type === OrderType.LIMIT ? TimeInForce.GTC : TimeInForce.UNSPECIFIED,
    quantity,
    quoteOrderQty: "",
    price,
    stopPrice: "",
    trailingDelta: 0,
    icebergQty: "",
    stp: SelfTradePreventionMode.UNSPECIFIED,
  };
}
