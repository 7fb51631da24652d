import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { matchingRoutes } from "./rpc/matching.routes.js";
import { SymbolBooks } from "./symbol-books.js";

export interface MatchingConfig {
  /** Per-symbol journals and snapshots live under this directory. */
  readonly dataDir: string;
  readonly snapshotEvery?: number;
}

/** Composition root of the matching service. */
export async function createMatchingModule(config: MatchingConfig): Promise<ServiceModule> {
  const books = new SymbolBooks({ dataDir: config.dataDir, snapshotEvery: config.snapshotEvery });
  return {
    name: "matching",
    serviceNames: [MatchingService.typeName],
    routes: matchingRoutes(books),
    stop: () => books.close(),
  };
}
