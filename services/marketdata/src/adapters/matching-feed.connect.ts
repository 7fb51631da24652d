import { createClient, type Transport } from "@connectrpc/connect";
import { MatchingService, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import type { BookSnapshot, MatchingFeed } from "../ports/matching-feed.port.js";

/** matching.v1 over any Connect transport (in-process in embedded mode, gRPC at MATCHING_ADDR otherwise). */
export class ConnectMatchingFeed implements MatchingFeed {
  private readonly client;

  constructor(transport: Transport) {
    this.client = createClient(MatchingService, transport);
  }

  async *events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncIterable<EventBatch> {
    for await (const response of this.client.streamEvents({ symbol, fromSequence: BigInt(fromSequence) }, { signal })) {
      if (response.batch) yield response.batch;
    }
  }

  async book(symbol: string, depth: number): Promise<BookSnapshot> {
    const book = await this.client.getBook({ symbol, depth });
    const level = (l: { priceTicks: string; quantityLots: string }) => ({ ticks: BigInt(l.priceTicks), lots: BigInt(l.quantityLots) });
    return { sequence: Number(book.sequence), bids: book.bids.map(level), asks: book.asks.map(level) };
  }
}
