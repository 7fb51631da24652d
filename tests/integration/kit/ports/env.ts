// Loopback engines started by tests/infra/up.sh; the EXCHANGE_* variables (tests/infra/env.sh) override.
import { randomUUID } from "node:crypto";

export const engines = {
  kafkaBrokers: (process.env.EXCHANGE_KAFKA_BROKERS ?? "127.0.0.1:59092").split(","),
  redisUrl: process.env.EXCHANGE_REDIS_URL ?? "redis://127.0.0.1:56379",
  opensearchUrl: process.env.EXCHANGE_OPENSEARCH_URL ?? "http://127.0.0.1:59200",
  awsEndpoint: process.env.EXCHANGE_AWS_ENDPOINT ?? "http://127.0.0.1:55000",
  awsRegion: process.env.AWS_REGION ?? "us-east-1",
};

// moto accepts any credentials; in production the SDK's default chain finds real ones
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";

/** unique, lowercase, DNS-safe per test run */
export const run = `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
