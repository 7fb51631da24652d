import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { Kafka, logLevel } from "kafkajs";
import { KafkaEventLog } from "#kit/adapters/event-log.kafka.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { engines } from "../../support/engines.js";
import { until } from "../../support/until.js";

// The whole exchange in one process with MATCHING_EVENTS=event-log: matching publishes its batches to the events
// topic and order and marketdata apply them from it as consumer groups. The same test on the embedded file event
// log (the data dir's event-log/) and on Kafka. Placements are answered FILLED (order's consumer applied the
// batches from the topic within the placement's wait), marketdata has each trade once, and after a restart of the
// whole process the groups go on from their committed offsets: the trades of both runs, each once.

const run = `${process.pid}-${Date.now()}`;
const topic = `exchange.matching.events.runtime-${run}`;
const engineEnvs = [
  { name: "the file event log", env: { EXCHANGE_EVENT_LOG: "file" } },
  { name: "Kafka", env: { EXCHANGE_EVENT_LOG: "kafka", EXCHANGE_KAFKA_BROKERS: engines.kafkaBrokers.join(","), EXCHANGE_TOPIC_PARTITIONS: "3" } },
];

describe.each(engineEnvs)("the exchange on the event backbone ($name)", ({ name, env }) => {
  const dataDir = mkdtempSync(join(tmpdir(), "backbone-runtime-"));
  let exchange: RunningExchange | undefined;
  afterAll(async () => {
    await exchange?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    if (env.EXCHANGE_EVENT_LOG === "kafka") {
      const admin = new Kafka({ clientId: "backbone-runtime-cleanup", brokers: engines.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [`${topic}-k`] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  const start = async () => {
    exchange = await startExchange(
      { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { LOG_LEVEL: "warn", WALLET_SIMULATED_CHAIN_FAUCET: "false", MATCHING_EVENTS: "event-log", MATCHING_EVENTS_GROUP: run, MATCHING_EVENTS_TOPIC: `${topic}-${name === "Kafka" ? "k" : "f"}`, ...env },
    );
    const transport = createGrpcTransport({ baseUrl: exchange.listening.http2Url });
    const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
    return { orders: createClient(OrderService, transport), marketdata: createClient(MarketDataService, transport), parts };
  };

  /** Two crossing orders: the taker is answered FILLED once order's consumer applied the batch from the topic. */
  const trade = async (orders: Awaited<ReturnType<typeof start>>["orders"], price: string) => {
    const limit = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, quantity: "0.01", price };
    await orders.placeOrder({ ...limit, accountId: "alice", side: Side.SELL });
    const { order } = await orders.placeOrder({ ...limit, accountId: "bob", side: Side.BUY });
    expect(order?.status).toBe(OrderStatus.FILLED);
  };

  it("order and marketdata apply matching's batches from the topic, once, across a restart", async () => {
    const first = await start();
    const { parts } = first;
    let { orders, marketdata } = first;
    await parts.wallet.creditDeposit(`backbone-alice-${run}`, "alice", "BTC", 10n ** 8n);
    await parts.wallet.creditDeposit(`backbone-bob-${run}`, "bob", "USDT", 100_000n * 10n ** 8n);
    for (let i = 0; i < 5; i++) await trade(orders, String(30_000 + i));
    await until(async () => (await marketdata.listTrades({ symbol: "BTCUSDT", limit: 100, fromId: 1n })).trades.length === 5);

    await exchange!.stop();
    exchange = undefined;
    ({ orders, marketdata } = await start());
    for (let i = 5; i < 10; i++) await trade(orders, String(30_000 + i));
    await until(async () => (await marketdata.listTrades({ symbol: "BTCUSDT", limit: 100, fromId: 1n })).trades.length >= 10);
    const { trades } = await marketdata.listTrades({ symbol: "BTCUSDT", limit: 100, fromId: 1n });
    expect(trades.map((t) => Number(t.id))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const mine = await orders.listOrders({ accountId: "bob", symbol: "BTCUSDT" });
    expect(mine.orders.map((o) => o.status)).toEqual(Array(10).fill(OrderStatus.FILLED));

    // Both consumers read the topic as groups of their own, and committed what they applied.
    const eventsTopic = `${topic}-${name === "Kafka" ? "k" : "f"}`;
    const groups = ["order", "marketdata"].map((service) => `${eventsTopic}.${service}.${run}`);
    if (env.EXCHANGE_EVENT_LOG === "kafka") {
      const log = new KafkaEventLog({ brokers: engines.kafkaBrokers });
      try {
        for (const group of groups) expect((await log.committedOffsets(group, eventsTopic)).some((offset) => offset > 0n)).toBe(true);
      } finally {
        await log.close();
      }
    } else {
      for (const group of groups) {
        const committed = JSON.parse(readFileSync(join(dataDir, "event-log", "groups", `${group}.json`), "utf8")) as Record<string, Record<string, number>>;
        expect(Object.values(committed[eventsTopic] ?? {}).some((offset) => offset > 0)).toBe(true);
      }
    }
  }, 120_000);
});
