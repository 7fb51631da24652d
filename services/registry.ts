import { hostname } from "node:os";
import { join } from "node:path";
import type { Env } from "#kit/config/env.js";
import { ConfigError } from "#kit/config/config-error.js";
import { envBool, envInt, envOneOf, envString } from "#kit/config/env.js";
import type { ServiceDirectory } from "#kit/rpc/service-directory.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import type { Logger } from "#kit/telemetry/logger.js";
import type { Registry } from "prom-client";
import { createMarketDataModule } from "./marketdata/src/main.js";
import { createOrderModule } from "./order/src/main.js";
import { USER_DATA_TOPIC } from "./order/src/adapters/order-updates.event-log.js";
import type { Notifier } from "#kit/ports/notifier.port.js";
import { acquireEventLog, acquireNotifier } from "./shared-ports.js";
import { openObjectStore, openSearchIndex, readPortsConfig } from "#kit/adapters/ports.config.js";
import { FileObjectStore } from "#kit/adapters/object-store.file.js";
import type { ObjectStore } from "#kit/ports/object-store.port.js";
import { AuthOperatorGate } from "#kit/adapters/operator-gate.auth.js";
import { lazyTransport } from "#kit/rpc/service-directory.js";

/** What the runtime shares with services: its /metrics registry, its logger, and which services run here. */
export interface ServiceTelemetry {
  readonly metrics: Registry;
  readonly logger: Logger;
  /** The services this process runs (all of them in embedded mode). */
  readonly colocated?: readonly string[];
}

/**
 * The object store archives and statements go to (EXCHANGE_OBJECT_STORE: the data dir's object-store/ by default,
 * S3). The directory store's download URLs start with EXCHANGE_PUBLIC_URL (empty: paths on this process's HTTP port).
 */
function archiveStore(env: Env, dataDir: string): ObjectStore {
  const ports = readPortsConfig({ ...env, EXCHANGE_DATA_DIR: dataDir });
  if (ports.objectStore.engine === "file") return new FileObjectStore({ dir: ports.objectStore.dir, publicBaseUrl: env.EXCHANGE_PUBLIC_URL || undefined });
  return openObjectStore(ports);
}

/**
 * The notifier port for a service that publishes notifications, or undefined when they are off: EXCHANGE_NOTIFICATIONS
 * (default on), and a notifier someone consumes (SNS/SQS, or the embedded one with the notifier service in this
 * process). The module's stop releases the shared notifier.
 */
async function withNotifications<M extends ServiceModule>(
  env: Env,
  dataDir: string,
  telemetry: ServiceTelemetry | undefined,
  build: (notifications: { notifier: Notifier; topic: string } | undefined) => Promise<M>,
): Promise<M> {
  const lease = acquireNotifier(env, dataDir);
  const consumed = lease.config.engine === "sns-sqs" || (telemetry?.colocated ?? []).includes("notifier");
  if (!envBool(env, "EXCHANGE_NOTIFICATIONS", true) || !consumed) {
    await lease.release();
    return build(undefined);
  }
  try {
    const module = await build({ notifier: lease.notifier, topic: lease.config.topics[0]! });
    const stop = module.stop?.bind(module);
    return Object.assign(module, {
      stop: async () => {
        await stop?.();
        await lease.release();
      },
    });
  } catch (error) {
    await lease.release();
    throw error;
  }
}

/**
 * How matching's batches reach order and marketdata (MATCHING_EVENTS). `event-log`, the event backbone: matching
 * publishes them to MATCHING_EVENTS_TOPIC on the shared event log (EXCHANGE_EVENT_LOG) and `consumer` services read
 * them as consumer group <topic>.<service>.<MATCHING_EVENTS_GROUP>. `stream`: matching's gRPC StreamEvents.
 * Unset: the event log wherever it joins both ends (Kafka; or the data dir's file log, which only this process
 * reads, when matching and order or marketdata run here: embedded mode), else the stream (a service alone in its
 * process without Kafka, as the container smoke test runs them).
 */
