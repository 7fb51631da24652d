import type { Command, EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";

/** What became of one command of a batch. */
export type SubmitOutcome = EventBatch | "duplicate" | { readonly invalid: string };

/** matching.v1 as order needs it. */
export interface MatchingGateway {
  /** Submits a command; "duplicate" when matching already has this placement. */
  submit(command: Command): Promise<EventBatch | "duplicate">;
  /**
   * Submits commands of one symbol in the order given, journaled in one write; one result per
   * command: its batch, "duplicate" (already placed) or `{ invalid }` (refused, nothing journaled).
   */
  submitBatch(symbol: string, commands: readonly Command[]): Promise<SubmitOutcome[]>;
  events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncIterable<EventBatch>;
  /** Everything of `symbol` up to `sequence` is stored (a source reading a log commits its position past it). */
  applied?(symbol: string, sequence: number): void;
  bestAskTicks(symbol: string): Promise<bigint | undefined>;
  /** The sequence of the symbol's last applied command (matching's head). */
  headSequence(symbol: string): Promise<number>;
}
