import { OrderStatus, Side } from "#gen/exchange/common/v1/common_pb.js";
import { formatUnits } from "#kit/money/decimal.js";
import { NOTICE_TYPES, type Notice } from "#kit/outbox/notice.js";
import type { NotificationEvent } from "#kit/ports/notifier.port.js";
import type { OrderUpdate } from "./order-update.event.js";
import type { SymbolUnits } from "./symbol-units.js";

/**
 * The user notifications of one stored matching batch: a fill notice per TRADE update, an order-state notice per
 * other update. Ids are (symbol, sequence, position in the batch): a batch is stored once, so a notice written twice
 * (never) or published twice (a relay restart) keeps its id and is delivered once.
 */
export function orderNotices(symbol: string, sequence: number, updates: readonly OrderUpdate[], units: SymbolUnits): NotificationEvent[] {
  const { spec } = units;
  const price = (ticks: bigint) => formatUnits(ticks * units.tickUnits, spec.quoteScale);
  const qty = (lots: bigint) => formatUnits(units.baseOf(lots), spec.baseScale);
  return updates.map((update, index): NotificationEvent => {
    const { order } = update;
    const common = {
      symbol,
      orderId: order.orderId,
      clientOrderId: order.clientOrderId,
      side: Side[order.side] ?? "UNSPECIFIED",
      status: OrderStatus[order.status] ?? "UNSPECIFIED",
      executedQty: qty(order.filledLots),
    };
    const id = `order:${symbol}:${sequence}:${index}`;
    if (update.fill) {
      const fill = update.fill;
      const notice: Notice = {
        accountId: order.accountId,
        time: update.time,
        data: {
          ...common,
          tradeId: fill.tradeId,
          price: price(fill.priceTicks),
          qty: qty(fill.quantityLots),
          quoteQty: formatUnits(fill.quoteUnits, spec.quoteScale),
          commission: formatUnits(fill.commissionUnits, fill.commissionAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale),
          commissionAsset: fill.commissionAsset,
          isMaker: fill.isMaker,
        },
      };
      return { id, type: NOTICE_TYPES.tradeFilled, payload: notice };
    }
    const notice: Notice = {
      accountId: order.accountId,
      time: update.time,
      data: { ...common, executionType: update.executionType, rejectReason: update.rejectReason, price: price(order.priceTicks), origQty: qty(order.quantityLots) },
    };
    return { id, type: NOTICE_TYPES.orderUpdated, payload: notice };
  });
}
