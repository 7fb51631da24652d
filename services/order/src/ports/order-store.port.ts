import type { NotificationEvent } from "#kit/ports/notifier.port.js";
import type { OpenOrderCounts } from "../domain/symbol-filters.js";
import type { Order, UserTrade } from "../domain/order.js";
import type { TradePrint } from "../domain/trade-prices.js";
import type { OrderQuery, TradeQuery } from "../domain/order-history.js";
import type { OrderList, OrderListQuery } from "../domain/order-list.js";

/**
 * Orders to remove, with their list if any: matching refused them at placement (a lone order, or a list whole), so
 * nothing of them is kept or shown.
 */
export interface DiscardedOrders {
  readonly orderListId?: number;
  readonly orderIds: readonly number[];
}

export interface OrderPage<T> {
  readonly items: T[];
  readonly nextToken: string;
}

/** Orders, user trades and the position of the matching-event consumer, per symbol. */
export interface OrderStore {
  /** Next order id of a symbol: strictly increasing, never reused. */
  nextOrderId(symbol: string): Promise<number>;
  /** Inserts a new order; returns the existing one instead when (account, clientOrderId) is taken. */
  insert(order: Order): Promise<{ order: Order; created: boolean }>;
  /**
   * In one transaction: allocates `count` consecutive order ids of the symbol, builds the orders
   * with the first of them, and inserts each; an order whose (account, clientOrderId) is taken is
   * answered with the stored one instead (its id stays unused).
   */
  insertNew(symbol: string, count: number, build: (firstOrderId: number) => Order[]): Promise<{ order: Order; created: boolean }[]>;
  get(symbol: string, orderId: number): Promise<Order | undefined>;
  /** The symbol's orders of these ids that exist, in no particular order (one read for a batch's orders). */
  getMany(symbol: string, orderIds: readonly number[]): Promise<Order[]>;
  getByClientId(accountId: string, clientOrderId: string): Promise<Order | undefined>;
  update(order: Order): Promise<void>;
  /**
   * Removes orders matching never got (refused before delivery: their rows were the outbox and nothing else points to
   * them), and their list, in one transaction; only rows still not submitted are removed. Their ids stay used.
   */
  discardUndelivered(symbol: string, orderIds: readonly number[], orderListId?: number): Promise<void>;
  /** Orders not yet delivered to matching, oldest first. */
  undelivered(symbol: string): Promise<Order[]>;
  listOpen(accountId: string, symbol?: string): Promise<Order[]>;
  /** The accounts with an order of `symbol` still open (NEW, PARTIALLY_FILLED or PENDING_NEW). */
  openAccounts(symbol: string): Promise<string[]>;
  /** The account's open orders on the symbol (PENDING_NEW included) as the MAX_NUM_* filters count them. */
  openOrderCounts(accountId: string, symbol: string): Promise<OpenOrderCounts>;
  /** The same for several accounts in one read; an account without open orders may be absent. */
  openOrderCountsOf(symbol: string, accountIds: readonly string[]): Promise<Map<string, OpenOrderCounts>>;
  list(accountId: string, symbol: string, pageSize: number, pageToken: string): Promise<OrderPage<Order>>;
  listTrades(accountId: string, symbol: string, pageSize: number, pageToken: string): Promise<OrderPage<UserTrade>>;
  /** Binance allOrders: at most `limit` orders, oldest first, reading only those (see scanOf). */
  findOrders(accountId: string, symbol: string, query: OrderQuery): Promise<Order[]>;
  /** Binance myTrades: at most `limit` trades, oldest first (a self-trade's two sides by is_maker). */
  findTrades(accountId: string, symbol: string, query: TradeQuery): Promise<UserTrade[]>;
  /**
   * In one transaction: allocates the list's id (unique across symbols) and `count` consecutive
   * order ids of the symbol, builds the list and its orders with them, and inserts all. A list
   * whose (account, listClientOrderId) is taken is answered with the stored one (created false,
   * nothing inserted); an order whose (account, clientOrderId) is taken fails the whole insert.
   */
  insertList(
    symbol: string,
    count: number,
    build: (orderListId: number, firstOrderId: number) => { list: OrderList; orders: Order[] },
  ): Promise<{ list: OrderList; orders: Order[]; created: boolean }>;
  getList(orderListId: number): Promise<OrderList | undefined>;
  getListByClientId(accountId: string, listClientOrderId: string): Promise<OrderList | undefined>;
  /** Binance allOrderList: at most `limit` lists of the account, oldest first. */
  findLists(accountId: string, query: OrderListQuery): Promise<OrderList[]>;
  /** The account's lists with an order still open (NEW, PARTIALLY_FILLED or PENDING_NEW), oldest first. */
  openLists(accountId: string): Promise<OrderList[]>;
  /** Last matching sequence applied for a symbol (0 = none). */
  lastSequence(symbol: string): Promise<number>;
  /**
   * The symbol's trades at or after `since` (ms), and its latest one however old, oldest first,
   * one per trade (whoever's): what the average price is loaded from after a start.
   */
  recentTrades(symbol: string, since: number): Promise<TradePrint[]>;
  /**
   * Applies the effects of matching's batches firstSequence..sequence (default: the one batch
   * `sequence`) and moves the symbol's sequence to `sequence`, atomically; false (nothing
   * written) when the applied sequence is already at or past `firstSequence`. `notices` go to the
   * outbox in the same transaction, and the `discarded` orders (a lone order or a list matching refused at
   * placement) are removed, with their lists.
   */
  applyBatch(
    symbol: string,
    sequence: number,
    orders: readonly Order[],
    trades: readonly UserTrade[],
    firstSequence?: number,
    notices?: readonly NotificationEvent[],
    discarded?: readonly DiscardedOrders[],
  ): Promise<boolean>;
}
