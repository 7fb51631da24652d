/** The one contract suite every Notifier adapter passes. Names from `harness.name()` are unique per run. */
import { describe, it, expect, afterEach } from "vitest";
import { consumeOnce, type Notifier, type NotificationQueue, type ReceivedNotification } from "./notifier.port.js";
import type { Cache } from "./cache.port.js";

export interface NotifierHarness {
  open(): Promise<Notifier>;
  name(base: string): string;
  /** a cache for deduplication marks */
  seen(): Promise<Cache>;
}

async function drain(queue: NotificationQueue, expected: number, timeoutMs = 10_000): Promise<ReceivedNotification[]> {
  const got: ReceivedNotification[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < expected && Date.now() < deadline) got.push(...(await queue.receive({ max: 10, waitMs: 1000 })));
  return got;
}

export function notifierContract(engine: string, makeHarness: () => NotifierHarness): void {
  describe(`Notifier contract: ${engine}`, () => {
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of closers.splice(0).reverse()) await c();
    });
    async function setup() {
      const harness = makeHarness();
      const notifier = await harness.open();
      closers.push(() => notifier.close());
      return { harness, notifier };
    }

    it("fans an event out to every subscribed queue, with id, type, payload and attributes", async () => {
      const { harness, notifier } = await setup();
      const topic = harness.name("exchange.user.events.v1");
      await notifier.ensureTopic(topic);
      await notifier.ensureTopic(topic);
      const a = await notifier.openQueue(topic, harness.name("mail"));
      const b = await notifier.openQueue(topic, harness.name("push"));
      await notifier.openQueue(topic, harness.name("mail")); // idempotent: no second subscription
      const event = {
        id: "evt-1",
        type: "exchange.order.filled.v1",
        payload: { orderId: "42", price: "0.00000001", qty: "1.50" },
        attributes: { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
      };
      await notifier.publish(topic, event);
      for (const q of [a, b]) {
        const [m, ...rest] = await drain(q, 1);
        expect(rest).toEqual([]);
        expect(m.event).toEqual(event);
        expect(m.receiveCount).toBe(1);
        await q.ack(m);
      }
      expect(await a.receive({ waitMs: 500 })).toEqual([]); // acked, and delivered once despite two openQueue calls
    });

    it("publishes a batch (more than one SNS batch of ten) in order, and acks many at once", async () => {
      const { harness, notifier } = await setup();
      const topic = harness.name("batch");
      await notifier.ensureTopic(topic);
      const queue = await notifier.openQueue(topic, harness.name("batch-q"));
      const events = Array.from({ length: 23 }, (_, i) => ({ id: `b-${i}`, type: "exchange.test.v1", payload: { n: i, amount: "0.00000001" }, attributes: { seq: String(i) } }));
      await notifier.publishBatch(topic, events);
      await notifier.publishBatch(topic, []);
      const got = await drain(queue, events.length);
      expect(got.map((m) => m.event).sort((a, b) => Number(a.attributes!.seq) - Number(b.attributes!.seq))).toEqual(events);
      await Promise.all(got.map((m) => queue.ack(m))); // acked together
      expect(await queue.receive({ waitMs: 500 })).toEqual([]);
    });

    it("redelivers what is not acked: at once after release, or after the visibility timeout", async () => {
      const { harness, notifier } = await setup();
      const topic = harness.name("redeliver");
      const q = await notifier.openQueue(topic, harness.name("q"));
      await notifier.publish(topic, { id: "e-1", type: "t", payload: 1 });
      const [first] = await drain(q, 1);
      expect(first.event.id).toBe("e-1");
      expect(await q.receive({ waitMs: 0 })).toEqual([]); // invisible while in flight
      await q.release(first);
      const [second] = await q.receive({ waitMs: 2000, visibilityTimeoutMs: 1000 });
      expect(second.event.id).toBe("e-1");
      expect(second.receiveCount).toBe(2);
      const t0 = Date.now();
      let third: ReceivedNotification | undefined; // comes back by itself
      while (!third && Date.now() - t0 < 10_000) [third] = await q.receive({ waitMs: 2000, visibilityTimeoutMs: 1000 });
      expect(third?.event.id).toBe("e-1");
      if (!third) return;
      expect(third.receiveCount).toBe(3);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(500);
      await q.ack(third);
      expect(await q.receive({ waitMs: 1500 })).toEqual([]);
    });

    it("lets a consumer handle each event id once, however often it is delivered", async () => {
      const { harness, notifier } = await setup();
      const seen = await harness.seen();
      closers.push(() => seen.close());
      const topic = harness.name("dedupe");
      const q = await notifier.openQueue(topic, harness.name("q"));
      for (const id of ["a", "b", "a", "c", "b", "a"]) await notifier.publish(topic, { id, type: "t", payload: { id } });
      const handled: string[] = [];
      let failOnce = true;
      const deadline = Date.now() + 15_000;
      while (handled.length < 3 && Date.now() < deadline) {
        await consumeOnce(
          q,
          seen,
          async (e) => {
            if (e.id === "c" && failOnce) {
              failOnce = false;
              throw new Error("transient");
            }
            handled.push(e.id);
          },
          { waitMs: 500, visibilityTimeoutMs: 1000 },
        );
      }
      expect(handled.sort()).toEqual(["a", "b", "c"]);
      expect(failOnce).toBe(false);
      expect(await q.receive({ waitMs: 1500 })).toEqual([]); // duplicates were acked too
    });

    it("holds a released message back for its delay", async () => {
      const { harness, notifier } = await setup();
      const topic = harness.name("delay");
      const q = await notifier.openQueue(topic, harness.name("q"));
      await notifier.publish(topic, { id: "d-1", type: "t", payload: 1 });
      const [first] = await drain(q, 1);
      const t0 = Date.now();
      await q.release(first, 1500);
      expect(await q.receive({ waitMs: 0 })).toEqual([]);
      const [again] = await drain(q, 1, 10_000);
      expect(again.event.id).toBe("d-1");
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      await q.ack(again);
    });

    it("moves a message received maxReceives times without an ack to its dead-letter queue", async () => {
      const { harness, notifier } = await setup();
      const topic = harness.name("redrive");
      const dlqName = harness.name("dlq");
      const q = await notifier.openQueue(topic, harness.name("q"), { deadLetter: { queue: dlqName, maxReceives: 2 } });
      await notifier.openQueue(topic, harness.name("q"), { deadLetter: { queue: dlqName, maxReceives: 2 } }); // idempotent
      const dlq = await notifier.openDeadLetterQueue(dlqName);
      await notifier.publish(topic, { id: "poison", type: "t", payload: { n: 1 } });
      await notifier.publish(topic, { id: "fine", type: "t", payload: { n: 2 } });
      const receives = new Map<string, number>();
      const deadline = Date.now() + 15_000;
      let dead: ReceivedNotification[] = [];
      while (dead.length === 0 && Date.now() < deadline) {
        for (const m of await q.receive({ waitMs: 500, visibilityTimeoutMs: 1000 })) {
          receives.set(m.event.id, m.receiveCount);
          if (m.event.id === "fine") await q.ack(m);
          else await q.release(m);
        }
        dead = await dlq.receive({ waitMs: 0 });
      }
      expect(dead.map((m) => m.event.id)).toEqual(["poison"]);
      expect(dead[0].event.payload).toEqual({ n: 1 });
      expect(receives.get("poison")).toBe(2);
      expect(receives.get("fine")).toBe(1);
      await dlq.ack(dead[0]);
      expect(await q.receive({ waitMs: 1000 })).toEqual([]);
    });

    it("ends a long poll when its signal aborts", async () => {
      const { harness, notifier } = await setup();
      const q = await notifier.openQueue(harness.name("abort"), harness.name("q"));
      const stop = new AbortController();
      const t0 = Date.now();
      const polling = q.receive({ waitMs: 20_000, signal: stop.signal });
      setTimeout(() => stop.abort(), 300);
      expect(await polling).toEqual([]);
      expect(Date.now() - t0).toBeLessThan(10_000);
    });
  });
}
