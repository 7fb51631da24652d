// A user's webhook endpoint for tests: a real HTTP server on an ephemeral port that checks each request's
// signature against the secret it was given and answers what `answer` says.
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  readonly eventId: string;
  readonly body: { id: string; type: string; accountId: string; time: number; data: Record<string, unknown> };
  readonly signatureValid: boolean;
  readonly status: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: Received[];
  secret: string;
  /** The HTTP status for a request (default 200). */
  answer: (eventId: string, attempt: number) => number;
  /** 2xx answers per event id. */
  accepted(eventId: string): number;
  close(): Promise<void>;
}

export function verifySignature(secret: string, header: string, body: string): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match || secret === "") return false;
  const expected = createHmac("sha256", secret).update(`${match[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, "hex"));
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const attempts = new Map<string, number>();
  const receiver: Omit<WebhookReceiver, "url" | "close"> = {
    received: [],
    secret: "",
    answer: () => 200,
    accepted: (eventId) => receiver.received.filter((r) => r.eventId === eventId && r.status < 300).length,
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const eventId = String(request.headers["x-exchange-event-id"] ?? "");
      const attempt = (attempts.get(eventId) ?? 0) + 1;
      attempts.set(eventId, attempt);
      const status = receiver.answer(eventId, attempt);
      receiver.received.push({ eventId, body: JSON.parse(body) as Received["body"], signatureValid: verifySignature(receiver.secret, String(request.headers["x-exchange-signature"] ?? ""), body), status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/hooks/exchange`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }) as WebhookReceiver;
}
