/**
 * Open-addressing hash map from a positive safe-integer key (order id, price) to a non-negative int32 value
 * (pool slot, level id). Typed arrays, linear probing, backward-shift deletion (no tombstones), load <= 1/2.
 * Replaces Map<number, number> in the book's hot path: no per-entry allocation, no rehash garbage between
 * growths, and the lookups inline into the callers.
 */
const EMPTY = -1;

export class IdIndex {
  private keys: Float64Array<ArrayBuffer>;
  private vals: Int32Array<ArrayBuffer>;
  private mask: number;
  private shift: number;
  size = 0;

  constructor(capacity = 1024) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  /** multiplicative hash of both 32-bit halves of a safe integer; top bits select the slot. */
  private slot(k: number): number {
    const h = Math.imul((k | 0) ^ Math.imul((k / 4294967296) | 0, 0x85ebca6b), 0x9e3779b1);
    return h >>> this.shift;
  }

  /** value for k, or -1. */
  get(k: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.slot(k);
    for (;;) {
      const v = vals[i];
      if (v === EMPTY) return EMPTY;
      if (keys[i] === k) return v;
      i = (i + 1) & mask;
    }
  }

  has(k: number): boolean {
    return this.get(k) !== EMPTY;
  }

  /** inserts or overwrites. */
  set(k: number, v: number): void {
    if ((this.size + 1) * 2 > this.vals.length) this.grow();
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.slot(k);
    for (;;) {
      if (vals[i] === EMPTY) {
        keys[i] = k;
        vals[i] = v;
        this.size++;
        return;
      }
      if (keys[i] === k) {
        vals[i] = v;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** removes k; returns its value or -1. */
  delete(k: number): number {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.slot(k);
    for (;;) {
      const v = vals[i];
      if (v === EMPTY) return EMPTY;
      if (keys[i] === k) break;
      i = (i + 1) & mask;
    }
    const out = vals[i];
    // backward shift: pull later members of the probe run into the hole when their home slot allows it
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (vals[j] === EMPTY) break;
      const home = this.slot(keys[j]);
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = keys[j];
        vals[i] = vals[j];
        i = j;
      }
    }
    vals[i] = EMPTY;
    this.size--;
    return out;
  }

  /** calls fn for every entry (unspecified order). */
  forEach(fn: (k: number, v: number) => void): void {
    const keys = this.keys;
    const vals = this.vals;
    for (let i = 0; i < vals.length; i++) if (vals[i] !== EMPTY) fn(keys[i], vals[i]);
  }

  private grow(): void {
    const oldK = this.keys;
    const oldV = this.vals;
    const cap = oldV.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(EMPTY);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.size = 0;
    for (let i = 0; i < oldV.length; i++) if (oldV[i] !== EMPTY) this.set(oldK[i], oldV[i]);
  }
}
