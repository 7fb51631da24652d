import { Side } from "#gen/exchange/common/v1/common_pb.js";
import type { EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import type { BookSide } from "../ports/matching-feed.port.js";

/**
 * A diff of the book over matching sequences [firstSequence, finalSequence] (Binance's U and u):
 * each changed level's new total (lots 0: the level is gone), one entry per price, in ticks and lots.
 */
export interface DepthChange {
  readonly firstSequence: number;
  readonly finalSequence: number;
  /** The last batch's timestamp (ms). */
  readonly time: number;
  readonly bids: readonly BookSide[];
  readonly asks: readonly BookSide[];
}

/**
 * The book levels one batch changed, netted per price (the last value wins); undefined when the
 * batch left the book as it was. `previousChange` is the sequence of the last batch before it that
 * changed the book (or where the projection started): U = previousChange + 1 covers the batches in
 * between that did not touch the book, so each update's U is the previous one's u + 1.
 */
export function depthChangeOf(batch: EventBatch, previousChange: number): DepthChange | undefined {
  const bids = new Map<bigint, bigint>();
  const asks = new Map<bigint, bigint>();
  for (const event of batch.events) {
    if (event.kind.case !== "book") continue;
    const level = event.kind.value;
    (level.side === Side.BUY ? bids : asks).set(BigInt(level.priceTicks), BigInt(level.quantityLots));
  }
  if (bids.size === 0 && asks.size === 0) return undefined;
  const sequence = Number(batch.sequence);
  return { firstSequence: Math.min(previousChange + 1, sequence), finalSequence: sequence, time: Number(batch.timestamp), bids: levels(bids, -1), asks: levels(asks, 1) };
}

/** Bids best (highest) first, asks lowest first. */
function levels(map: Map<bigint, bigint>, order: 1 | -1): BookSide[] {
  return [...map].map(([ticks, lots]) => ({ ticks, lots })).sort((a, b) => (a.ticks === b.ticks ? 0 : (a.ticks < b.ticks ? -order : order)));
}
