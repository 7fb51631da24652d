/**
 * The order ids already placed on one book, to tell a retried placement (answered AlreadyExists) from a new one.
 * Order replicas allocate ids from one counter per symbol and deliver concurrently, and an order whose delivery
 * failed (matching restarting) is delivered again later: ids arrive nearly, not strictly, in order. An id is taken
 * as placed if it was, or if it is more than `window` below the highest placed (so the set stays bounded).
 */
export class PlacedIds {
  private highest = 0;
  private readonly recent = new Set<number>();

  constructor(private readonly window = 50_000) {}

  has(id: number): boolean {
    return id <= this.highest - this.window || this.recent.has(id);
  }

  add(id: number): void {
    this.recent.add(id);
    if (id > this.highest) this.highest = id;
    if (this.recent.size > 2 * this.window) {
      const floor = this.highest - this.window;
      for (const placed of this.recent) if (placed <= floor) this.recent.delete(placed);
    }
  }
}
