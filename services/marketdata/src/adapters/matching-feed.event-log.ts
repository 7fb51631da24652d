import { fromBinary } from "@bufbuild/protobuf";
import { EventBatchSchema, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { SequencedFeed, withGapsFilled } from "#kit/events/sequenced-feed.js";
import type { EventLog } from "#kit/ports/event-log.port.js";
import type { BookSnapshot, MatchingFeed } from "../ports/matching-feed.port.js";

export interface EventLogFeedOptions {
  readonly log: EventLog;
  /** matching's events topic (exchange.matching.events.v1) */
  readonly topic: string;
  /** this consumer's group: one per replica, since every replica streams every symbol to its subscribers */
  readonly group: string;
  /** the topic's partitions, should it be created here (matching's publisher may start later) */
  readonly partitions?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * matching's event batches from the events topic as a consumer group (the event backbone), committed once the
 * projection stored them (applied()); what the topic lacks is read from matching's stream. The book is read from
 * matching.
 */
export class EventLogMatchingFeed implements MatchingFeed {
  private readonly feed: SequencedFeed<EventBatch>;

  constructor(
    private readonly matching: MatchingFeed,
    options: EventLogFeedOptions,
  ) {
    this.feed = new SequencedFeed({ ...options, decode: (record) => fromBinary(EventBatchSchema, record.value) });
  }

  start(): Promise<void> {
    return this.feed.start();
  }

  stop(): Promise<void> {
    return this.feed.close();
  }

  events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncIterable<EventBatch> {
    // Opens the symbol at matching, whose publisher then publishes what it journaled and had not published.
    void this.matching.book(symbol, 1).catch(() => undefined);
    return withGapsFilled(this.feed, (key, from, stop) => this.matching.events(key, from, stop), (batch) => Number(batch.sequence), symbol, fromSequence, signal);
  }

  applied(symbol: string, sequence: number): void {
    this.feed.acknowledge(symbol, sequence);
  }

  book(symbol: string, depth: number): Promise<BookSnapshot> {
    return this.matching.book(symbol, depth);
  }
}
