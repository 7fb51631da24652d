import type { OrderUpdate } from "../domain/order-update.event.js";

/** Where the order use case hands the changes it has stored, in the order it stored them. */
export interface OrderUpdatePublisher {
  /** Never blocks and never throws: a subscriber that cannot keep up is dropped, not waited for. */
  publish(updates: readonly OrderUpdate[]): void;
}

/** Live order changes per account, for StreamOrderUpdates. */
export interface OrderUpdateFeed {
  /**
   * The account's updates published after this call, until `signal` aborts. A subscriber more
   * than the feed's backlog behind is ended with DISCONNECTED (subscribe again, then re-read
   * open orders).
   */
  follow(accountId: string, signal: AbortSignal): AsyncGenerator<OrderUpdate>;
  /** Live subscribers of an account (for tests and metrics). */
  subscribers(accountId: string): number;
}
