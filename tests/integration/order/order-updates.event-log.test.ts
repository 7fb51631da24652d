// EventLogOrderUpdates on the kit's EventLog port, on the real Kafka of tests/infra and on the embedded file log:
// adapters stand for order replicas sharing one topic (on the file log, one process's replicas sharing its log).
// An update either stores reaches subscribers on both exactly once, a symbol's batches keep their sequence order
// per account even when the next batch's replica publishes first, and a slow subscriber is still dropped.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OrderStatus, OrderType, SelfTradePreventionMode, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { FileEventLog } from "#kit/adapters/event-log.file.js";
import { KafkaEventLog } from "#kit/adapters/event-log.kafka.js";
import type { EventLog } from "#kit/ports/event-log.port.js";
import { EventLogOrderUpdates } from "../../../services/order/src/adapters/order-updates.event-log.js";
import type { Order } from "../../../services/order/src/domain/order.js";
import type { ExecutionType, OrderUpdate } from "../../../services/order/src/domain/order-update.event.js";
import { engines } from "../../support/engines.js";
import { until } from "../../support/until.js";

interface Engine {
  readonly engine: string;
  /** Replicas of one deployment share what this opens: one log per replica on Kafka, one per process on files. */
  open(): { log: (replica: number) => EventLog; close(): Promise<void>; dropTopic(topic: string): Promise<void> };
}

