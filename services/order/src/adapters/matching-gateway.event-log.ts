import { fromBinary } from "@bufbuild/protobuf";
import { EventBatchSchema, type Command, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { SequencedFeed, withGapsFilled } from "#kit/events/sequenced-feed.js";
import type { EventLog } from "#kit/ports/event-log.port.js";
import type { MatchingGateway, SubmitOutcome } from "../ports/matching-gateway.port.js";

export interface EventLogMatchingOptions {
  readonly log: EventLog;
  /** matching's events topic (exchange.matching.events.v1) */
  readonly topic: string;
  /** this consumer's group: one per replica, since every replica applies (and waits on) every symbol */
  readonly group: string;
  /** the topic's partitions, should it be created here (matching's publisher may start later) */
  readonly partitions?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * matching.v1 with the events read from the events topic as a consumer group (the event backbone): commands and
 * book reads still go to matching; a symbol's batches come from the topic, committed once the consumer stored them
 * (applied()), and what the topic lacks (published before this group existed, or a store that lost its last
 * writes) is read from matching's stream.
 */
export class EventLogMatchingGateway implements MatchingGateway {
  private readonly feed: SequencedFeed<EventBatch>;

  constructor(
    private readonly matching: MatchingGateway,
    options: EventLogMatchingOptions,
  ) {
    this.feed = new SequencedFeed({ ...options, decode: (record) => fromBinary(EventBatchSchema, record.value) });
  }

  start(): Promise<void> {
    return this.feed.start();
  }

  stop(): Promise<void> {
    return this.feed.close();
  }

  submit(command: Command): Promise<EventBatch | "duplicate"> {
    return this.matching.submit(command);
  }

  submitBatch(symbol: string, commands: readonly Command[]): Promise<SubmitOutcome[]> {
    return this.matching.submitBatch(symbol, commands);
  }

  events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncIterable<EventBatch> {
    // Opens the symbol at matching, whose publisher then publishes what it journaled and had not published.
    void this.matching.headSequence(symbol).catch(() => undefined);
    return withGapsFilled(this.feed, (key, from, stop) => this.matching.events(key, from, stop), (batch) => Number(batch.sequence), symbol, fromSequence, signal);
  }

  applied(symbol: string, sequence: number): void {
    this.feed.acknowledge(symbol, sequence);
  }

  bestAskTicks(symbol: string): Promise<bigint | undefined> {
    return this.matching.bestAskTicks(symbol);
  }

  headSequence(symbol: string): Promise<number> {
    return this.matching.headSequence(symbol);
  }
}
