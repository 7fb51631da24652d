import { create } from "@bufbuild/protobuf";
import { OrderStatus, OrderType, SelfTradePreventionMode } from "#gen/exchange/common/v1/common_pb.js";
import {
  ExecutionType as ExecutionTypeMessage,
  ListOrderStatus,
  ListStatusType,
  OrderListSchema,
  type OrderList as OrderListMessage,
  type PlaceOrderRequest,
  OrderSchema,
  OrderUpdateSchema,
  SymbolInfoSchema,
  TradeSchema,
  type Order as OrderMessage,
  type OrderUpdate as OrderUpdateMessage,
  type SymbolInfo,
  type Trade as TradeMessage,
} from "#gen/exchange/order/v1/order_pb.js";
import { formatUnits } from "#kit/money/decimal.js";
import type { Order, UserTrade } from "../domain/order.js";
import type { OrderListView } from "../domain/order-list.js";
import type { ExecutionType, OrderUpdate } from "../domain/order-update.event.js";
import type { SymbolSpec } from "../domain/symbol.js";
import { symbolFilters } from "../domain/symbol-filters.js";
import type { SymbolUnits } from "../domain/symbol-units.js";
import type { PlaceRequest } from "../domain/order-intent.js";

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
  const f = symbolFilters(spec);
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
    ocoAllowed: true,
    otoAllowed: true,
    allowTrailingStop: true,
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
      maxNumOrders: f.maxNumOrders,
      maxNumAlgoOrders: f.maxNumAlgoOrders,
      maxNumIcebergOrders: f.maxNumIcebergOrders,
      ...f.percentPriceBySide,
      minTrailingDelta: f.minTrailingDelta,
      maxTrailingDelta: f.maxTrailingDelta,
      icebergParts: f.icebergParts,
      avgPriceMins: f.avgPriceMins,
    },
    allowedSelfTradePreventionModes: STP_MODES,
    defaultSelfTradePreventionMode: spec.defaultStpMode,
  });
}

export function toOrderMessage(order: Order, units: SymbolUnits): OrderMessage {
  const { spec } = units;
  const quote = (value: bigint) => formatUnits(value, spec.quoteScale);
  const base = (lots: bigint) => formatUnits(units.baseOf(lots), spec.baseScale);
  return create(OrderSchema, {
    accountId: order.accountId,
    symbol: order.symbol,
    orderId: BigInt(order.orderId),
    clientOrderId: order.clientOrderId,
    price: quote(order.priceTicks * units.tickUnits),
    origQty: base(order.quantityLots),
    executedQty: base(order.filledLots),
    cummulativeQuoteQty: quote(order.quoteUnits),
    status: order.status,
    timeInForce: order.timeInForce,
    type: order.type,
    side: order.side,
    stopPrice: quote(order.stopPriceTicks * units.tickUnits),
    icebergQty: base(order.icebergLots),
    time: BigInt(order.createdAt),
    updateTime: BigInt(order.updatedAt),
    isWorking: (order.status === OrderStatus.NEW || order.status === OrderStatus.PARTIALLY_FILLED) && workingTimeOf(order) !== 0,
    workingTime: BigInt(workingTimeOf(order)),
    origQuoteOrderQty: quote(order.quoteOrderUnits),
    selfTradePreventionMode: order.stp,
    trailingDelta: order.trailingDelta,
    trailingTime: BigInt(order.trailingTime ?? 0),
    orderListId: BigInt(order.orderListId ?? 0),
  });
}

const LIST_STATUS_TYPES = { EXEC_STARTED: ListStatusType.EXEC_STARTED, ALL_DONE: ListStatusType.ALL_DONE } as const;
const LIST_ORDER_STATUSES = { EXECUTING: ListOrderStatus.EXECUTING, ALL_DONE: ListOrderStatus.ALL_DONE, REJECT: ListOrderStatus.REJECT } as const;

