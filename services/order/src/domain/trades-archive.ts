import { formatUnits } from "#kit/money/decimal.js";
import type { ColumnSpec, Row } from "#kit/archive/parquet.js";
import type { UserTrade } from "./order.js";
import type { SymbolUnits } from "./symbol-units.js";

/** The archived trades table: one row per side of each trade, prices and amounts as decimal strings. */
export const TRADES_TABLE = "trades";

export const TRADE_COLUMNS: readonly ColumnSpec[] = [
  { name: "trade_id", type: "INT64" },
  { name: "time", type: "TIMESTAMP" },
  { name: "symbol", type: "STRING" },
  { name: "side", type: "STRING" },
  { name: "liquidity", type: "STRING" },
  { name: "account_id", type: "STRING" },
  { name: "order_id", type: "INT64" },
  { name: "price", type: "STRING" },
  { name: "qty", type: "STRING" },
  { name: "quote_qty", type: "STRING" },
  { name: "commission", type: "STRING" },
  { name: "commission_asset", type: "STRING" },
];

export function tradeRow(trade: UserTrade, units: SymbolUnits): Row {
  const { spec } = units;
  return {
    trade_id: BigInt(trade.tradeId),
    time: trade.time,
    symbol: trade.symbol,
    side: trade.isBuyer ? "BUY" : "SELL",
    liquidity: trade.isMaker ? "MAKER" : "TAKER",
    account_id: trade.accountId,
    order_id: BigInt(trade.orderId),
    price: formatUnits(trade.priceTicks * units.tickUnits, spec.quoteScale),
    qty: formatUnits(units.baseOf(trade.quantityLots), spec.baseScale),
    quote_qty: formatUnits(trade.quoteUnits, spec.quoteScale),
    commission: formatUnits(trade.commissionUnits, trade.commissionAsset === spec.baseAsset ? spec.baseScale : spec.quoteScale),
    commission_asset: trade.commissionAsset,
  };
}
