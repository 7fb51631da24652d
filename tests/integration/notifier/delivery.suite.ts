// The notifier service's delivery guarantees, run on each notifier engine (the embedded queue, SNS/SQS on moto):
// duplicates are delivered once, a webhook that keeps failing ends in the dead-letter queue, nothing is lost.
import { afterEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { NotificationKind, NotifierService } from "#gen/exchange/notifier/v1/notifier_pb.js";
import { NOTICE_TYPES, type Notice } from "#kit/outbox/notice.js";
import type { NotificationEvent, Notifier, ReceivedNotification } from "#kit/ports/notifier.port.js";
import { createNotifierModule, type NotifierModule } from "../../../services/notifier/src/main.js";
import type { LogEmailSender } from "../../../services/notifier/src/adapters/email-sender.log.js";
import { until } from "../../support/until.js";
import { startWebhookReceiver, type WebhookReceiver } from "./webhook-receiver.js";

export interface DeliveryHarness {
  notifier(): Promise<Notifier>;
  /** unique per call */
  name(base: string): string;
}

const ALL_KINDS = [NotificationKind.TRADE_FILL, NotificationKind.ORDER_STATE, NotificationKind.DEPOSIT, NotificationKind.WITHDRAWAL, NotificationKind.SECURITY];

function fill(id: string, accountId: string, n: number): NotificationEvent {
  const notice: Notice = { accountId, time: 1_700_000_000_000 + n, data: { symbol: "BTCUSDT", orderId: n, tradeId: n, price: "65000.01000000", qty: "0.00100000" } };
  return { id, type: NOTICE_TYPES.tradeFilled, payload: notice };
}

export function notificationDeliverySuite(engine: string, makeHarness: () => DeliveryHarness): void {
  describe(`notifier delivery: ${engine}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    });

    async function setup(options: { replicas?: number; maxAttempts?: number } = {}) {
      const harness = makeHarness();
      const dir = mkdtempSync(join(tmpdir(), "notifier-"));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const webhook = await startWebhookReceiver();
      cleanups.push(() => webhook.close());
      const topic = harness.name("exchange.user.notifications.v1");
      const queue = harness.name("notifications");
      const deadLetterQueue = harness.name("notifications-dlq");
      const notifier = await harness.notifier();
      cleanups.push(() => notifier.close());
      const modules: NotifierModule[] = [];
      // Replicas share one database (as notifier replicas share PostgreSQL) and one queue.
      for (let i = 0; i < (options.replicas ?? 1); i++) {
        const module = await createNotifierModule({
          databaseUrl: `sqlite:${join(dir, "notifier.sqlite")}`,
          notifier,
          topic,
          queue,
          deadLetterQueue,
          maxAttempts: options.maxAttempts ?? 3,
          retryBaseMs: 100,
          retryCapMs: 400,
          visibilityMs: 5_000,
          waitMs: 500,
          webhookTimeoutMs: 2_000,
        });
        modules.push(module);
        cleanups.push(() => module.stop!());
      }
      const api = createClient(NotifierService, inProcessTransport(modules[0]!.routes));
      const subscribe = async (accountId: string, target: WebhookReceiver) => {
        const set = await api.setNotificationPreferences({
          accountId,
          preferences: { webhook: { url: target.url, kinds: ALL_KINDS }, email: { address: `${accountId}@example.com`, kinds: [NotificationKind.TRADE_FILL] } },
        });
        expect(set.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
        target.secret = set.webhookSecret;
      };
      const start = async () => {
        for (const module of modules) await module.start!();
      };
      const publish = (event: NotificationEvent) => notifier.publish(topic, event);
      const emails = (eventId: string) => modules.flatMap((m) => (m.email as LogEmailSender).sent).filter((mail) => mail.text.includes(`event: ${eventId}`));
      const dlq = () => notifier.openDeadLetterQueue(deadLetterQueue);
      return { api, webhook, modules, subscribe, start, publish, emails, dlq };
    }

    it("keeps preferences per account, and a webhook secret shown once", async () => {
      const { api, webhook, subscribe } = await setup();
      await subscribe("acct-p", webhook);
      const read = await api.getNotificationPreferences({ accountId: "acct-p" });
      expect(read.webhookSecretSet).toBe(true);
      expect(read.preferences?.webhook?.url).toBe(webhook.url);
      expect(read.preferences?.email?.kinds).toEqual([NotificationKind.TRADE_FILL]);
      const again = await api.setNotificationPreferences({ accountId: "acct-p", preferences: read.preferences });
      expect(again.webhookSecret).toBe(""); // kept, not shown again
      const rotated = await api.setNotificationPreferences({ accountId: "acct-p", preferences: read.preferences, rotateWebhookSecret: true });
      expect(rotated.webhookSecret).toMatch(/^[0-9a-f]{64}$/);
      expect(rotated.webhookSecret).not.toBe(webhook.secret);
      await expect(api.setNotificationPreferences({ accountId: "acct-p", preferences: { webhook: { url: "ftp://x", kinds: [] } } })).rejects.toThrow(/must be http/);
      expect((await api.getNotificationPreferences({ accountId: "nobody" })).preferences?.webhook?.url).toBe("");
    });

    it("delivers an event published three times, to two racing replicas, once per channel", async () => {
      const { webhook, subscribe, start, publish, emails, modules } = await setup({ replicas: 2 });
      await subscribe("acct-d", webhook);
      const event = fill("fill:BTCUSDT:7:0", "acct-d", 7);
      for (let i = 0; i < 3; i++) await publish(event);
      await publish(fill("fill:BTCUSDT:8:0", "acct-d", 8));
      await start();
      // Every copy is acked (delivered or found delivered), then nothing more arrives.
      await until(() => modules.reduce((n, m) => n + m.consumer.handledCount, 0) >= 4, 20_000);
      expect(webhook.accepted(event.id)).toBe(1);
      expect(webhook.accepted("fill:BTCUSDT:8:0")).toBe(1);
      expect(emails(event.id)).toHaveLength(1);
      const [delivered] = webhook.received.filter((r) => r.eventId === event.id);
      expect(delivered!.signatureValid).toBe(true);
      expect(delivered!.body).toMatchObject({ id: event.id, type: "exchange.order.filled.v1", accountId: "acct-d", data: { price: "65000.01000000", qty: "0.00100000" } });
      expect(emails(event.id)[0]).toMatchObject({ to: "acct-d@example.com", subject: "Order filled" });
    });

    it("moves a notification whose webhook keeps failing to the dead-letter queue after maxAttempts, and delivers the rest", async () => {
      const { webhook, subscribe, start, publish, dlq, emails } = await setup({ maxAttempts: 3 });
      await subscribe("acct-f", webhook);
      webhook.answer = (eventId) => (eventId === "poison" ? 500 : 200);
      await publish(fill("poison", "acct-f", 1));
      await publish(fill("fine", "acct-f", 2));
      await start();
      const dead = await dlq();
      let got: ReceivedNotification[] = [];
      const deadline = Date.now() + 30_000;
      while (got.length === 0 && Date.now() < deadline) got = await dead.receive({ waitMs: 1_000 });
      expect(got.map((m) => m.event.id)).toEqual(["poison"]);
      expect(got[0]!.event.payload).toEqual(fill("poison", "acct-f", 1).payload);
      expect(webhook.received.filter((r) => r.eventId === "poison").map((r) => r.status)).toEqual([500, 500, 500]);
      expect(webhook.accepted("fine")).toBe(1);
      // The e-mail channel took it on the first attempt and was not sent again on the retries.
      expect(emails("poison")).toHaveLength(1);
      await dead.ack(got[0]!);
    });

    it("loses nothing: every event of a burst with transient webhook failures is delivered once, signed", async () => {
      const { webhook, subscribe, start, publish, modules } = await setup({ maxAttempts: 6 });
      await subscribe("acct-n", webhook);
      // Every third event fails twice before it is taken.
      webhook.answer = (eventId, attempt) => (Number(eventId.split(":")[1]) % 3 === 0 && attempt <= 2 ? 503 : 200);
      const ids = Array.from({ length: 30 }, (_, i) => `burst:${i}`);
      await start();
      for (const [i, id] of ids.entries()) await publish(fill(id, "acct-n", i));
      await until(() => ids.every((id) => webhook.accepted(id) === 1), 45_000);
      await until(() => modules[0]!.consumer.handledCount >= ids.length, 10_000);
      for (const id of ids) expect(webhook.accepted(id), id).toBe(1);
      expect(webhook.received.every((r) => r.signatureValid)).toBe(true);
      expect(webhook.received.filter((r) => r.status >= 300)).toHaveLength(20); // 10 events x 2 failures
    });
  });
}
