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
