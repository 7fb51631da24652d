import type { UserTrade } from "../domain/order.js";

/** Stored trades read for the archives: both sides of each trade, by (trade id, maker side last). */
export interface TradeArchiveSource {
  /** The symbol's trades whose time is in [from, to). */
  tradesBetween(symbol: string, from: number, to: number): Promise<UserTrade[]>;
}