const kafkaLog = () => new KafkaEventLog({ brokers: engines.kafkaBrokers, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 });
const dropKafkaTopic = async (topic: string) => {
  const admin = new Kafka({ brokers: engines.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
};

const ENGINES: Engine[] = [
  {
    engine: "Kafka",
    open: () => {
      const logs = new Map<number, EventLog>();
      return {
        log: (replica) => logs.get(replica) ?? logs.set(replica, kafkaLog()).get(replica)!,
        close: async () => void (await Promise.all([...logs.values()].map((log) => log.close()))),
        dropTopic: dropKafkaTopic,
      };
    },
  },
  {
    engine: "the file event log",
    open: () => {
      const dir = mkdtempSync(join(tmpdir(), "order-updates-"));
      const log = new FileEventLog({ dir, pollMs: 20 });
      return {
        log: () => log,
        close: async () => {
          await log.close();
          rmSync(dir, { recursive: true, force: true });
        },
        dropTopic: async () => undefined,
      };
    },
  },
];

describe.each(ENGINES)("EventLogOrderUpdates on $engine", ({ open }) => {
  const deployment = open();
  const topic = `exchange.order.user-data.test-${randomUUID()}`;
  let replicas = 0;
  const replica = (backlog = 10_000, markerWaitMs = 5_000) => new EventLogOrderUpdates({ log: deployment.log(replicas++), topic, partitions: 3, backlog, markerWaitMs });
  const a = replica(5);
  const b = replica(5);
  /** A third replica that waits only 300 ms for another's marker. */
  const impatient = replica(5, 300);
  const stop = new AbortController();

  let nextOrderId = 1;
  const update = (accountId: string, executionType: ExecutionType, symbol = "BTCUSDT"): OrderUpdate => {
    const order: Order = {
      symbol,
      orderId: nextOrderId++,
      accountId,
      clientOrderId: `c-${nextOrderId}`,
      side: Side.BUY,
      type: OrderType.LIMIT,
      timeInForce: TimeInForce.GTC,
      priceTicks: 3_000_001n,
      quantityLots: 30_000_000n,
      quoteOrderUnits: 0n,
      stopPriceTicks: 0n,
      icebergLots: 0n,
      trailingDelta: 0,
      stp: SelfTradePreventionMode.EXPIRE_MAKER,
      holdAsset: "USDT",
      holdUnits: 900_000_300_000_000n,
      status: executionType === "TRADE" ? OrderStatus.PARTIALLY_FILLED : OrderStatus.NEW,
      filledLots: executionType === "TRADE" ? 10_000_000n : 0n,
      quoteUnits: 0n,
      submitted: true,
      createdAt: 1_764_120_000_000,
      updatedAt: 1_764_120_000_001,
    };
    const fill = { tradeId: 7, priceTicks: 3_000_001n, quantityLots: 10_000_000n, quoteUnits: 300_000_100_000_000n, commissionUnits: 10_000n, commissionAsset: "BTC", isMaker: true };
    return { order, executionType, rejectReason: "NONE", time: 1_764_120_000_001, balancesChanged: true, ...(executionType === "TRADE" ? { fill } : {}) };
  };

  /** Reads an account's stream on one replica into a list. */
  function listen(replicaOf: EventLogOrderUpdates, accountId: string) {
    const heard: OrderUpdate[] = [];
    const ended = (async () => {
      for await (const u of replicaOf.follow(accountId, stop.signal)) heard.push(u);
    })();
    return { heard, ended, ids: () => heard.map((u) => `${u.order.orderId}:${u.executionType}`) };
  }

  beforeAll(async () => {
    await a.start(); // creates the topic
    await Promise.all([b.start(), impatient.start()]);
  }, 30_000);

  afterAll(async () => {
    stop.abort();
    await Promise.all([a.stop(), b.stop(), impatient.stop()]);
    await deployment.dropTopic(topic);
    await deployment.close();
  });

  describe("two replicas on one topic", () => {
    it("delivers what either replica stored to subscribers on both, once each, in batch order; other accounts apart", async () => {
      const onA = listen(a, "alice");
      const onB = listen(b, "alice");
      const bobOnB = listen(b, "bob");
      await until(() => a.subscribers("alice") === 1 && b.subscribers("alice") === 1 && b.subscribers("bob") === 1);

      const first = [update("alice", "NEW"), update("bob", "NEW"), update("alice", "TRADE")];
      a.publish(first, { symbol: "BTCUSDT", sequence: 1 });
      b.storedElsewhere({ symbol: "BTCUSDT", sequence: 1 });
      const second = [update("alice", "CANCELED")];
      b.publish(second, { symbol: "BTCUSDT", sequence: 2 });
      a.storedElsewhere({ symbol: "BTCUSDT", sequence: 2 });
      a.publish([], { symbol: "BTCUSDT", sequence: 3 }); // a batch without updates is reported too
      const last = [update("alice", "EXPIRED")];
      b.storedElsewhere({ symbol: "BTCUSDT", sequence: 3 });
      b.publish(last, { symbol: "BTCUSDT", sequence: 4 }); // waits for 3's marker from a

      const expected = [first[0], first[2], second[0], last[0]].map((u) => `${u.order.orderId}:${u.executionType}`);
      // One account is one partition: anything delivered twice would arrive before the last update.
      await until(() => onA.heard.length >= 4 && onB.heard.length >= 4);
      expect(onA.ids()).toEqual(expected);
      expect(onB.ids()).toEqual(expected);
      await until(() => bobOnB.heard.length >= 1);
      expect(bobOnB.ids()).toEqual([`${first[1].order.orderId}:NEW`]);
      // what came back from Kafka is the update as published, bigints included
      expect(onB.heard[1]).toEqual(first[2]);
    });

    it("keeps a symbol's batches in sequence order when the next batch's replica publishes first", async () => {
      const onA = listen(a, "carol");
      const onB = listen(b, "carol");
      await until(() => a.subscribers("carol") === 1 && b.subscribers("carol") === 1);

      // a stored batch 10 and b then stored 11, but a's publish of 10 comes late
      b.storedElsewhere({ symbol: "ETHUSDT", sequence: 10 });
      const eleven = update("carol", "TRADE", "ETHUSDT");
      b.publish([eleven], { symbol: "ETHUSDT", sequence: 11 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(onA.heard).toEqual([]);
      const ten = update("carol", "NEW", "ETHUSDT");
      a.publish([ten], { symbol: "ETHUSDT", sequence: 10 });

      await until(() => onA.heard.length >= 2 && onB.heard.length >= 2);
      const expected = [`${ten.order.orderId}:NEW`, `${eleven.order.orderId}:TRADE`];
      expect(onA.ids()).toEqual(expected);
      expect(onB.ids()).toEqual(expected);
    });

    it("delivers a batch once when two replicas both report it", async () => {
      const onA = listen(a, "dave");
      const onB = listen(b, "dave");
      await until(() => a.subscribers("dave") === 1 && b.subscribers("dave") === 1);
      const batch = [update("dave", "NEW", "SOLUSDT")];
      a.publish(batch, { symbol: "SOLUSDT", sequence: 20 });
      b.publish(batch, { symbol: "SOLUSDT", sequence: 20 });
      const next = update("dave", "CANCELED", "SOLUSDT");
      a.publish([next], { symbol: "SOLUSDT", sequence: 21 });
      // The late copy comes once both replicas delivered 20 and 21.
      await until(() => onA.heard.length >= 2 && onB.heard.length >= 2);
      b.publish([update("dave", "TRADE", "SOLUSDT")], { symbol: "SOLUSDT", sequence: 21 }); // a late copy of 21

      const expected = [`${batch[0].order.orderId}:NEW`, `${next.order.orderId}:CANCELED`];
      await until(() => onA.heard.length >= 2 && onB.heard.length >= 2);
      // a sentinel after both copies: nothing else arrives before it
      const sentinel = update("dave", "EXPIRED", "SOLUSDT");
      a.publish([sentinel], { symbol: "SOLUSDT", sequence: 22 });
      await until(() => onA.heard.length >= 3 && onB.heard.length >= 3);
      expect(onA.ids()).toEqual([...expected, `${sentinel.order.orderId}:EXPIRED`]);
      expect(onB.ids()).toEqual([...expected, `${sentinel.order.orderId}:EXPIRED`]);
    });

    it("lets a batch go ahead when the previous batch's marker does not come in time, and skips that batch when it comes late", async () => {
      const onA = listen(a, "fay");
      const onB = listen(b, "fay");
      await until(() => a.subscribers("fay") === 1 && b.subscribers("fay") === 1);
      impatient.storedElsewhere({ symbol: "ADAUSDT", sequence: 30 });
      const next = update("fay", "NEW", "ADAUSDT");
      impatient.publish([next], { symbol: "ADAUSDT", sequence: 31 }); // 30's replica is silent: goes ahead after 300 ms
      await until(() => onA.heard.length >= 1 && onB.heard.length >= 1);
      a.publish([update("fay", "TRADE", "ADAUSDT")], { symbol: "ADAUSDT", sequence: 30 }); // too late
      const sentinel = update("fay", "CANCELED", "ADAUSDT");
      a.publish([sentinel], { symbol: "ADAUSDT", sequence: 32 }); // after the late one in a's own order
      await until(() => onA.heard.length >= 2 && onB.heard.length >= 2);
      const expected = [`${next.order.orderId}:NEW`, `${sentinel.order.orderId}:CANCELED`];
      expect(onA.ids()).toEqual(expected);
      expect(onB.ids()).toEqual(expected);
    });

    it("ends a subscriber that falls more than the backlog behind, not the others", async () => {
      const fast = listen(b, "erin");
      const slow = b.follow("erin", stop.signal);
      const firstRead = slow.next();
      await until(() => b.subscribers("erin") === 2);
      // four at a time: the fast subscriber never has more than the backlog of 5 queued
      const updates = Array.from({ length: 8 }, () => update("erin", "NEW", "XRPUSDT"));
      a.publish(updates.slice(0, 4), { symbol: "XRPUSDT", sequence: 1 });
      await until(() => fast.heard.length === 4);
      a.publish(updates.slice(4), { symbol: "XRPUSDT", sequence: 2 });
      await until(() => fast.heard.length === 8);
      expect((await firstRead).value).toEqual(updates[0]);
      // 7 more queued for the slow one: over the backlog of 5
      await expect(slow.next()).rejects.toMatchObject({ key: "DISCONNECTED" });
      expect(b.subscribers("erin")).toBe(1);
    });
  });

  describe("starting together", () => {
    it("starts two replicas at once on a topic neither has made yet (one creates it while the other reads its offsets)", async () => {
      for (let round = 0; round < 3; round++) {
        const fresh = `exchange.order.user-data.test-${randomUUID()}`;
        const pair = [0, 1].map(() => new EventLogOrderUpdates({ log: deployment.log(replicas++), topic: fresh, partitions: 12 }));
        try {
          await Promise.all(pair.map((r) => r.start()));
        } finally {
          await Promise.all(pair.map((r) => r.stop()));
          await deployment.dropTopic(fresh);
        }
      }
    }, 60_000);
  });
});
