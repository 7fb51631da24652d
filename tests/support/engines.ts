// Where the real engines started by tests/infra/up.sh listen. The EXCHANGE_* variables printed by
// tests/infra/env.sh override these loopback defaults, so the same tests can target other servers.
export const engines = {
  pgUrl: process.env.EXCHANGE_PG_URL ?? "postgres://exchange:exchange@127.0.0.1:55432/exchange",
  redisUrl: process.env.EXCHANGE_REDIS_URL ?? "redis://127.0.0.1:56379",
  kafkaBrokers: (process.env.EXCHANGE_KAFKA_BROKERS ?? "127.0.0.1:59092").split(","),
  opensearchUrl: process.env.EXCHANGE_OPENSEARCH_URL ?? "http://127.0.0.1:59200",
  awsEndpoint: process.env.EXCHANGE_AWS_ENDPOINT ?? "http://127.0.0.1:55000",
  awsRegion: process.env.AWS_REGION ?? "us-east-1",
};

// moto accepts any credentials; in production the SDK's default chain finds real ones.
process.env.AWS_ACCESS_KEY_ID ??= "test";
process.env.AWS_SECRET_ACCESS_KEY ??= "test";
