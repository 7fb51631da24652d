/**
 * Webhooks over HTTP(S) with fetch. Each request is signed so the receiver can tell it came from us and is fresh:
 *   X-Exchange-Event-Id: <event id>            (deduplicate on your side too: a retry carries the same id)
 *   X-Exchange-Signature: t=<unix ms>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * The receiver recomputes v1 over the raw body with its secret and rejects a stale t.
 */
import { createHmac } from "node:crypto";
import type { WebhookSender } from "../ports/webhook-sender.port.js";

export const SIGNATURE_HEADER = "x-exchange-signature";
export const EVENT_ID_HEADER = "x-exchange-event-id";

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export class HttpWebhookSender implements WebhookSender {
  constructor(private readonly options: { readonly timeoutMs?: number; readonly now?: () => number } = {}) {}

  async send(request: { url: string; secret: string; eventId: string; body: string }): Promise<void> {
    const timestamp = (this.options.now ?? Date.now)();
    const response = await fetch(request.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "user-agent": "exchange-notifier/1",
        [EVENT_ID_HEADER]: request.eventId,
        [SIGNATURE_HEADER]: signWebhook(request.secret, timestamp, request.body),
      },
      body: request.body,
      redirect: "manual",
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
    });
    // The body is not read: drain it so the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (response.status < 200 || response.status >= 300) throw new Error(`webhook answered ${response.status}`);
  }
}
