import { compareDecimal, isZero } from "./decimal.js";

export interface Level {
  readonly price: string;
  readonly quantity: string;
}

export interface DepthDiff {
  readonly firstUpdateId: bigint;
  readonly finalUpdateId: bigint;
  readonly bids: readonly Level[];
  readonly asks: readonly Level[];
}

/**
 * A local order book kept from a snapshot (GetDepth) and the diffs of StreamDepth, as Binance's clients keep one:
 * diffs that arrive before the snapshot wait; those the snapshot already holds are dropped; a level's quantity
 * replaces the old one and zero removes it.
 */
export class LocalBook {
  #bids = new Map<string, string>();
  #asks = new Map<string, string>();
  #lastUpdateId: bigint | undefined;
  #pending: DepthDiff[] = [];

  snapshot(lastUpdateId: bigint, bids: readonly Level[], asks: readonly Level[]): void {
    this.#bids = new Map(bids.map((l) => [l.price, l.quantity]));
    this.#asks = new Map(asks.map((l) => [l.price, l.quantity]));
    this.#lastUpdateId = lastUpdateId;
    const pending = this.#pending;
    this.#pending = [];
    for (const diff of pending) this.apply(diff);
  }

  apply(diff: DepthDiff): void {
    if (this.#lastUpdateId === undefined) {
      this.#pending.push(diff);
      return;
    }
    if (diff.finalUpdateId <= this.#lastUpdateId) return;
    for (const [side, levels] of [[this.#bids, diff.bids], [this.#asks, diff.asks]] as const) {
      for (const { price, quantity } of levels) {
        if (isZero(quantity)) side.delete(price);
        else side.set(price, quantity);
      }
    }
    this.#lastUpdateId = diff.finalUpdateId;
  }

  /** Best first: bids high to low, asks low to high. */
  levels(depth = 10): { bids: Level[]; asks: Level[] } {
    const sorted = (side: Map<string, string>, direction: 1 | -1) =>
      [...side].map(([price, quantity]) => ({ price, quantity })).sort((a, b) => direction * compareDecimal(a.price, b.price)).slice(0, depth);
    return { bids: sorted(this.#bids, -1), asks: sorted(this.#asks, 1) };
  }
}
