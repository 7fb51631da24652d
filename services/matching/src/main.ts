import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { unreachable } from "#kit/config/config-error.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import type { Registry } from "prom-client";
import { KafkaJournal } from "./adapters/journal.kafka.js";
import { MatchingMetrics } from "./adapters/matching.metrics.js";
import { matchingRoutes } from "./rpc/matching.routes.js";
import { SymbolBooks } from "./symbol-books.js";

export interface MatchingConfig {
  /** Per-symbol journals and snapshots live under this directory. */
  readonly dataDir: string;
  readonly snapshotEvery?: number;
  /** Kafka brokers for the command log (distributed mode); unset keeps it in files. */
  readonly kafkaBrokers?: readonly string[];
  readonly kafkaTopic?: string;
  /** The process's Prometheus registry (served at /metrics). */
  readonly metrics?: Registry;
}

/** Composition root of the matching service. */
export async function createMatchingModule(config: MatchingConfig): Promise<ServiceModule> {
  const brokers = config.kafkaBrokers;
  const books = new SymbolBooks({
    dataDir: config.dataDir,
    snapshotEvery: config.snapshotEvery,
    metrics: config.metrics ? new MatchingMetrics(config.metrics) : undefined,
    journal: brokers && brokers.length > 0 ? (symbol) => new KafkaJournal({ brokers, symbol, topic: config.kafkaTopic }) : undefined,
  });
  return {
    name: "matching",
    serviceNames: [MatchingService.typeName],
    routes: matchingRoutes(books),
    // With Kafka, its command topic is made sure of before the service says it serves: brokers that
    // do not answer end the start (the broker list named), not the first order.
    start: async () => {
      if (!brokers || brokers.length === 0) return;
      const journal = new KafkaJournal({ brokers, symbol: "start", topic: config.kafkaTopic });
      try {
        await journal.provision();
      } catch (error) {
        throw unreachable("Kafka", brokers.join(","), error);
      } finally {
        await journal.close();
      }
    },
    stop: () => books.close(),
  };
}
