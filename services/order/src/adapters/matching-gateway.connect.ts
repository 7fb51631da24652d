import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { MatchingService, type Command, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import type { MatchingGateway, SubmitOutcome } from "../ports/matching-gateway.port.js";

/** Commands matching knows by the order ids they place: sending one again is harmless. */
const PLACEMENTS = new Set<Command["kind"]["case"]>(["place", "cancelReplace", "placeList"]);

/** Answers that say matching was not reached, or not heard back from: the command may or may not be journaled. */
const UNREACHED = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.Aborted]);

export interface RetryPolicy {
  /** How long to keep trying a batch of placements that did not reach matching. */
  readonly forMs: number;
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

/** Matching restarting (a rollout, a crash) takes seconds; a group of placements waits that long. */
const DEFAULT_RETRY: RetryPolicy = { forMs: 30_000, firstDelayMs: 50, maxDelayMs: 2_000 };

/** matching.v1 over any Connect transport (in-process in embedded mode, gRPC otherwise). */
export class ConnectMatchingGateway implements MatchingGateway {
  private readonly client;

  constructor(
    transport: Transport,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
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

  /**
   * A batch of placements that did not reach matching (or whose answer was lost) is sent again,
   * with backoff, for a while: placements (cancel-replaces and order lists too, known by their new
   * orders' ids) are idempotent by order id (one journaled before comes back "duplicate"), and the
   * symbol's later orders wait behind it, so none overtakes it.
   */
  async submitBatch(symbol: string, commands: readonly Command[]): Promise<SubmitOutcome[]> {
    const placements = commands.every((command) => PLACEMENTS.has(command.kind.case));
    const deadline = Date.now() + this.retry.forMs;
    for (let delay = this.retry.firstDelayMs; ; delay = Math.min(delay * 2, this.retry.maxDelayMs)) {
      try {
        return await this.submitBatchOnce(symbol, commands);
      } catch (error) {
        if (!placements || !UNREACHED.has(ConnectError.from(error).code) || Date.now() + delay > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async submitBatchOnce(symbol: string, commands: readonly Command[]): Promise<SubmitOutcome[]> {
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
