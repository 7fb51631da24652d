import type { ConnectRouter } from "@connectrpc/connect";
import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { SymbolBooks } from "../symbol-books.js";

/** matching.v1: a thin layer over the per-symbol engines. */
export function matchingRoutes(books: SymbolBooks) {
  return (router: ConnectRouter) =>
    router.service(MatchingService, {
      async submit(request) {
        if (!request.command) throw new DomainError("MANDATORY_PARAM_EMPTY_OR_MALFORMED", "command is required");
        return { batch: await books.submit(request.command) };
      },
      async submitBatch(request) {
        const foreign = request.commands.findIndex((command) => command.symbol !== request.symbol);
        if (foreign >= 0) throw new DomainError("INVALID_PARAMETER", "every command must name the batch's symbol", [{ field: `commands[${foreign}].symbol`, description: `must be ${request.symbol}` }]);
        const results = await books.submitBatch(request.symbol, request.commands);
        return {
          results: results.map((result) =>
            result === "duplicate"
              ? { result: { case: "duplicate" as const, value: true } }
              : "error" in result
                ? { result: { case: "invalid" as const, value: result.error instanceof Error ? result.error.message : String(result.error) } }
                : { result: { case: "batch" as const, value: result } },
          ),
        };
      },
      async *streamEvents(request, context) {
        for await (const batch of books.events(request.symbol, Number(request.fromSequence), context.signal)) yield { batch };
      },
      async getBook(request) {
        const depth = await books.depth(request.symbol, request.depth === 0 ? 100 : request.depth);
        const level = ([price, qty]: [number, number]) => ({ priceTicks: String(price), quantityLots: String(qty) });
        return { sequence: BigInt(depth.sequence), bids: depth.bids.map(level), asks: depth.asks.map(level) };
      },
    });
}
