// `npm run migrate`: provisions what the configured shared-infrastructure adapters need, idempotently, and prints
// what it did. Same environment variables as the services (docs/ports.md). Safe to run on every deploy.
import {
  openCache,
  openEventLog,
  openNotifier,
  openObjectStore,
  openSearchIndex,
  readPortsConfig,
} from "#kit/adapters/ports.config.js";

const config = readPortsConfig();
const say = (line: string) => process.stdout.write(`[migrate] ${line}\n`);

async function step(what: string, fn: () => Promise<void>): Promise<void> {
  const t0 = Date.now();
  await fn();
  say(`${what} (${Date.now() - t0} ms)`);
}

const log = openEventLog(config);
await step(
  `event log (${config.eventLog.engine}${config.eventLog.engine === "kafka" ? ` ${config.eventLog.brokers.join(",")}` : ` ${config.eventLog.dir}`}): topics ${config.topics.map((t) => `${t.name}:${t.partitions}`).join(", ")}`,
  () => log.ensureTopics(config.topics),
);
await log.close();

const store = openObjectStore(config);
await step(
  `object store (${config.objectStore.engine}): ${config.objectStore.engine === "s3" ? `bucket ${config.objectStore.bucket}` : config.objectStore.dir}`,
  () => store.ensure(),
);
await store.close();

const notifier = openNotifier(config);
await step(
  `notifier (${config.notifier.engine}): topics ${config.notifier.topics.join(", ")}; queues ${config.notifier.queues.map((q) => `${q.queue} <- ${q.topic}`).join(", ")}`,
  async () => {
    for (const t of config.notifier.topics) await notifier.ensureTopic(t);
    for (const q of config.notifier.queues) await (await notifier.openQueue(q.topic, q.queue)).close();
  },
);
await notifier.close();

const search = openSearchIndex(config);
await step(
  `search index (${config.searchIndex.engine}): ${config.searchIndex.engine === "opensearch" ? `template + index ${config.searchIndex.index} at ${config.searchIndex.url}` : config.searchIndex.file}`,
  () => search.ensure(),
);
await search.close();

const cache = openCache(config);
await step(`cache (${config.cache.engine}): nothing to provision${config.cache.engine === "redis" ? `; reachable at ${config.cache.url}` : ""}`, async () => {
  await cache.get("migrate:ping");
});
await cache.close();

// The wallet's DynamoDB tables (WALLET_LEDGER_URL=dynamodb:<name>) and its PostgreSQL history projection.
const walletLedger = process.env.WALLET_LEDGER_URL ?? "";
if (walletLedger.startsWith("dynamodb:")) {
  const name = walletLedger.slice("dynamodb:".length);
  const { DynamoLedgerStore } = await import("./wallet/src/adapters/ledger-store.dynamodb.js");
  await step(`wallet ledger (dynamodb): tables ${name}-balances, ${name}-docs (approval queue index, backfilled), ${name}-transfers (stream on)`, async () => {
    await (await DynamoLedgerStore.open({ table: name, endpoint: process.env.EXCHANGE_AWS_ENDPOINT || undefined, backfillApprovalQueue: true })).close();
  });
  const projectionUrl = process.env.WALLET_PROJECTION_PG_URL;
  if (projectionUrl) {
    const { PostgresHistoryProjection } = await import("./wallet/src/adapters/history-projection.postgres.js");
    await step("wallet history projection (postgres): migrations", async () => {
      await (await PostgresHistoryProjection.open(projectionUrl)).close();
    });
  }
}
say("done");
