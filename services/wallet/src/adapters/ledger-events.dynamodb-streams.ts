import { DescribeTableCommand, DynamoDBClient, type AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  TrimmedDataAccessException,
  type Shard,
} from "@aws-sdk/client-dynamodb-streams";
import { SHARD_DONE } from "../domain/projection.js";
import type { FeedBatch, FeedPosition, LedgerEvent, LedgerEventFeed } from "../ports/ledger-events.port.js";
import { decodeEntries, decodeTransfer } from "./ledger-items.dynamodb.js";

// The ledger's events are the transfers table's stream (NEW_IMAGE): every applied command is one
// INSERT of its transfers item, which carries its entries, so the transaction of record is the
// only write. Shards are read parent before child (DynamoDB's order per key), each from the
// position's sequence number. A fresh iterator is taken for every read from the stored position:
// nothing depends on an iterator surviving between reads (they expire after 15 minutes).

const EMPTY_PAGES_FROM_START = 5;

export interface DynamoStreamsFeedOptions {
  readonly table: string;
  readonly endpoint?: string;
  readonly region?: string;
  /** For DescribeTable (the stream's ARN); the feed makes its own otherwise. */
  readonly client?: DynamoDBClient;
  readonly streams?: DynamoDBStreamsClient;
}

export class DynamoStreamsFeed implements LedgerEventFeed {
  private streamArn: string | undefined;
  private readonly client: DynamoDBClient;
  private readonly streams: DynamoDBStreamsClient;

  constructor(private readonly options: DynamoStreamsFeedOptions) {
    const region = options.region ?? process.env.AWS_REGION ?? "us-east-1";
    this.client = options.client ?? new DynamoDBClient({ region, endpoint: options.endpoint });
    this.streams = options.streams ?? new DynamoDBStreamsClient({ region, endpoint: options.endpoint });
  }

  async read(from: FeedPosition, limit: number): Promise<FeedBatch> {
    const position: Record<string, string> = { ...from };
    const events: LedgerEvent[] = [];
    const shards = await this.shards();
    const known = new Set(shards.map((shard) => shard.ShardId!));
    for (const shard of shards) {
      const id = shard.ShardId!;
      if (position[id] === SHARD_DONE) continue;
      // A child shard waits until its parent is read to the end (a parent past retention is gone).
      const parent = shard.ParentShardId;
      if (parent && known.has(parent) && position[parent] !== SHARD_DONE) continue;
      const full = await this.readShard(id, position, events, limit);
      if (full) return { events, position, caughtUp: false };
    }
    return { events, position, caughtUp: true };
  }

  /** Reads one shard into `events` and advances `position`; true if `limit` was reached. */
  private async readShard(shardId: string, position: Record<string, string>, events: LedgerEvent[], limit: number): Promise<boolean> {
    const fromStart = position[shardId] === undefined;
    let iterator = await this.iterator(shardId, position[shardId]);
    let emptyPages = 0;
    while (iterator) {
      let response;
      try {
        response = await this.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(1000, Math.max(1, limit - events.length)) }));
      } catch (error) {
        if (error instanceof ExpiredIteratorException) return false;
        throw error;
      }
      for (const record of response.Records ?? []) {
        const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
        if (record.eventName === "INSERT" && image) {
          const transfer = decodeTransfer(image);
          events.push({ transfer, entries: decodeEntries(image, transfer) });
        }
        position[shardId] = record.dynamodb!.SequenceNumber!;
      }
      if (!response.NextShardIterator) {
        position[shardId] = SHARD_DONE;
        return events.length >= limit;
      }
      if (events.length >= limit) return true;
      // An open shard answers empty at its end; the next read starts again from the position.
      // From TRIM_HORIZON a few empty pages may come before the first record (trimmed data).
      if ((response.Records ?? []).length === 0 && (emptyPages += 1) >= (fromStart ? EMPTY_PAGES_FROM_START : 1)) return false;
      iterator = response.NextShardIterator;
    }
    return false;
  }

  private async iterator(shardId: string, after: string | undefined): Promise<string | undefined> {
    const arn = await this.arn();
    try {
      const response = await this.streams.send(
        new GetShardIteratorCommand(
          after === undefined
            ? { StreamArn: arn, ShardId: shardId, ShardIteratorType: "TRIM_HORIZON" }
            : { StreamArn: arn, ShardId: shardId, ShardIteratorType: "AFTER_SEQUENCE_NUMBER", SequenceNumber: after },
        ),
      );
      return response.ShardIterator;
    } catch (error) {
      // Past the 24 h retention: the projection must be rebuilt from a table export, not silently skip.
      if (error instanceof TrimmedDataAccessException) throw new Error(`stream records after ${after ?? "the start"} of shard ${shardId} are past retention`, { cause: error });
      throw error;
    }
  }

  private async arn(): Promise<string> {
    if (!this.streamArn) {
      const table = await this.client.send(new DescribeTableCommand({ TableName: this.options.table }));
      const arn = table.Table?.LatestStreamArn;
      if (!arn) throw new Error(`table ${this.options.table} has no stream`);
      this.streamArn = arn;
    }
    return this.streamArn;
  }

  private async shards(): Promise<Shard[]> {
    const arn = await this.arn();
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const response = await this.streams.send(new DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: start }));
      shards.push(...(response.StreamDescription?.Shards ?? []));
      start = response.StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  }

  async close(): Promise<void> {
    if (!this.options.client) this.client.destroy();
    if (!this.options.streams) this.streams.destroy();
  }
}
