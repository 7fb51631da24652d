import type { Order, UserTrade } from "../domain/order.js";
import type { OrderQuery, TradeQuery } from "../domain/order-history.js";

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
  get(symbol: string, orderId: number): Promise<Order | undefined>;
  getByClientId(accountId: string, clientOrderId: string): Promise<Order | undefined>;
  update(order: Order): Promise<void>;
  /** Orders not yet delivered to matching, oldest first. */
  undelivered(symbol: string): Promise<Order[]>;
  listOpen(accountId: string, symbol?: string): Promise<Order[]>;
  list(accountId: string, symbol: string, pageSize: number, pageToken: string): Promise<OrderPage<Order>>;
  listTrades(accountId: string, symbol: string, pageSize: number, pageToken: string): Promise<OrderPage<UserTrade>>;
  /** Binance allOrders: at most `limit` orders, oldest first, reading only those (see scanOf). */
  findOrders(accountId: string, symbol: string, query: OrderQuery): Promise<Order[]>;
  /** Binance myTrades: at most `limit` trades, oldest first (a self-trade's two sides by is_maker). */
  findTrades(accountId: string, symbol: string, query: TradeQuery): Promise<UserTrade[]>;
  /** Last matching sequence applied for a symbol (0 = none). */
  lastSequence(symbol: string): Promise<number>;
  /** Applies one matching batch's effects and its sequence atomically; a batch at or below the last is ignored. */
  applyBatch(symbol: string, sequence: number, orders: readonly Order[], trades: readonly UserTrade[]): Promise<boolean>;
}
