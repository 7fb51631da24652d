/**
 * Embedded Notifier: topics and queues in this process. A queue keeps messages until acked; a received message is
 * invisible for its visibility timeout and then comes back (receiveCount + 1), like SQS. Not durable: messages in
 * queues are lost with the process (the events they come from are in the event log and can be re-published).
 */
import { randomUUID } from "node:crypto";
import type { NotificationEvent, NotificationQueue, Notifier, QueueOptions, ReceivedNotification, ReceiveOptions } from "../ports/notifier.port.js";
import { Wakeups } from "../lifecycle/wakeups.js";

interface Message {
  readonly event: NotificationEvent;
  receiveCount: number;
  visibleAt: number;
  receipt: string | null;
}

class MemoryQueue {
  readonly messages: Message[] = [];
  private readonly pushes = new Wakeups();
  /** SQS's redrive policy: where a message goes instead of its (maxReceives + 1)-th receive. */
  deadLetter: { queue: MemoryQueue; maxReceives: number } | undefined;

  push(event: NotificationEvent): void {
    this.messages.push({ event: structuredClone(event), receiveCount: 0, visibleAt: 0, receipt: null });
    this.wake();
  }

  wake(): void {
    this.pushes.wakeAll();
  }

  take(max: number, visibilityMs: number): ReceivedNotification[] {
    const now = Date.now();
    const out: ReceivedNotification[] = [];
    for (const m of [...this.messages]) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (this.deadLetter && m.receiveCount >= this.deadLetter.maxReceives) {
        this.messages.splice(this.messages.indexOf(m), 1);
        this.deadLetter.queue.push(m.event);
        continue;
      }
      m.receiveCount++;
      m.visibleAt = now + visibilityMs;
      m.receipt = randomUUID();
      out.push({ event: structuredClone(m.event), receiveCount: m.receiveCount, receipt: m.receipt });
    }
    return out;
  }

  /** resolves on a push, after ms or on abort, whichever is first */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return this.pushes.wait({ ms, signal });
  }


  nextVisibleIn(): number {
    const now = Date.now();
    let min = Infinity;
    for (const m of this.messages) min = Math.min(min, Math.max(0, m.visibleAt - now));
    return min;
  }
}

class MemoryQueueHandle implements NotificationQueue {
  constructor(private readonly queue: MemoryQueue) {}

  async receive(options: ReceiveOptions = {}): Promise<ReceivedNotification[]> {
    const max = Math.min(Math.max(options.max ?? 10, 1), 10);
    const visibility = options.visibilityTimeoutMs ?? 30_000;
    const deadline = Date.now() + Math.min(options.waitMs ?? 0, 20_000);
    for (;;) {
      const got = this.queue.take(max, visibility);
      const left = deadline - Date.now();
      if (got.length > 0 || left <= 0 || options.signal?.aborted) return got;
      await this.queue.wait(Math.min(left, Math.max(this.queue.nextVisibleIn(), 1)), options.signal);
    }
  }

  async ack(message: ReceivedNotification): Promise<void> {
    const i = this.queue.messages.findIndex((m) => m.receipt === message.receipt);
    if (i >= 0) this.queue.messages.splice(i, 1);
  }

  async release(message: ReceivedNotification, delayMs = 0): Promise<void> {
    const m = this.queue.messages.find((x) => x.receipt === message.receipt);
    if (m) {
      m.visibleAt = delayMs > 0 ? Date.now() + delayMs : 0;
      m.receipt = null;
      this.queue.wake();
    }
  }

  async close(): Promise<void> {}
}

export class MemoryNotifier implements Notifier {
  private readonly topics = new Map<string, Set<string>>();
  private readonly queues = new Map<string, MemoryQueue>();

  async ensureTopic(topic: string): Promise<void> {
    if (!this.topics.has(topic)) this.topics.set(topic, new Set());
  }

  async publish(topic: string, event: NotificationEvent): Promise<void> {
    const subscribers = this.topics.get(topic);
    if (!subscribers) throw new Error(`unknown notification topic "${topic}"`);
    for (const name of subscribers) this.queues.get(name)!.push(event);
  }

  async publishBatch(topic: string, events: readonly NotificationEvent[]): Promise<void> {
    for (const event of events) await this.publish(topic, event);
  }

  async openQueue(topic: string, queue: string, options: QueueOptions = {}): Promise<NotificationQueue> {
    await this.ensureTopic(topic);
    const q = this.queueOf(queue);
    if (options.deadLetter) q.deadLetter = { queue: this.queueOf(options.deadLetter.queue), maxReceives: options.deadLetter.maxReceives };
    this.topics.get(topic)!.add(queue);
    return new MemoryQueueHandle(q);
  }

  async openDeadLetterQueue(queue: string): Promise<NotificationQueue> {
    return new MemoryQueueHandle(this.queueOf(queue));
  }

  private queueOf(name: string): MemoryQueue {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = new MemoryQueue()));
    return q;
  }

  async close(): Promise<void> {}
}
