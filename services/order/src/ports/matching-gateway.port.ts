import type { Command, EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";

/** matching.v1 as order needs it. */
export interface MatchingGateway {
  /** Submits a command; "duplicate" when matching already has this placement. */
  submit(command: Command): Promise<EventBatch | "duplicate">;
  events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncIterable<EventBatch>;
  bestAskTicks(symbol: string): Promise<bigint | undefined>;
  /** The sequence of the symbol's last applied command (matching's head). */
  headSequence(symbol: string): Promise<number>;
}