const EVENTS_TOPIC = "exchange.matching.events.v1";

function matchingEvents(env: Env, dataDir: string, telemetry: ServiceTelemetry | undefined, consumer?: "order" | "marketdata") {
  const engine = readPortsConfig({ ...env, EXCHANGE_DATA_DIR: dataDir }).eventLog.engine;
  const here = telemetry?.colocated ?? [];
  const joined = engine === "kafka" || (consumer ? here.includes("matching") : here.includes("order") || here.includes("marketdata"));
  const mode = env.MATCHING_EVENTS ? envOneOf(env, "MATCHING_EVENTS", ["stream", "event-log"], "stream") : joined ? "event-log" : "stream";
  if (mode === "stream") return undefined;
  if (!joined) {
    const other = consumer ? "matching" : "order or marketdata";
    throw new ConfigError("MATCHING_EVENTS", `MATCHING_EVENTS=event-log on the file event log needs ${other} in this process too (the data dir's event-log/ is this process's own); use EXCHANGE_EVENT_LOG=kafka, or MATCHING_EVENTS=stream`);
  }
  const lease = acquireEventLog(env, dataDir);
  const topic = envString(env, "MATCHING_EVENTS_TOPIC", EVENTS_TOPIC);
  // A file log has one reader, this process, so its groups keep one name across hosts (a container's host name
  // changes with each container); on Kafka a group per replica (the pod's or host's name).
  const member = envString(env, "MATCHING_EVENTS_GROUP", engine === "file" ? "embedded" : env.POD_NAME || hostname());
  return {
    log: lease.log,
    topic,
    partitions: lease.partitionsOf(EVENTS_TOPIC),
    // Named after the topic too: releases (or test runs) sharing a cluster with a topic each never share a group.
    group: `${topic}.${consumer ?? "matching"}.${member}`,
    release: () => lease.release(),
  };
}

/**
 * Where order updates go between order replicas (ORDER_UPDATES): `memory`, this process's emitter, or `kafka`, the
 * user-data topic on Kafka (EXCHANGE_KAFKA_BROKERS) through the kit's EventLog port, needed with more than one
 * replica. Kafka whatever EXCHANGE_EVENT_LOG says: replicas share it, and a file log is one process's own.
 */
function orderUpdates(env: Env, dataDir: string) {
  if (envOneOf(env, "ORDER_UPDATES", ["memory", "kafka"], "memory") === "memory") return undefined;
  const lease = acquireEventLog({ ...env, EXCHANGE_EVENT_LOG: "kafka" }, dataDir);
  return {
    log: lease.log,
    topic: USER_DATA_TOPIC,
    partitions: lease.partitionsOf(USER_DATA_TOPIC),
    engine: lease.config.engine,
    release: () => lease.release(),
  };
}

/** A PostgreSQL ledger keeps the audit log too; SQLite and DynamoDB ledgers a SQLite file of its own. */
function walletAuditUrl(env: Env, dataDir: string): string {
  const ledger = env.WALLET_LEDGER_URL ?? "";
  return ledger.startsWith("postgres://") || ledger.startsWith("postgresql://") ? ledger : `sqlite:${join(dataDir, "wallet-audit.sqlite")}`;
}

export type ServiceFactory = (env: Env, dataDir: string, directory: ServiceDirectory, telemetry?: ServiceTelemetry) => Promise<ServiceModule>;

async function authMfa(directory: ServiceDirectory) {
  let transport;
  try {
    transport = directory.transport("auth");
  } catch {
    return undefined; // auth is neither in this process nor at AUTH_ADDR
  }
  const { AuthMfaVerifier } = await import("./wallet/src/adapters/mfa-verifier.auth.js");
  return new AuthMfaVerifier(transport);
}

