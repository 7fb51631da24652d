import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { unreachable } from "#kit/config/config-error.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import type { ObjectStore } from "#kit/ports/object-store.port.js";
import { partitionForKey } from "#kit/ports/event-log.port.js";
import type { Logger } from "#kit/telemetry/logger.js";
import type { Registry } from "prom-client";
import { KafkaJournal } from "./adapters/journal.kafka.js";
import { PgLeaseStore } from "./adapters/lease.pg.js";
import { HeldLeases } from "./held-lease.js";
import { LeasedJournal } from "./leased-journal.js";
import { MatchingMetrics } from "./adapters/matching.metrics.js";
import { matchingRoutes } from "./rpc/matching.routes.js";
import { SymbolBooks } from "./symbol-books.js";
import { EVENTS_TOPIC } from "./event-publisher.js";
import type { EventLog } from "#kit/ports/event-log.port.js";
import { readdir } from "node:fs/promises";

export interface MatchingConfig {
  /** Per-symbol journals and snapshots live under this directory. */
  readonly dataDir: string;
  readonly snapshotEvery?: number;
  /** Kafka brokers for the command log (distributed mode); unset keeps it in files. */
  readonly kafkaBrokers?: readonly string[];
  readonly kafkaTopic?: string;
  /** The process's Prometheus registry (served at /metrics). */
  readonly metrics?: Registry;
  /** Closed journal segments, snapshots and account numbers are archived here, and a node with an empty disk restores from it. */
  readonly archive?: { readonly objects: ObjectStore; readonly prefix?: string };
  readonly logger?: Logger;
  /**
   * With the Kafka journal: a symbol's commands are appended only by the holder of its lease on this PostgreSQL
   * database, each under the lease's epoch after a fence (leased-journal.ts).
   */
  readonly lease?: {
    readonly databaseUrl: string;
    readonly holder: string;
    readonly ttlMs: number;
    /** Symbols map to this many partitions (Kafka's partitioner over the symbol), one lease each (default 12). */
    readonly partitions?: number;
  };
  /**
   * The event backbone: every symbol's event batches are published to this EventLog topic once journaled
   * (MATCHING_EVENTS=event-log; Kafka or the file log per EXCHANGE_EVENT_LOG). `release` is called at stop.
   */
  readonly events?: { readonly log: EventLog; readonly topic?: string; readonly partitions?: number; readonly release?: () => Promise<void> };
}

/** Composition root of the matching service. */
export async function createMatchingModule(config: MatchingConfig): Promise<ServiceModule> {
  const brokers = config.kafkaBrokers;
  const leaseConfig = config.lease;
  const leases = leaseConfig && brokers && brokers.length > 0 ? new PgLeaseStore(leaseConfig.databaseUrl) : undefined;
  const topic = config.kafkaTopic;
  const group = topic ?? "commands";
  // One lease per partition of symbols, shared by the journals of its symbols: a partition has one leader at a time.
  const held = leases && leaseConfig ? new HeldLeases(leases, { holder: leaseConfig.holder, ttlMs: leaseConfig.ttlMs, onLost: (name) => config.logger?.warn({ lease: name }, "matching lost its lease; appends are refused") }) : undefined;
  const members = new Set<string>();
  const leased = (symbol: string, waitMs?: number) => {
    const name = `${group}/p${partitionForKey(symbol, leaseConfig!.partitions ?? 12)}`;
    if (!members.has(symbol)) {
      // Standbys follow every symbol some replica leads or led (SymbolBooks.startStandby).
      members.add(symbol);
      void leases!.addMember(group, symbol).catch(() => members.delete(symbol));
    }
    // The symbol's writer is also its transactional id: the broker refuses a deposed leader's appends.
    const journal = new KafkaJournal({ brokers: brokers!, symbol, topic, transactionalId: `${group}/${symbol}` });
    return new LeasedJournal(journal, leases!, { name, holder: leaseConfig!.holder, ttlMs: leaseConfig!.ttlMs, waitMs, lease: held!.lease(name) });
  };
  const kafkaJournal = (symbol: string) => (leases && leaseConfig ? leased(symbol) : new KafkaJournal({ brokers: brokers!, symbol, topic }));
  // With leases and an archive, replicas are leader or warm standby per symbol (symbol-books.ts, warm-standby.ts).
  const standby =
    leases && leaseConfig && config.archive
      ? {
          follow: (symbol: string) => new KafkaJournal({ brokers: brokers!, symbol, topic, clientId: `matching-standby-${symbol}` }),
          lead: (symbol: string) => leased(symbol, 0),
          discover: () => leases.members(group),
          retryMs: Math.max(10, Math.floor(leaseConfig.ttlMs / 3)),
          promoteTimeoutMs: 60_000,
          onChange: (symbol: string, role: "standby" | "leader") =>
            config.logger?.info({ symbol, role }, role === "leader" ? "matching leads the symbol (from its warm book)" : "matching follows the symbol as a warm standby"),
        }
      : undefined;
  const books = new SymbolBooks({
    dataDir: config.dataDir,
    snapshotEvery: config.snapshotEvery,
    metrics: config.metrics ? new MatchingMetrics(config.metrics) : undefined,
    journal: brokers && brokers.length > 0 ? kafkaJournal : undefined,
    archive: config.archive,
    standby,
    publish: config.events && {
      log: config.events.log,
      topic: config.events.topic,
      onError: (error, context) => config.logger?.warn({ err: error, context }, "matching events not published; retrying"),
    },
    onError: (error, context) => config.logger?.warn({ err: error, context }, "matching background work failed"),
  });
  return {
    name: "matching",
    serviceNames: [MatchingService.typeName],
    routes: matchingRoutes(books),
    // With Kafka, its command topic is made sure of before the service says it serves: brokers that
    // do not answer end the start (the broker list named), not the first order.
    start: async () => {
      // The bucket usually exists (infrastructure code); a store down at start delays archiving, and a symbol
      // that must be restored from it is refused until it answers, never opened empty.
      await config.archive?.objects.ensure().catch((error: unknown) => config.logger?.warn({ err: error }, "object store not ready; matching's archive will retry"));
      if (config.events) await config.events.log.ensureTopics([{ name: config.events.topic ?? EVENTS_TOPIC, partitions: config.events.partitions ?? 12 }]);
      if (brokers && brokers.length > 0) {
        const journal = new KafkaJournal({ brokers, symbol: "start", topic: config.kafkaTopic });
        try {
          await journal.provision();
        } catch (error) {
          throw unreachable("Kafka", brokers.join(","), error);
        } finally {
          await journal.close();
        }
      }
      if (config.events && !standby) {
        // Every symbol this node holds is opened now, so what was journaled and not yet published (a crash) is
        // published without waiting for the symbol's next command. Others open (and publish) on first use. With
        // standbys, a symbol opens (and publishes) here once this replica takes its lease over.
        const held = await readdir(config.dataDir, { withFileTypes: true }).catch(() => []);
        for (const entry of held) {
          if (!entry.isDirectory() || !/^[A-Z0-9]{2,20}$/.test(entry.name)) continue;
          void books.warm(entry.name).catch((error: unknown) => config.logger?.warn({ err: error, symbol: entry.name }, "matching could not open a symbol at start"));
        }
      }
      books.startStandby();
    },
    stop: async () => {
      await books.close();
      await config.events?.release?.();
      await config.archive?.objects.close();
      await leases?.close();
    },
  };
}
