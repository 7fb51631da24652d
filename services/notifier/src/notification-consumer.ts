/**
 * The notifier's queue loop: receives notifications (SQS in distributed mode, the embedded queue otherwise), hands
 * each to DeliverNotification, acks what was delivered and releases what failed with an exponential back-off. The
 * queue's redrive policy moves a notification that failed maxReceives times to the dead-letter queue.
 */
import type { NotificationQueue, ReceivedNotification } from "#kit/ports/notifier.port.js";
import { retryDelayMs } from "./domain/backoff.js";
import type { DeliverNotification } from "./domain/deliver-notification.use-case.js";
import { notificationOf } from "./domain/notification.js";

export interface NotificationConsumerOptions {
  /** First retry's delay; doubles per attempt (default 1 s). */
  readonly retryBaseMs?: number;
  readonly retryCapMs?: number;
  /** How long a received notification stays invisible while it is handled (default 60 s). */
  readonly visibilityMs?: number;
  /** Long poll per receive (default 10 s; short in tests for a quick stop). */
  readonly waitMs?: number;
  readonly onFailure?: (eventId: string, attempt: number, error: unknown) => void;
  /** An event that is no notification this notifier knows: acked and dropped. */
  readonly onDropped?: (eventId: string, type: string) => void;
  readonly onError?: (error: unknown) => void;
}

export class NotificationConsumer {
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  private handled = 0;

  constructor(
    private readonly queue: NotificationQueue,
    private readonly deliver: DeliverNotification,
    private readonly options: NotificationConsumerOptions = {},
  ) {}

  /** Notifications delivered (or found delivered) and acked so far. */
  get handledCount(): number {
    return this.handled;
  }

  start(): void {
    this.running ??= this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.queue.close();
  }

  /** One receive: handles what came and returns how many were acked. */
  async poll(waitMs = this.options.waitMs ?? 10_000): Promise<number> {
    const messages = await this.queue.receive({ max: 10, waitMs, visibilityTimeoutMs: this.options.visibilityMs ?? 60_000, signal: this.stopping.signal });
    const acked = await Promise.all(messages.map((message) => this.handle(message)));
    return acked.filter(Boolean).length;
  }

  private async handle(message: ReceivedNotification): Promise<boolean> {
    const notification = notificationOf(message.event);
    if (!notification) {
      this.options.onDropped?.(message.event.id, message.event.type);
      await this.queue.ack(message);
      return true;
    }
    try {
      await this.deliver.execute(notification);
    } catch (error) {
      this.options.onFailure?.(notification.id, message.receiveCount, error);
      await this.queue.release(message, retryDelayMs(message.receiveCount, this.options.retryBaseMs ?? 1_000, this.options.retryCapMs ?? 300_000));
      return false;
    }
    await this.queue.ack(message);
    this.handled++;
    return true;
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        // stop() cuts the long poll short (the signal), so it waits for no more than the messages in hand.
        await this.poll(Math.min(this.options.waitMs ?? 10_000, 20_000));
      } catch (error) {
        if (signal.aborted) return;
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }
}
