import { DomainError } from "#kit/errors/domain-error.js";
import type { OrderUpdate } from "../domain/order-update.event.js";
import type { OrderUpdateFeed, OrderUpdatePublisher } from "../ports/order-updates.port.js";

/** Updates a subscriber may fall behind by before its stream is ended (as marketdata's streams). */
export const ORDER_UPDATE_BACKLOG = 10_000;

type Listener = (update: OrderUpdate) => void;

/**
 * The in-process emitter: publish() hands each update to the account's live subscribers' queues
 * and returns; a queue longer than the backlog ends that subscriber's stream with DISCONNECTED.
 * Subscribers hear what this process stored (the order service's consumer of each symbol).
 */
export class MemoryOrderUpdates implements OrderUpdatePublisher, OrderUpdateFeed {
  private readonly byAccount = new Map<string, Set<Listener>>();

  constructor(private readonly backlog = ORDER_UPDATE_BACKLOG) {}

  publish(updates: readonly OrderUpdate[]): void {
    for (const update of updates) {
      for (const listener of this.byAccount.get(update.order.accountId) ?? []) listener(update);
    }
  }

  subscribers(accountId: string): number {
    return this.byAccount.get(accountId)?.size ?? 0;
  }

  async *follow(accountId: string, signal: AbortSignal): AsyncGenerator<OrderUpdate> {
    const queue: OrderUpdate[] = [];
    let wake: (() => void) | undefined;
    let overflow = false;
    const listener: Listener = (update) => {
      if (overflow) return;
      queue.push(update);
      if (queue.length > this.backlog) {
        overflow = true;
        queue.length = 0;
      }
      wake?.();
    };
    const set = this.byAccount.get(accountId) ?? new Set();
    set.add(listener);
    this.byAccount.set(accountId, set);
    const onAbort = () => wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      while (!signal.aborted) {
        if (overflow) throw new DomainError("DISCONNECTED", "Order update stream fell too far behind; subscribe again.");
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      set.delete(listener);
      if (set.size === 0 && this.byAccount.get(accountId) === set) this.byAccount.delete(accountId);
      signal.removeEventListener("abort", onAbort);
    }
  }
}
