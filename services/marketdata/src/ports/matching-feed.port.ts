import type { EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";

export interface BookSide {
  readonly ticks: bigint;
  readonly lots: bigint;
}

export interface BookSnapshot {
  readonly sequence: number;
  readonly bids: readonly BookSide[];
  readonly asks: readonly BookSide[];
}

/** matching.v1 as marketdata needs it: a symbol's event stream and its book. */
export interface MatchingFeed {
  events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncIterable<EventBatch>;
  /** Everything of `symbol` up to `sequence` is stored (a source reading a log commits its position past it). */
  applied?(symbol: string, sequence: number): void;
  book(symbol: string, depth: number): Promise<BookSnapshot>;
}
