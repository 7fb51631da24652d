import { randomBytes } from "node:crypto";
import { NotifierService } from "#gen/exchange/notifier/v1/notifier_pb.js";
import { systemClock, type Clock } from "#kit/clock/clock.js";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import type { Notifier } from "#kit/ports/notifier.port.js";
import type { ServiceModule } from "#kit/rpc/service-module.js";
import type { Logger } from "#kit/telemetry/logger.js";
import { LogEmailSender } from "./adapters/email-sender.log.js";
import { SqlNotifierStore, notifierMigrations, type NotifierTables } from "./adapters/notifier-store.sql.js";
import { HttpWebhookSender } from "./adapters/webhook-sender.http.js";
import { DeliverNotification } from "./domain/deliver-notification.use-case.js";
import { GetPreferences } from "./domain/get-preferences.use-case.js";
import { SetPreferences } from "./domain/set-preferences.use-case.js";
import { NotificationConsumer } from "./notification-consumer.js";
import type { EmailSender } from "./ports/email-sender.port.js";
import type { WebhookSender } from "./ports/webhook-sender.port.js";
import { notifierRoutes } from "./rpc/notifier.routes.js";

export interface NotifierConfig {
  /** sqlite:<file> in embedded mode, postgres://... in distributed mode. */
  readonly databaseUrl: string;
  /** The notifier port: SNS/SQS in distributed mode, the process's embedded one otherwise. */
  readonly notifier: Notifier;
  readonly topic: string;
  readonly queue: string;
  readonly deadLetterQueue: string;
  /** Receives before a notification goes to the dead-letter queue (NOTIFIER_MAX_ATTEMPTS, default 8). */
  readonly maxAttempts?: number;
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
  readonly visibilityMs?: number;
  readonly waitMs?: number;
  readonly webhookTimeoutMs?: number;
  /** How long delivered (event, channel) pairs are remembered for deduplication (default 7 days). */
  readonly dedupeMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly webhook?: WebhookSender;
  readonly email?: EmailSender;
}

export interface NotifierModule extends ServiceModule {
  readonly consumer: NotificationConsumer;
  readonly email: EmailSender;
}

/** Composition root of the notifier: its store, the channels, the queue consumer and notifier.v1. */
export async function createNotifierModule(config: NotifierConfig): Promise<NotifierModule> {
  const database = openDatabase<NotifierTables>(config.databaseUrl);
  await migrate(database.db as never, "notifier", notifierMigrations);
  const clock = config.clock ?? systemClock;
  const store = new SqlNotifierStore(database.db);
  const email = config.email ?? new LogEmailSender(config.logger);
  const webhookTimeoutMs = config.webhookTimeoutMs ?? 5_000;
  const deliver = new DeliverNotification({
    preferences: store,
    log: store,
    webhook: config.webhook ?? new HttpWebhookSender({ timeoutMs: webhookTimeoutMs, now: () => clock.now() }),
    email,
    clock,
    leaseMs: webhookTimeoutMs * 3,
  });
  await config.notifier.ensureTopic(config.topic);
  const queue = await config.notifier.openQueue(config.topic, config.queue, { deadLetter: { queue: config.deadLetterQueue, maxReceives: config.maxAttempts ?? 8 } });
  const consumer = new NotificationConsumer(queue, deliver, {
    retryBaseMs: config.retryBaseMs,
    retryCapMs: config.retryCapMs,
    visibilityMs: config.visibilityMs,
    waitMs: config.waitMs,
    onFailure: (eventId, attempt, error) => config.logger?.warn({ eventId, attempt, err: error }, "notification not delivered; retrying"),
    onDropped: (eventId, type) => config.logger?.warn({ eventId, type }, "unknown notification dropped"),
    onError: (error) => config.logger?.warn({ err: error }, "notification queue unavailable"),
  });
  const dedupeMs = config.dedupeMs ?? 7 * 24 * 3600_000;
  let pruner: NodeJS.Timeout | undefined;
  return {
    name: "notifier",
    serviceNames: [NotifierService.typeName],
    consumer,
    email,
    routes: notifierRoutes({
      get: new GetPreferences(store),
      set: new SetPreferences({ store, clock, newSecret: () => randomBytes(32).toString("hex") }),
    }),
    async start() {
      consumer.start();
      pruner = setInterval(() => {
        store.prune(clock.now() - dedupeMs).catch((error: unknown) => config.logger?.warn({ err: error }, "delivery log prune failed"));
      }, 3600_000);
      pruner.unref();
    },
    async stop() {
      clearInterval(pruner);
      await consumer.stop();
      await database.close();
    },
  };
}
