/**
 * Open-addressing hash map from a safe-integer key (order id, price) to a non-negative int32 value (pool slot,
 * level id). One Float64Array holds key and value side by side (one cache line per probe), linear probing,
 * backward-shift deletion (no tombstones), load factor <= 1/2, grows by doubling from a small start so that the
 * table stays as small as the live set (a book with a few thousand resting orders keeps its index in L1/L2).
 * Replaces Map<number, number> in the book's hot path: no per-entry allocation, and lookups inline into callers.
 */
const EMPTY = -1;

export class IdIndex {
  /** [key, value] pairs; value EMPTY marks a free slot. */
  private kv: Float64Array<ArrayBuffer>;
  /** (slots - 1) * 2: masks a pair offset. */
  private mask: number;
  private shift: number;
  size = 0;

  constructor(capacity = 64) {
    let slots = 16;
    while (slots < capacity * 2) slots *= 2;
    this.kv = new Float64Array(slots * 2).fill(EMPTY);
    this.mask = (slots - 1) * 2;
    this.shift = 32 - Math.log2(slots);
  }

  /** pair offset of k's home slot: multiplicative hash of both 32-bit halves, top bits. */
  private home(k: number): number {
    // k * 2^-32 is exact (power of two) and cheaper than a division
    const h = Math.imul((k | 0) ^ Math.imul((k * 2.3283064365386963e-10) | 0, 0x85ebca6b), 0x9e3779b1);
    return (h >>> this.shift) << 1;
  }

  /** value for k, or -1. */
  get(k: number): number {
    const kv = this.kv;
    const mask = this.mask;
    let i = this.home(k);
    for (;;) {
      const v = kv[i + 1];
      if (v === EMPTY) return EMPTY;
      if (kv[i] === k) return v;
      i = (i + 2) & mask;
    }
  }

  has(k: number): boolean {
    return this.get(k) !== EMPTY;
  }

  /** inserts or overwrites (v >= 0). */
  set(k: number, v: number): void {
    if ((this.size + 1) * 4 > this.kv.length) this.grow();
    const kv = this.kv;
    const mask = this.mask;
    let i = this.home(k);
    for (;;) {
      if (kv[i + 1] === EMPTY) {
        kv[i] = k;
        kv[i + 1] = v;
        this.size++;
        return;
      }
      if (kv[i] === k) {
        kv[i + 1] = v;
        return;
      }
      i = (i + 2) & mask;
    }
  }

  /** removes k; returns its value or -1. */
  delete(k: number): number {
    const kv = this.kv;
    const mask = this.mask;
    let i = this.home(k);
    for (;;) {
      if (kv[i + 1] === EMPTY) return EMPTY;
      if (kv[i] === k) break;
      i = (i + 2) & mask;
    }
    const out = kv[i + 1];
    // backward shift: pull later members of the probe run into the hole when their home slot allows it
    let j = i;
    for (;;) {
      j = (j + 2) & mask;
      if (kv[j + 1] === EMPTY) break;
      const h = this.home(kv[j]);
      if (((j - h) & mask) >= ((j - i) & mask)) {
        kv[i] = kv[j];
        kv[i + 1] = kv[j + 1];
        i = j;
      }
    }
    kv[i + 1] = EMPTY;
    this.size--;
    return out;
  }

  /** calls fn for every entry (unspecified order). */
  forEach(fn: (k: number, v: number) => void): void {
    const kv = this.kv;
    for (let i = 0; i < kv.length; i += 2) if (kv[i + 1] !== EMPTY) fn(kv[i], kv[i + 1]);
  }

  private grow(): void {
    const old = this.kv;
    const slots = old.length; // doubles: old.length / 2 slots -> old.length slots
    this.kv = new Float64Array(slots * 2).fill(EMPTY);
    this.mask = (slots - 1) * 2;
    this.shift = 32 - Math.log2(slots);
    this.size = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== EMPTY) this.set(old[i], old[i + 1]);
  }
}
