/**
 * Parked waiters woken together: a reader that found nothing new waits here until a writer
 * calls wakeAll(), a timeout passes, or its signal aborts, whichever comes first.
 */
export class Wakeups {
  private readonly waiters = new Set<() => void>();

  wait(options: { ms?: number; signal?: AbortSignal } = {}): Promise<void> {
    const { ms, signal } = options;
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      signal?.addEventListener("abort", done);
      this.waiters.add(done);
    });
  }

  wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
