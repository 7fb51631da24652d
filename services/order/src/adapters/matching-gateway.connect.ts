import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { MatchingService, type Command, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import type { MatchingGateway, SubmitOutcome } from "../ports/matching-gateway.port.js";

/** matching.v1 over any Connect transport (in-process in embedded mode, gRPC otherwise). */
export class ConnectMatchingGateway implements MatchingGateway {
  private readonly client;

  constructor(transport: Transport) {
    this.client = createClient(MatchingService, transport);
  }

  async submit(command: Command): Promise<EventBatch | "duplicate"> {
    try {
      const response = await this.client.submit({ command });
      return response.batch!;
    } catch (error) {
      if (ConnectError.from(error).code === Code.AlreadyExists) return "duplicate";
      throw error;
    }
  }

  async submitBatch(symbol: string, commands: readonly Command[]): Promise<SubmitOutcome[]> {
    const response = await this.client.submitBatch({ symbol, commands: [...commands] });
    if (response.results.length !== commands.length) throw new ConnectError(`matching answered ${response.results.length} results for ${commands.length} commands`, Code.Internal);
    return response.results.map(({ result }) => (result.case === "batch" ? result.value : result.case === "duplicate" ? "duplicate" : { invalid: result.value ?? "refused" }));
  }

  async *events(symbol: string, fromSequence: number, signal: AbortSignal): AsyncIterable<EventBatch> {
    for await (const response of this.client.streamEvents({ symbol, fromSequence: BigInt(fromSequence) }, { signal })) {
      if (response.batch) yield response.batch;
    }
  }

  async headSequence(symbol: string): Promise<number> {
    return Number((await this.client.getBook({ symbol, depth: 1 })).sequence);
  }

  async bestAskTicks(symbol: string): Promise<bigint | undefined> {
    const book = await this.client.getBook({ symbol, depth: 1 });
    return book.asks.length > 0 ? BigInt(book.asks[0].priceTicks) : undefined;
  }
}
