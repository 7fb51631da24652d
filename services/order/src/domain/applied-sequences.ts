/**
 * How far the event consumer has applied each symbol's matching sequence, and who waits for it:
 * a placement or cancel answers once its own events are applied (bounded by a wait), and a
 * placement matching rejected learns why from the consumer.
 */
export class AppliedSequences {
  private readonly applied = new Map<string, number>();
  private readonly waiters = new Map<string, { sequence: number; resolve: () => void }[]>();
  private readonly rejections = new Map<string, string>();

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

  rejected(symbol: string, orderId: number, reason: string): void {
    this.rejections.set(`${symbol}:${orderId}`, reason);
  }

  /** Matching's reason for rejecting the placement, once (then forgotten). */
  takeRejection(symbol: string, orderId: number): string | undefined {
    const key = `${symbol}:${orderId}`;
    const reason = this.rejections.get(key);
    if (reason !== undefined) this.rejections.delete(key);
    return reason;
  }
}
