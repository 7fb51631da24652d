import type { Order } from "./order.js";

/**
 * How far the event consumer has applied each symbol's matching sequence, and who waits for it:
 * a placement or cancel answers once its own events are applied (bounded by a wait), and a
 * placement matching rejected learns why from the consumer.
 */
/** Rejection reasons kept at most (see rejected). */
const MAX_REJECTIONS = 10_000;

export class AppliedSequences {
  private readonly applied = new Map<string, number>();
  private readonly waiters = new Map<string, { sequence: number; resolve: () => void }[]>();
  private readonly rejections = new Map<string, string>();
  /** Per symbol, the placements waiting for their order as stored; the order once the consumer stored it. */
  private readonly awaited = new Map<string, Map<number, Order | undefined>>();

  constructor(private readonly waitMs = 3_000) {}

  /** The last sequence applied for `symbol` (0: none). */
  head(symbol: string): number {
    return this.applied.get(symbol) ?? 0;
  }

  mark(symbol: string, sequence: number): void {
    this.applied.set(symbol, Math.max(sequence, this.head(symbol)));
    const list = this.waiters.get(symbol);
    if (!list) return;
    const still = list.filter((waiter) => {
      if (waiter.sequence > sequence) return true;
      waiter.resolve();
      return false;
    });
    if (still.length > 0) this.waiters.set(symbol, still);
    else this.waiters.delete(symbol);
  }

  /** Resolves once `sequence` is applied, or after the wait (the caller answers with what it has). */
  waitFor(symbol: string, sequence: number): Promise<void> {
    if (this.head(symbol) >= sequence) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.waitMs);
      const list = this.waiters.get(symbol) ?? [];
      list.push({ sequence, resolve: () => (clearTimeout(timer), resolve()) });
      this.waiters.set(symbol, list);
    });
  }

  /** Waits until `sequence` is applied, at most `ms`. */
  async settleWithin(symbol: string, sequence: number, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.head(symbol) < sequence && Date.now() < deadline) await this.waitFor(symbol, sequence);
  }

  /**
   * Matching's reason for rejecting a placement, kept for its caller. Reasons nobody takes (a placement another
   * replica is answering) are forgotten oldest first beyond MAX_REJECTIONS; a waiting caller takes its own as soon
   * as the consumer records it.
   */
  rejected(symbol: string, orderId: number, reason: string): void {
    this.rejections.set(`${symbol}:${orderId}`, reason);
    if (this.rejections.size > MAX_REJECTIONS) this.rejections.delete(this.rejections.keys().next().value!);
  }

  /** Matching's reason for rejecting the placement, once (then forgotten). */
  takeRejection(symbol: string, orderId: number): string | undefined {
    const key = `${symbol}:${orderId}`;
    const reason = this.rejections.get(key);
    if (reason !== undefined) this.rejections.delete(key);
    return reason;
  }

  /** A placement will ask for this order as the consumer stores it (see storedOrder). */
  await(symbol: string, orderId: number): void {
    let orders = this.awaited.get(symbol);
    if (!orders) this.awaited.set(symbol, (orders = new Map()));
    orders.set(orderId, undefined);
  }

  /** The consumer stored these orders: those awaited are kept (copies) for their placements. */
  stored(symbol: string, orders: readonly Order[]): void {
    const awaited = this.awaited.get(symbol);
    if (!awaited) return;
    for (const order of orders) if (awaited.has(order.orderId)) awaited.set(order.orderId, { ...order });
  }

  /**
   * The awaited order as this process's consumer stored it (undefined when it did not: stored by
   * another replica, or not yet), then forgotten. Saves the placement a read of what was just written.
   */
  storedOrder(symbol: string, orderId: number): Order | undefined {
    const awaited = this.awaited.get(symbol);
    const order = awaited?.get(orderId);
    awaited?.delete(orderId);
    if (awaited?.size === 0) this.awaited.delete(symbol);
    return order;
  }
}
