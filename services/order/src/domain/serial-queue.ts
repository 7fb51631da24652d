/**
 * Runs tasks one at a time per key, in arrival order. Order ids of a symbol are allocated and
 * delivered to matching under its key, so matching always sees them increasing (which is what
 * lets it treat a lower id as a retry).
 */
export class SerialQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
