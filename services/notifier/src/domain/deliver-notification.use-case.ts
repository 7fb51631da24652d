import type { Clock } from "#kit/clock/clock.js";
import type { DeliveryLog } from "../ports/delivery-log.port.js";
import type { EmailSender } from "../ports/email-sender.port.js";
import type { PreferenceStore } from "../ports/preference-store.port.js";
import type { WebhookSender } from "../ports/webhook-sender.port.js";
import type { Notification } from "./notification.js";
import { channelsFor, noPreferences, type Channel } from "./preferences.js";
import { renderEmail } from "./render-email.js";

export interface DeliverNotificationDeps {
  readonly preferences: PreferenceStore;
  readonly log: DeliveryLog;
  readonly webhook: WebhookSender;
  readonly email: EmailSender;
  readonly clock: Clock;
  /** How long a claim keeps a duplicate from sending too (longer than one send may take). */
  readonly leaseMs: number;
}

export interface Delivered {
  /** Sent now. */
  readonly sent: readonly Channel[];
  /** Sent before (a duplicate of the event, or a retry after another channel failed). */
  readonly already: readonly Channel[];
}

/** Some channel did not take the notification (or another handler is sending it): retry later. */
export class DeliveryFailedError extends Error {
  constructor(
    readonly eventId: string,
    readonly failures: readonly { readonly channel: Channel; readonly error: unknown }[],
  ) {
    super(`notification ${eventId}: ${failures.map((f) => `${f.channel}: ${f.error instanceof Error ? f.error.message : String(f.error)}`).join("; ")}`);
    this.name = "DeliveryFailedError";
  }
}

/** The body a webhook receives (and signs over). */
export function webhookBody(notification: Notification): string {
  const { accountId, time, data } = notification.notice;
  return JSON.stringify({ id: notification.id, type: notification.type, accountId, time, data });
}

/**
 * Sends one notification to each channel its account chose for its kind, once per (event id, channel): a channel
 * already delivered is skipped, so a redelivered or duplicated event sends nothing twice, and a retry after one
 * channel failed only sends to that one.
 */
export class DeliverNotification {
  constructor(private readonly deps: DeliverNotificationDeps) {}

  async execute(notification: Notification): Promise<Delivered> {
    const { preferences, log, clock, leaseMs } = this.deps;
    const stored = await preferences.get(notification.notice.accountId);
    const chosen = stored?.preferences ?? noPreferences(notification.notice.accountId);
    const sent: Channel[] = [];
    const already: Channel[] = [];
    const failures: { channel: Channel; error: unknown }[] = [];
    for (const channel of channelsFor(chosen, notification.kind)) {
      const claim = await log.claim(notification.id, channel, clock.now(), leaseMs);
      if (claim === "delivered") {
        already.push(channel);
        continue;
      }
      if (claim === "busy") {
        failures.push({ channel, error: new Error("being delivered by another handler") });
        continue;
      }
      try {
        if (channel === "webhook") {
          await this.deps.webhook.send({ url: chosen.webhook.url, secret: stored?.webhookSecret ?? "", eventId: notification.id, body: webhookBody(notification) });
        } else {
          await this.deps.email.send(renderEmail(chosen.email.address, notification));
        }
      } catch (error) {
        await log.unclaim(notification.id, channel);
        failures.push({ channel, error });
        continue;
      }
      await log.delivered(notification.id, channel, clock.now());
      sent.push(channel);
    }
    if (failures.length > 0) throw new DeliveryFailedError(notification.id, failures);
    return { sent, already };
  }
}
