import type { OrderUpdate } from "../domain/order-update.event.js";

/** One batch of matching's event stream of a symbol, by its sequence. */
export interface BatchRef {
  readonly symbol: string;
  readonly sequence: number;
}

/** Where the order use case hands the changes it has stored, in the order it stored them. */
export interface OrderUpdatePublisher {
  /**
   * Never blocks and never throws: a subscriber that cannot keep up is dropped, not waited for.
   * `batch` is the matching batch this process stored (possibly with no updates); absent for a
   * change outside any batch (a hold refused at placement).
   */
  publish(updates: readonly OrderUpdate[], batch?: BatchRef): void;
  /**
   * A batch this process applied but another process had already stored (and reports). Publishers
   * shared between processes use it to keep a symbol's batches in sequence order.
   */
  storedElsewhere?(batch: BatchRef): void;
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
