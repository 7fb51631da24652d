/**
 * Publishes what a service's outbox holds to the notifier topic, oldest first, and only then lets the outbox forget it
 * (`done`): at-least-once, with the event ids the source chose, so a re-publication after a crash is deduplicated by
 * the notifier. Runs on a timer and when nudged (after the service wrote to its outbox).
 */
import type { NotificationEvent, Notifier } from "../ports/notifier.port.js";
import { Wakeups } from "../lifecycle/wakeups.js";

export interface OutboxBatch {
  readonly events: readonly NotificationEvent[];
  /** The events are published: the source moves past them. */
  done(): Promise<void>;
}

export interface OutboxSource {
  /** The oldest unpublished events, at most `limit` (none: caught up). */
  pending(limit: number): Promise<OutboxBatch>;
}

export interface OutboxRelayOptions {
  readonly source: OutboxSource;
  readonly notifier: Notifier;
  readonly topic: string;
  /** How often it looks without a nudge (default 500 ms). */
  readonly pollMs?: number;
  readonly batch?: number;
  readonly onError?: (error: unknown) => void;
}

export class OutboxRelay {
  private readonly wakeups = new Wakeups();
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  private published = 0;

  constructor(private readonly options: OutboxRelayOptions) {}

  get publishedCount(): number {
    return this.published;
  }

  start(): void {
    this.running ??= this.loop();
  }

  /** Something was written: look now. */
  nudge(): void {
    this.wakeups.wakeAll();
  }

  /** Publishes everything pending now (for tests and shutdown). */
  async flush(): Promise<void> {
    for (;;) {
      const batch = await this.options.source.pending(this.options.batch ?? 100);
      if (batch.events.length === 0) return;
      await this.publish(batch);
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.wakeups.wakeAll();
    await this.running;
  }

  private async publish(batch: OutboxBatch): Promise<void> {
    await this.options.notifier.ensureTopic(this.options.topic);
    await this.options.notifier.publishBatch(this.options.topic, batch.events);
    await batch.done();
    this.published += batch.events.length;
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        const batch = await this.options.source.pending(this.options.batch ?? 100);
        if (batch.events.length > 0) {
          await this.publish(batch);
          continue;
        }
      } catch (error) {
        this.options.onError?.(error);
      }
      if (signal.aborted) return;
      await this.wakeups.wait({ ms: this.options.pollMs ?? 500, signal });
    }
  }
}
