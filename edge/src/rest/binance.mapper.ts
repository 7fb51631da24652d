import { ContingencyType, OrderStatus, OrderType, SelfTradePreventionMode, Side, SymbolStatus, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import type { AggTrade, GetBookTickerResponse, Kline, PublicTrade, Ticker24h } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { ListOrderStatus, ListStatusType, type Order, type OrderList, type SymbolInfo, type Trade } from "#gen/exchange/order/v1/order_pb.js";
import { DEFAULT_AVG_PRICE_MINS } from "#kit/money/average-price.js";
import { formatUnits, parseUnits } from "#kit/money/decimal.js";
import { idNumber } from "./http.js";

// Protobuf messages -> Binance's JSON shapes. Money stays a decimal string end to end; ids are
// JSON numbers; enum names are Binance's (the generated enums drop the proto prefixes).

const name = <E extends Record<number, string>>(values: E, value: number, fallback: string) => (value ? (values[value] ?? fallback) : fallback);

export const sideName = (side: Side) => name(Side, side, "BUY");
export const typeName = (type: OrderType) => name(OrderType, type, "LIMIT");
export const statusName = (status: OrderStatus) => name(OrderStatus, status, "NEW");
export const timeInForceName = (tif: TimeInForce) => name(TimeInForce, tif, "GTC");
export const stpName = (mode: SelfTradePreventionMode) => name(SelfTradePreventionMode, mode, "NONE");
export const symbolStatusName = (status: SymbolStatus) => name(SymbolStatus, status, "BREAK");
export const contingencyName = (type: ContingencyType) => name(ContingencyType, type, "OCO");
export const listStatusTypeName = (type: ListStatusType) => name(ListStatusType, type, "RESPONSE");
export const listOrderStatusName = (status: ListOrderStatus) => name(ListOrderStatus, status, "EXECUTING");
/** Binance's orderListId: -1 for an order outside any list. */
export const orderListIdOf = (order: Order) => (order.orderListId === 0n ? -1 : idNumber(order.orderListId));

const orZero = (value: string) => value || "0.00000000";

/** The fields every order answer shares (RESULT). */
function orderResult(order: Order) {
  return {
    symbol: order.symbol,
    orderId: idNumber(order.orderId),
    orderListId: orderListIdOf(order),
    clientOrderId: order.clientOrderId,
    price: orZero(order.price),
    origQty: orZero(order.origQty),
    executedQty: orZero(order.executedQty),
    origQuoteOrderQty: orZero(order.origQuoteOrderQty),
    cummulativeQuoteQty: orZero(order.cummulativeQuoteQty),
    status: statusName(order.status),
    timeInForce: timeInForceName(order.timeInForce),
    type: typeName(order.type),
    side: sideName(order.side),
  };
}

/** Binance's workingTime: when the order started working on the book (a stop: its trigger), -1 while it does not. */
export function workingTimeOf(order: Order): number {
  if (!order.isWorking) return -1;
  return order.workingTime !== 0n ? Number(order.workingTime) : Number(order.time);
}

/**
 * Binance's fields of a trailing stop, on trailing stops only: trailingDelta, and trailingTime,
 * when it started tracking the market (-1 until then: an activation price not reached yet).
 */
export function trailingOf(order: Order): { trailingDelta?: number; trailingTime?: number } {
  if (order.trailingDelta <= 0) return {};
  return { trailingDelta: order.trailingDelta, trailingTime: order.trailingTime > 0n ? Number(order.trailingTime) : -1 };
}

export type NewOrderRespType = "ACK" | "RESULT" | "FULL";

/** POST /api/v3/order in the requested shape. */
export function newOrderResponse(order: Order, respType: NewOrderRespType, trades: readonly Trade[] = []) {
  const ack = { symbol: order.symbol, orderId: idNumber(order.orderId), orderListId: orderListIdOf(order), clientOrderId: order.clientOrderId, transactTime: Number(order.time) };
  if (respType === "ACK") return ack;
  const result = {
    ...orderResult(order),
    transactTime: Number(order.time),
    ...(order.stopPrice ? { stopPrice: order.stopPrice } : {}),
    ...(order.icebergQty ? { icebergQty: order.icebergQty } : {}),
    ...trailingOf(order),
    workingTime: workingTimeOf(order),
    selfTradePreventionMode: stpName(order.selfTradePreventionMode),
  };
  if (respType === "RESULT") return result;
  return {
    ...result,
    fills:
      order.fills.length > 0
        ? order.fills.map((fill) => ({ price: fill.price, qty: fill.quantity, commission: fill.commission, commissionAsset: fill.commissionAsset, tradeId: idNumber(fill.tradeId) }))
        : trades.map((trade) => ({ price: trade.price, qty: trade.qty, commission: trade.commission, commissionAsset: trade.commissionAsset, tradeId: idNumber(trade.id) })),
  };
}

/** GET /api/v3/order, openOrders, allOrders. */
export function queryOrderResponse(order: Order) {
  return {
    ...orderResult(order),
    stopPrice: orZero(order.stopPrice),
    icebergQty: orZero(order.icebergQty),
    ...trailingOf(order),
    time: Number(order.time),
    updateTime: Number(order.updateTime),
    isWorking: order.isWorking,
    workingTime: workingTimeOf(order),
    selfTradePreventionMode: stpName(order.selfTradePreventionMode),
  };
}

/** DELETE /api/v3/order and each element of DELETE /api/v3/openOrders. */
export function cancelOrderResponse(order: Order, transactTime: number) {
  return {
    ...orderResult(order),
    origClientOrderId: order.clientOrderId,
    transactTime,
    ...trailingOf(order),
    selfTradePreventionMode: stpName(order.selfTradePreventionMode),
  };
}

/** GET /api/v3/myTrades. */
export function tradeResponse(trade: Trade) {
  return {
    symbol: trade.symbol,
    id: idNumber(trade.id),
    orderId: idNumber(trade.orderId),
    orderListId: -1,
    price: trade.price,
    qty: trade.qty,
    quoteQty: trade.quoteQty,
    commission: trade.commission,
    commissionAsset: trade.commissionAsset,
    time: Number(trade.time),
    isBuyer: trade.isBuyer,
    isMaker: trade.isMaker,
    isBestMatch: true,
  };
}

/** One symbol of GET /api/v3/exchangeInfo. */
export function symbolResponse(info: SymbolInfo) {
  const f = info.filters;
  const orderTypes = info.orderTypes.map((t) => typeName(t));
  return {
    symbol: info.symbol,
    status: symbolStatusName(info.status),
    baseAsset: info.baseAsset,
    baseAssetPrecision: info.baseAssetPrecision,
    quoteAsset: info.quoteAsset,
    quotePrecision: info.quoteAssetPrecision,
    quoteAssetPrecision: info.quoteAssetPrecision,
    baseCommissionPrecision: info.baseAssetPrecision,
    quoteCommissionPrecision: info.quoteAssetPrecision,
    orderTypes,
    icebergAllowed: info.icebergAllowed,
    ocoAllowed: info.ocoAllowed,
    otoAllowed: info.otoAllowed,
    quoteOrderQtyMarketAllowed: orderTypes.includes("MARKET"),
    allowTrailingStop: info.allowTrailingStop,
    cancelReplaceAllowed: info.cancelReplaceAllowed,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: false,
    filters: f
      ? [
          { filterType: "PRICE_FILTER", minPrice: f.minPrice, maxPrice: f.maxPrice, tickSize: f.tickSize },
          { filterType: "LOT_SIZE", minQty: f.minQty, maxQty: f.maxQty, stepSize: f.stepSize },
          ...(f.icebergParts > 0 ? [{ filterType: "ICEBERG_PARTS", limit: f.icebergParts }] : []),
          { filterType: "NOTIONAL", minNotional: f.minNotional, applyMinToMarket: true, maxNotional: f.maxNotional, applyMaxToMarket: false, avgPriceMins: f.avgPriceMins ?? DEFAULT_AVG_PRICE_MINS },
          ...(f.bidMultiplierUp !== ""
            ? [{ filterType: "PERCENT_PRICE_BY_SIDE", bidMultiplierUp: f.bidMultiplierUp, bidMultiplierDown: f.bidMultiplierDown, askMultiplierUp: f.askMultiplierUp, askMultiplierDown: f.askMultiplierDown, avgPriceMins: f.avgPriceMins ?? DEFAULT_AVG_PRICE_MINS }]
            : []),
          ...(f.maxTrailingDelta > 0
            ? [{ filterType: "TRAILING_DELTA", minTrailingAboveDelta: f.minTrailingDelta, maxTrailingAboveDelta: f.maxTrailingDelta, minTrailingBelowDelta: f.minTrailingDelta, maxTrailingBelowDelta: f.maxTrailingDelta }]
            : []),
          ...(f.maxNumOrders > 0 ? [{ filterType: "MAX_NUM_ORDERS", maxNumOrders: f.maxNumOrders }] : []),
          ...(f.maxNumAlgoOrders > 0 ? [{ filterType: "MAX_NUM_ALGO_ORDERS", maxNumAlgoOrders: f.maxNumAlgoOrders }] : []),
          ...(f.maxNumIcebergOrders > 0 ? [{ filterType: "MAX_NUM_ICEBERG_ORDERS", maxNumIcebergOrders: f.maxNumIcebergOrders }] : []),
        ]
      : [],
    permissions: [],
    permissionSets: [["SPOT"]],
    defaultSelfTradePreventionMode: stpName(info.defaultSelfTradePreventionMode),
    allowedSelfTradePreventionModes: info.allowedSelfTradePreventionModes.map((m) => stpName(m)),
  };
}

const decimals = (text: string) => (text.split(".")[1] ?? "").replace(/0+$/, "").length;

/**
 * Integer ticks (or lots) -> a decimal string: count x size, exact in bigint, written with the
 * asset's precision (or the size's own decimals when it has more).
 */
export function unitsToDecimal(count: string, size: string, precision: number): string {
  const scale = Math.max(precision, decimals(size));
  return formatUnits(BigInt(count) * parseUnits(size, scale), scale);
}

/** GET /api/v3/trades and historicalTrades. */
export function publicTradeResponse(trade: PublicTrade) {
  return { id: idNumber(trade.id), price: trade.price, qty: trade.qty, quoteQty: trade.quoteQty, time: Number(trade.time), isBuyerMaker: trade.isBuyerMaker, isBestMatch: true };
}

/** GET /api/v3/aggTrades: Binance's one-letter fields (M, best price match, is always true). */
export function aggTradeResponse(agg: AggTrade) {
  return { a: idNumber(agg.id), p: agg.price, q: agg.qty, f: idNumber(agg.firstTradeId), l: idNumber(agg.lastTradeId), T: Number(agg.time), m: agg.isBuyerMaker, M: true };
}

/** GET /api/v3/klines: Binance's array (the last element is an unused field, always "0"). */
export function klineResponse(kline: Kline) {
  return [
    Number(kline.openTime),
    kline.open,
    kline.high,
    kline.low,
    kline.close,
    kline.volume,
    Number(kline.closeTime),
    kline.quoteVolume,
    Number(kline.tradeCount),
    kline.takerBuyBaseVolume,
    kline.takerBuyQuoteVolume,
    "0",
  ];
}

/** A side of the book or a price that is absent, as Binance writes it: zero at the asset's precision. */
export const zeroAt = (precision: number) => formatUnits(0n, precision);

/** GET /api/v3/ticker/bookTicker (empty sides as zeros). */
export function bookTickerResponse(book: GetBookTickerResponse, info: SymbolInfo) {
  const price = (value: string) => value || zeroAt(info.quoteAssetPrecision);
  const qty = (value: string) => value || zeroAt(info.baseAssetPrecision);
  return { symbol: book.symbol, bidPrice: price(book.bidPrice), bidQty: qty(book.bidQty), askPrice: price(book.askPrice), askQty: qty(book.askQty) };
}

/** GET /api/v3/ticker (rolling window): the 24 h ticker's fields without the previous close, last quantity and book. */
export function rollingTickerResponse(ticker: Ticker24h, type: "FULL" | "MINI", info: SymbolInfo) {
  const mini = ticker24hResponse(ticker, "MINI", info);
  if (type === "MINI") return mini;
  const { symbol, ...stats } = mini;
  return { symbol, priceChange: ticker.priceChange, priceChangePercent: ticker.priceChangePercent, weightedAvgPrice: ticker.weightedAvgPrice, ...stats };
}

/** GET /api/v3/ticker/24hr, MINI or FULL (FULL adds the best prices and the previous close). */
export function ticker24hResponse(ticker: Ticker24h, type: "FULL" | "MINI", info: SymbolInfo, book?: GetBookTickerResponse) {
  const id = (value: bigint) => (value === 0n ? -1 : idNumber(value));
  const mini = {
    symbol: ticker.symbol,
    openPrice: ticker.openPrice,
    highPrice: ticker.highPrice,
    lowPrice: ticker.lowPrice,
    lastPrice: ticker.lastPrice,
    volume: ticker.volume,
    quoteVolume: ticker.quoteVolume,
    openTime: Number(ticker.openTime),
    closeTime: Number(ticker.closeTime),
    firstId: id(ticker.firstId),
    lastId: id(ticker.lastId),
    count: Number(ticker.count),
  };
  if (type === "MINI") return mini;
  const best = book ? bookTickerResponse(book, info) : undefined;
  return {
    symbol: ticker.symbol,
    priceChange: ticker.priceChange,
    priceChangePercent: ticker.priceChangePercent,
    weightedAvgPrice: ticker.weightedAvgPrice,
    prevClosePrice: ticker.prevClosePrice || zeroAt(info.quoteAssetPrecision),
    lastPrice: ticker.lastPrice,
    lastQty: ticker.lastQty,
    bidPrice: best?.bidPrice ?? zeroAt(info.quoteAssetPrecision),
    bidQty: best?.bidQty ?? zeroAt(info.baseAssetPrecision),
    askPrice: best?.askPrice ?? zeroAt(info.quoteAssetPrecision),
    askQty: best?.askQty ?? zeroAt(info.baseAssetPrecision),
    openPrice: mini.openPrice,
    highPrice: mini.highPrice,
    lowPrice: mini.lowPrice,
    volume: mini.volume,
    quoteVolume: mini.quoteVolume,
    openTime: mini.openTime,
    closeTime: mini.closeTime,
    firstId: mini.firstId,
    lastId: mini.lastId,
    count: mini.count,
  };
}

/** The head every order list answer shares: the list, its status and its orders by id. */
function orderListHead(list: OrderList) {
  return {
    orderListId: idNumber(list.orderListId),
    contingencyType: contingencyName(list.contingencyType),
    listStatusType: listStatusTypeName(list.listStatusType),
    listOrderStatus: listOrderStatusName(list.listOrderStatus),
    listClientOrderId: list.listClientOrderId,
    transactionTime: Number(list.transactionTime),
    symbol: list.symbol,
    orders: list.orders.map((order) => ({ symbol: order.symbol, orderId: idNumber(order.orderId), clientOrderId: order.clientOrderId })),
  };
}

/** POST /api/v3/orderList/oco|oto|otoco and /api/v3/order/oco: the list, and each order in the requested shape. */
export function newOrderListResponse(list: OrderList, respType: NewOrderRespType, fills: ReadonlyMap<bigint, readonly Trade[]> = new Map()) {
  return { ...orderListHead(list), orderReports: list.orders.map((order) => newOrderResponse(order, respType, fills.get(order.orderId) ?? [])) };
}

/** DELETE /api/v3/orderList. */
export function cancelOrderListResponse(list: OrderList, transactTime: number) {
  return { ...orderListHead(list), orderReports: list.orders.map((order) => ({ ...cancelOrderResponse(order, transactTime), ...(order.stopPrice && order.stopPrice !== zeroLikeOf(order.stopPrice) ? { stopPrice: order.stopPrice } : {}) })) };
}

/** GET /api/v3/orderList, allOrderList, openOrderList: the list and its order ids. */
export const queryOrderListResponse = (list: OrderList) => orderListHead(list);

const zeroLikeOf = (decimal: string) => decimal.replace(/[1-9]/g, "0");
