import { create } from "@bufbuild/protobuf";
import { OrderType, SelfTradePreventionMode } from "#gen/exchange/common/v1/common_pb.js";
import { SymbolInfoSchema, type SymbolInfo } from "#gen/exchange/order/v1/order_pb.js";
import type { SymbolSpec } from "../domain/symbol.js";

const ORDER_TYPES = [
  OrderType.LIMIT,
  OrderType.LIMIT_MAKER,
  OrderType.MARKET,
  OrderType.STOP_LOSS,
  OrderType.STOP_LOSS_LIMIT,
  OrderType.TAKE_PROFIT,
  OrderType.TAKE_PROFIT_LIMIT,
];

const STP_MODES = [
  SelfTradePreventionMode.NONE,
  SelfTradePreventionMode.EXPIRE_TAKER,
  SelfTradePreventionMode.EXPIRE_MAKER,
  SelfTradePreventionMode.EXPIRE_BOTH,
];

export function toSymbolInfo(spec: SymbolSpec): SymbolInfo {
  return create(SymbolInfoSchema, {
    symbol: spec.symbol,
    status: spec.status,
    baseAsset: spec.baseAsset,
    quoteAsset: spec.quoteAsset,
    baseAssetPrecision: spec.baseScale,
    quoteAssetPrecision: spec.quoteScale,
    orderTypes: ORDER_TYPES,
    icebergAllowed: true,
    cancelReplaceAllowed: true,
    filters: {
      minPrice: spec.minPrice,
      maxPrice: spec.maxPrice,
      tickSize: spec.tickSize,
      minQty: spec.minQty,
      maxQty: spec.maxQty,
      stepSize: spec.stepSize,
      minNotional: spec.minNotional,
      maxNotional: spec.maxNotional,
      marketBandBps: spec.marketBandBps,
    },
    allowedSelfTradePreventionModes: STP_MODES,
    defaultSelfTradePreventionMode: spec.defaultStpMode,
  });
}
