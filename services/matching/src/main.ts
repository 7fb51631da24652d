import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import { KafkaJournal } from "./adapters/journal.kafka.js";
import { matchingRoutes } from "./rpc/matching.routes.js";
import { SymbolBooks } from "./symbol-books.js";

export interface MatchingConfig {
  /** Per-symbol journals and snapshots live under this directory. */
  readonly dataDir: string;
  readonly snapshotEvery?: number;
  /** Kafka brokers for the command log (distributed mode); unset keeps it in files. */
  readonly kafkaBrokers?: readonly string[];
  readonly kafkaTopic?: string;
}

/** Composition root of the matching service. */
export async function createMatchingModule(config: MatchingConfig): Promise<ServiceModule> {
  const brokers = config.kafkaBrokers;
  const books = new SymbolBooks({
    dataDir: config.dataDir,
    snapshotEvery: config.snapshotEvery,
    journal: brokers && brokers.length > 0 ? (symbol) => new KafkaJournal({ brokers, symbol, topic: config.kafkaTopic }) : undefined,
  });
  return {
    name: "matching",
    serviceNames: [MatchingService.typeName],
    routes: matchingRoutes(books),
    stop: () => books.close(),
  };
}