export function toOrderListMessage(view: OrderListView, units: SymbolUnits): OrderListMessage {
  const { list } = view;
  return create(OrderListSchema, {
    orderListId: BigInt(list.orderListId),
    contingencyType: list.contingency,
    listStatusType: LIST_STATUS_TYPES[view.status.statusType],
    listOrderStatus: LIST_ORDER_STATUSES[view.status.orderStatus],
    listClientOrderId: list.listClientOrderId,
    transactionTime: BigInt(view.transactionTime),
    symbol: list.symbol,
    accountId: list.accountId,
    orders: view.orders.map((order) => toOrderMessage(order, units)),
  });
}

export function toTradeMessage(trade: UserTrade, units: SymbolUnits): TradeMessage {
  const { spec } = units;
  return create(TradeSchema, {
    symbol: trade.symbol,
    id: BigInt(trade.tradeId),
    orderId: BigInt(trade.orderId),
    price: formatUnits(trade.priceTicks * units.tickUnits, spec.quoteScale),
    qty: formatUnits(units.baseOf(trade.quantityLots), spec.baseScale),
    quoteQty: formatUnits(trade.quoteUnits, spec.quoteScale),
    commission: formatUnits(trade.commissionUnits, trade.commissionAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale),
    commissionAsset: trade.commissionAsset,
    time: BigInt(trade.time),
    isBuyer: trade.isBuyer,
    isMaker: trade.isMaker,
  });
}

const EXECUTION_TYPES: Record<ExecutionType, ExecutionTypeMessage> = {
  NEW: ExecutionTypeMessage.NEW,
  CANCELED: ExecutionTypeMessage.CANCELED,
  REPLACED: ExecutionTypeMessage.REPLACED,
  REJECTED: ExecutionTypeMessage.REJECTED,
  TRADE: ExecutionTypeMessage.TRADE,
  EXPIRED: ExecutionTypeMessage.EXPIRED,
  TRADE_PREVENTION: ExecutionTypeMessage.TRADE_PREVENTION,
};

export function toOrderUpdateMessage(update: OrderUpdate, units: SymbolUnits): OrderUpdateMessage {
  const { spec } = units;
  const { fill } = update;
  return create(OrderUpdateSchema, {
    order: toOrderMessage(update.order as Order, units),
    executionType: EXECUTION_TYPES[update.executionType],
    rejectReason: update.rejectReason,
    expiryReason: update.expiryReason ?? "",
    transactionTime: BigInt(update.time),
    balancesChanged: update.balancesChanged,
    orderList: update.orderList && toOrderListMessage(update.orderList, units),
    ...(fill && {
      tradeId: BigInt(fill.tradeId),
      lastExecutedQty: formatUnits(units.baseOf(fill.quantityLots), spec.baseScale),
      lastExecutedPrice: formatUnits(fill.priceTicks * units.tickUnits, spec.quoteScale),
      lastQuoteQty: formatUnits(fill.quoteUnits, spec.quoteScale),
      commission: formatUnits(fill.commissionUnits, fill.commissionAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale),
      commissionAsset: fill.commissionAsset,
      isMaker: fill.isMaker,
    }),
  });
}

/** PlaceOrder's parameters as the domain reads them. */
export const toPlaceRequest = (request: PlaceOrderRequest): PlaceRequest => ({
  side: request.side,
  type: request.type,
  timeInForce: request.timeInForce,
  quantity: request.quantity,
  quoteOrderQty: request.quoteOrderQty,
  price: request.price,
  stopPrice: request.stopPrice,
  trailingDelta: request.trailingDelta,
  icebergQty: request.icebergQty,
  stp: request.selfTradePreventionMode,
});

const ALGO_TYPES: ReadonlySet<OrderType> = new Set([OrderType.STOP_LOSS, OrderType.STOP_LOSS_LIMIT, OrderType.TAKE_PROFIT, OrderType.TAKE_PROFIT_LIMIT]);

/** When the order started working: a stop or take-profit order at its trigger (0 before), any other at its creation. */
function workingTimeOf(order: Order): number {
  return ALGO_TYPES.has(order.type) ? (order.workingTime ?? 0) : order.createdAt;
}
