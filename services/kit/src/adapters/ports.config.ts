/**
 * Chooses and builds the shared infrastructure adapters from environment variables. Embedded defaults need no
 * setup (files under EXCHANGE_DATA_DIR, memory); each `EXCHANGE_<PORT>` selector switches one port to its real
 * engine. docs/ports.md lists the variables.
 */
import path from "node:path";
import { ConfigError } from "../config/config-error.js";
import { envInt, envOneOf, envString, type Env } from "../config/env.js";
import type { Cache } from "../ports/cache.port.js";
import type { EventLog, TopicSpec } from "../ports/event-log.port.js";
import type { Notifier } from "../ports/notifier.port.js";
import type { ObjectStore } from "../ports/object-store.port.js";
import type { SearchIndex } from "../ports/search-index.port.js";
import { MemoryCache } from "./cache.memory.js";
import { RedisCache } from "./cache.redis.js";
import { FileEventLog } from "./event-log.file.js";
import { KafkaEventLog } from "./event-log.kafka.js";
import { MemoryNotifier } from "./notifier.memory.js";
import { SnsSqsNotifier } from "./notifier.sns-sqs.js";
import { SqliteNotifier } from "./notifier.sqlite.js";
import { FileObjectStore } from "./object-store.file.js";
import { S3ObjectStore } from "./object-store.s3.js";
import { SqliteSearchIndex } from "./search-index.sqlite.js";
import { OpenSearchIndex } from "./search-index.opensearch.js";

export interface PortsConfig {
  readonly dataDir: string;
  readonly eventLog: { engine: "file" | "kafka"; dir: string; brokers: string[]; replicationFactor: number };
  readonly topics: TopicSpec[];
  readonly cache: { engine: "memory" | "redis"; url: string; keyPrefix: string };
  readonly objectStore: { engine: "file" | "s3"; dir: string; bucket: string; endpoint?: string; region: string };
  readonly notifier: { engine: "sqlite" | "memory" | "sns-sqs"; file: string; endpoint?: string; region: string; namePrefix: string; topics: string[]; queues: { topic: string; queue: string }[] };
  readonly searchIndex: { engine: "sqlite" | "opensearch"; file: string; url: string; index: string };
}

/** Topics every deployment has (services add theirs to EXCHANGE_TOPICS as name:partitions,...). */
export const DEFAULT_TOPICS = "exchange.matching.commands.v1,exchange.matching.events.v1,exchange.wallet.ledger.v1,exchange.order.user-data.v1";

export function readPortsConfig(env: Env = process.env): PortsConfig {
  const dataDir = envString(env, "EXCHANGE_DATA_DIR", "./data");
  const partitions = envInt(env, "EXCHANGE_TOPIC_PARTITIONS", 12);
  const topics = envString(env, "EXCHANGE_TOPICS", DEFAULT_TOPICS)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((spec) => {
      const [name, count] = spec.split(":");
      const n = count === undefined ? partitions : Number(count);
      if (!Number.isInteger(n) || n < 1) throw new ConfigError("EXCHANGE_TOPICS", `EXCHANGE_TOPICS: bad partition count in "${spec}"`);
      return { name, partitions: n };
    });
  const awsEndpoint = env.EXCHANGE_AWS_ENDPOINT || undefined;
  const region = envString(env, "AWS_REGION", "us-east-1");
  const notifierTopic = envString(env, "EXCHANGE_NOTIFIER_TOPIC", "exchange.user.notifications.v1");
  return {
    dataDir,
    eventLog: {
      engine: envOneOf(env, "EXCHANGE_EVENT_LOG", ["file", "kafka"], "file"),
      dir: path.join(dataDir, "event-log"),
      // The same default as matching's command log (tests/infra's broker); deployments set it.
      brokers: envString(env, "EXCHANGE_KAFKA_BROKERS", "127.0.0.1:59092").split(","),
      replicationFactor: envInt(env, "EXCHANGE_KAFKA_REPLICATION_FACTOR", 1),
    },
    topics,
    cache: {
      engine: envOneOf(env, "EXCHANGE_CACHE", ["memory", "redis"], "memory"),
      url: envString(env, "EXCHANGE_REDIS_URL", "redis://127.0.0.1:6379"),
      keyPrefix: envString(env, "EXCHANGE_CACHE_PREFIX", "exchange:"),
    },
    objectStore: {
      engine: envOneOf(env, "EXCHANGE_OBJECT_STORE", ["file", "s3"], "file"),
      dir: path.join(dataDir, "object-store"),
      bucket: envString(env, "EXCHANGE_S3_BUCKET", "exchange-objects"),
      endpoint: awsEndpoint,
      region,
    },
    notifier: {
      // sqlite: the embedded default, durable across restarts; memory: tests and throwaway runs.
      engine: envOneOf(env, "EXCHANGE_NOTIFIER", ["sqlite", "memory", "sns-sqs"], "sqlite"),
      file: path.join(dataDir, "notifier-queues.sqlite"),
      endpoint: awsEndpoint,
      region,
      namePrefix: envString(env, "EXCHANGE_NOTIFIER_PREFIX", ""),
      topics: [notifierTopic],
      queues: [{ topic: notifierTopic, queue: envString(env, "EXCHANGE_NOTIFIER_QUEUE", "exchange-notifications") }],
    },
    searchIndex: {
      engine: envOneOf(env, "EXCHANGE_SEARCH_INDEX", ["sqlite", "opensearch"], "sqlite"),
      file: path.join(dataDir, "market-history.sqlite"),
      url: envString(env, "EXCHANGE_OPENSEARCH_URL", "http://127.0.0.1:9200"),
      index: envString(env, "EXCHANGE_OPENSEARCH_INDEX", "exchange-market-history"),
    },
  };
}

export function openEventLog(c: PortsConfig): EventLog {
  return c.eventLog.engine === "kafka"
    ? new KafkaEventLog({ brokers: c.eventLog.brokers, replicationFactor: c.eventLog.replicationFactor })
    : new FileEventLog({ dir: c.eventLog.dir });
}

export function openCache(c: PortsConfig): Cache {
  return c.cache.engine === "redis" ? new RedisCache({ url: c.cache.url, keyPrefix: c.cache.keyPrefix }) : new MemoryCache();
}

export function openObjectStore(c: PortsConfig): ObjectStore {
  const o = c.objectStore;
  return o.engine === "s3" ? new S3ObjectStore({ bucket: o.bucket, endpoint: o.endpoint, region: o.region }) : new FileObjectStore({ dir: o.dir });
}

export function openNotifier(c: PortsConfig): Notifier {
  const n = c.notifier;
  if (n.engine === "sns-sqs") return new SnsSqsNotifier({ endpoint: n.endpoint, region: n.region, namePrefix: n.namePrefix });
  return n.engine === "sqlite" ? new SqliteNotifier({ file: n.file }) : new MemoryNotifier();
}

export function openSearchIndex(c: PortsConfig): SearchIndex {
  const s = c.searchIndex;
  return s.engine === "opensearch" ? new OpenSearchIndex({ node: s.url, index: s.index }) : new SqliteSearchIndex({ file: s.file });
}
