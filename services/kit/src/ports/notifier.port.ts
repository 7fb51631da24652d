/**
 * Notifier: user-facing events (order filled, deposit credited, ...) published to a topic and fanned out to queues.
 * Each subscriber owns a queue: it receives, handles and acknowledges. Delivery is at-least-once and unordered: an
 * unacknowledged message comes back after its visibility timeout (or at once after `release`), and the same event
 * may arrive twice, so consumers deduplicate by event id (`consumeOnce`).
 */
import type { Cache } from "./cache.port.js";

export interface NotificationEvent {
  /** unique per event: the deduplication key */
  readonly id: string;
  /** e.g. `exchange.order.filled.v1` */
  readonly type: string;
  readonly payload: unknown;
  /** W3C trace context etc. */
  readonly attributes?: Readonly<Record<string, string>>;
}

export interface ReceivedNotification {
  readonly event: NotificationEvent;
  /** 1 on first delivery */
  readonly receiveCount: number;
  /** opaque handle for ack/release */
  readonly receipt: string;
}

export interface ReceiveOptions {
  /** 1..10 (SQS's maximum); default 10 */
  readonly max?: number;
  /** long poll: wait up to this long for a first message (0..20000 ms); default 0 */
  readonly waitMs?: number;
  /** how long received messages stay invisible unless acked (rounded up to whole seconds by SQS); default 30 s */
  readonly visibilityTimeoutMs?: number;
  /** ends a long poll early (with what has arrived: nothing) */
  readonly signal?: AbortSignal;
}

export interface NotificationQueue {
  receive(options?: ReceiveOptions): Promise<ReceivedNotification[]>;
  /** Done: the message is deleted. */
  ack(message: ReceivedNotification): Promise<void>;
  /**
   * Not done: make it visible again now, or after `delayMs` (a retry's back-off; SQS rounds it up to
   * whole seconds, at most 12 h).
   */
  release(message: ReceivedNotification, delayMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface QueueOptions {
  /**
   * A message received `maxReceives` times without an ack moves to the queue `queue` when it would be
   * received once more (SQS's redrive policy). The dead-letter queue is created too.
   */
  readonly deadLetter?: { readonly queue: string; readonly maxReceives: number };
}

export interface Notifier {
  /** Creates the topic; idempotent. */
  ensureTopic(topic: string): Promise<void>;
  publish(topic: string, event: NotificationEvent): Promise<void>;
  /** Publishes several events, in order, with as few writes or calls as the engine allows; all or an error. */
  publishBatch(topic: string, events: readonly NotificationEvent[]): Promise<void>;
  /**
   * Creates (idempotently) the queue `queue` subscribed to `topic` and returns a handle on it. Events published after
   * the subscription exists are delivered to it.
   */
  openQueue(topic: string, queue: string, options?: QueueOptions): Promise<NotificationQueue>;
  /** A queue subscribed to no topic, created idempotently: what a dead-letter queue is read through. */
  openDeadLetterQueue(queue: string): Promise<NotificationQueue>;
  close(): Promise<void>;
}

/**
 * Receives one batch and hands each event to `handle` once per event id: an id already marked in `seen` is acked
 * without handling; otherwise it is handled, marked (for `ttlMs`), then acked. A handler that throws releases its
 * message for redelivery. Returns the number of events handled.
 */
export async function consumeOnce(
  queue: NotificationQueue,
  seen: Cache,
  handle: (event: NotificationEvent) => Promise<void>,
  options: ReceiveOptions & { readonly ttlMs?: number; readonly keyPrefix?: string } = {},
): Promise<number> {
  const ttlMs = options.ttlMs ?? 24 * 3600_000;
  const prefix = options.keyPrefix ?? "notified:";
  let handled = 0;
  for (const message of await queue.receive(options)) {
    const mark = prefix + message.event.id;
    if ((await seen.get(mark)) !== undefined) {
      await queue.ack(message);
      continue;
    }
    try {
      await handle(message.event);
    } catch {
      await queue.release(message);
      continue;
    }
    await seen.set(mark, "1", { ttlMs });
    await queue.ack(message);
    handled++;
  }
  return handled;
}