/** Every service the exchange runs, by folder name, with how to build it from the environment. */
export const SERVICE_FACTORIES = {
  order: (env: Env, dataDir: string, directory: ServiceDirectory, telemetry?: ServiceTelemetry) =>
    withNotifications(env, dataDir, telemetry, (notifications) => createOrderModule({
      notifications,
      archives: envBool(env, "EXCHANGE_ARCHIVES", true) ? { objects: archiveStore(env, dataDir), everyMs: envInt(env, "ORDER_ARCHIVE_EVERY_MS", 3_600_000) } : undefined,
      databaseUrl: envString(env, "ORDER_DATABASE_URL", `sqlite:${join(dataDir, "order.sqlite")}`),
      symbolPollMs: envInt(env, "ORDER_SYMBOL_POLL_MS", 5_000),
      matchingEvents: matchingEvents(env, dataDir, telemetry, "order"),
      directory,
      logger: telemetry?.logger.child({ service: "order" }),
      metrics: telemetry?.metrics,
      userData: orderUpdates(env, dataDir),
    })),
  marketdata: (env: Env, dataDir: string, directory: ServiceDirectory, telemetry?: ServiceTelemetry) =>
    createMarketDataModule({
      databaseUrl: envString(env, "MARKETDATA_DATABASE_URL", `sqlite:${join(dataDir, "marketdata.sqlite")}`),
      directory,
      logger: telemetry?.logger.child({ service: "marketdata" }),
      metrics: telemetry?.metrics,
      symbolPollMs: envInt(env, "MARKETDATA_SYMBOL_POLL_MS", 10_000),
      matchingEvents: matchingEvents(env, dataDir, telemetry, "marketdata"),
      // Market history (EXCHANGE_SEARCH_INDEX: the data dir's market-history.sqlite, or OpenSearch).
      history: envBool(env, "MARKETDATA_HISTORY", true) ? openSearchIndex(readPortsConfig({ ...env, EXCHANGE_DATA_DIR: dataDir })) : undefined,
      historyIndexMs: envInt(env, "MARKETDATA_HISTORY_INDEX_MS", 1_000),
    }),
  matching: (env: Env, dataDir: string, _directory: ServiceDirectory, telemetry?: ServiceTelemetry) =>
    import("./matching/src/main.js").then((matching) =>
      matching.createMatchingModule({
        dataDir: envString(env, "MATCHING_DATA_DIR", join(dataDir, "matching")),
        kafkaBrokers: env.MATCHING_JOURNAL === "kafka" ? envString(env, "EXCHANGE_KAFKA_BROKERS", "127.0.0.1:59092").split(",") : undefined,
        kafkaTopic: env.MATCHING_COMMANDS_TOPIC,
        metrics: telemetry?.metrics,
        logger: telemetry?.logger.child({ service: "matching" }),
        lease: env.MATCHING_LEASE_DATABASE_URL
          ? { databaseUrl: env.MATCHING_LEASE_DATABASE_URL, holder: envString(env, "MATCHING_REPLICA", `${hostname()}-${process.pid}`), ttlMs: envInt(env, "MATCHING_LEASE_TTL_MS", 5_000), partitions: envInt(env, "EXCHANGE_TOPIC_PARTITIONS", 12) }
          : undefined,
        archive: envBool(env, "MATCHING_ARCHIVE", true) ? { objects: archiveStore(env, dataDir), prefix: envString(env, "MATCHING_ARCHIVE_PREFIX", "matching") } : undefined,
        events: matchingEvents(env, dataDir, telemetry),
      }),
    ),
  wallet: async (env: Env, dataDir: string, directory: ServiceDirectory, telemetry?: ServiceTelemetry) => {
    const wallet = await import("./wallet/src/main.js");
    const mfa = await authMfa(directory);
    return withNotifications(env, dataDir, telemetry, (notifications) => wallet.createWalletModule({
      notifications,
      archives: envBool(env, "EXCHANGE_ARCHIVES", true) ? { objects: archiveStore(env, dataDir), everyMs: envInt(env, "WALLET_ARCHIVE_EVERY_MS", 3_600_000) } : undefined,
      ledgerUrl: envString(env, "WALLET_LEDGER_URL", `sqlite:${join(dataDir, "wallet.sqlite")}`),
      // The back office: auth decides who is an operator; the audit log beside a PostgreSQL ledger, else in a
      // SQLite file of the data dir (WALLET_AUDIT_DATABASE_URL names another: a DynamoDB ledger's deployment).
      operators: new AuthOperatorGate(lazyTransport(() => directory.transport("auth"))),
      auditUrl: envString(env, "WALLET_AUDIT_DATABASE_URL", walletAuditUrl(env, dataDir)),
      // Withdrawals' second factor as auth decides it, when auth runs here or at AUTH_ADDR; the
      // embedded stand-in (no account has MFA unless a test registers one) for wallet alone.
      mfa,
      awsEndpoint: env.EXCHANGE_AWS_ENDPOINT,
      simulatedChainFaucet: envBool(env, "WALLET_SIMULATED_CHAIN_FAUCET", true),
      cacheUrl: env.WALLET_CACHE_URL || undefined,
      cacheTtlMs: envInt(env, "WALLET_CACHE_TTL_MS", 30_000),
      metrics: telemetry?.metrics,
      logger: telemetry?.logger.child({ service: "wallet" }),
      projectionPgUrl: env.WALLET_PROJECTION_PG_URL || undefined,
      auditMs: envInt(env, "WALLET_AUDIT_MS", 60_000),
    }));
  },
  auth: (env: Env, dataDir: string, _directory: ServiceDirectory, telemetry?: ServiceTelemetry) =>
    import("./auth/src/main.js").then((auth) =>
      withNotifications(env, dataDir, telemetry, (notifications) => auth.createAuthModule({ ...auth.readAuthConfig(env, dataDir), notifications, logger: telemetry?.logger.child({ service: "auth" }) })),
    ),
  notifier: async (env: Env, dataDir: string, _directory: ServiceDirectory, telemetry?: ServiceTelemetry) => {
    const { createNotifierModule } = await import("./notifier/src/main.js");
    const lease = acquireNotifier(env, dataDir);
    const queue = lease.config.queues[0]!;
    try {
      const module = await createNotifierModule({
        databaseUrl: envString(env, "NOTIFIER_DATABASE_URL", `sqlite:${join(dataDir, "notifier.sqlite")}`),
        notifier: lease.notifier,
        topic: queue.topic,
        queue: queue.queue,
        deadLetterQueue: envString(env, "NOTIFIER_DEAD_LETTER_QUEUE", `${queue.queue}-dlq`),
        maxAttempts: envInt(env, "NOTIFIER_MAX_ATTEMPTS", 8),
        retryBaseMs: envInt(env, "NOTIFIER_RETRY_BASE_MS", 1_000),
        retryCapMs: envInt(env, "NOTIFIER_RETRY_CAP_MS", 300_000),
        webhookTimeoutMs: envInt(env, "NOTIFIER_WEBHOOK_TIMEOUT_MS", 5_000),
        logger: telemetry?.logger.child({ service: "notifier" }),
      });
      const stop = module.stop!.bind(module);
      return Object.assign(module, { stop: () => stop().finally(() => lease.release()) });
    } catch (error) {
      await lease.release();
      throw error;
    }
  },
  edge: (env: Env, _dataDir: string, directory: ServiceDirectory, telemetry?: ServiceTelemetry) =>
    import("../edge/src/main.js").then(async (edge) => {
      const logger = telemetry?.logger.child({ service: "edge" });
      const config = { ...edge.readEdgeConfig(env, directory), metrics: telemetry?.metrics, onError: (error: unknown, context: string) => logger?.warn({ err: error, context }, "edge background call failed") };
      await edge.requireEdgeEngines(config);
      return edge.createEdgeModule(config);
    }),
} satisfies Record<string, ServiceFactory>;

export type ServiceName = keyof typeof SERVICE_FACTORIES;

export const SERVICE_NAMES = Object.keys(SERVICE_FACTORIES) as ServiceName[];
