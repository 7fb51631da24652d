import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createClient, type ConnectRouter } from "@connectrpc/connect";
import { Side } from "#gen/exchange/common/v1/common_pb.js";
import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { KafkaEventLog } from "#kit/adapters/event-log.kafka.js";
import { SEQUENCE_HEADER } from "#kit/events/sequenced-feed.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { createMarketDataModule } from "../../../services/marketdata/src/main.js";
import { createMatchingModule } from "../../../services/matching/src/main.js";
import { until } from "../../support/until.js";
import { Matching } from "../marketdata/support.js";
import { expectComplete, readTopic } from "./event-backbone.suite.js";
import { freePort } from "../../support/free-port.js";

// A Kafka broker restart under a steady flow of trades: matching publishes to the events topic, marketdata consumes
// it as a consumer group, and the broker is stopped and started again mid-flow. Nothing is lost from the topic or
// the projection, and nothing is applied twice. The broker is a private one started by tests/infra's own script on
// free ports with its own data directory (the jars of the shared install), so restarting it disturbs no other test.

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const SHARED_INFRA = process.env.INFRA_DIR ?? path.join(REPO, ".infra");
const KAFKA_VERSION = process.env.KAFKA_VERSION ?? "4.1.1";
const run = promisify(execFile);


describe("event backbone across a Kafka broker restart", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let brokers: string[];
  const kafka = (command: "start" | "wait" | "stop") => run("bash", [path.join(REPO, "tests/infra/engines/kafka.sh"), command], { env, timeout: 180_000 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "backbone-broker-"));
    const infra = path.join(dir, "infra");
    mkdirSync(path.join(infra, "kafka"), { recursive: true });
    // The shared install's jars (read only); data, config, logs and pid file of this broker stay under `infra`.
    symlinkSync(path.join(SHARED_INFRA, "kafka", KAFKA_VERSION), path.join(infra, "kafka", KAFKA_VERSION));
    const [port, controller] = [await freePort(), await freePort()];
    env = { ...process.env, INFRA_DIR: infra, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controller), KAFKA_VERSION };
    brokers = [`127.0.0.1:${port}`];
    await kafka("start");
    await kafka("wait");
  }, 200_000);

  afterAll(async () => {
    if (env) await kafka("stop").catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("loses nothing and applies nothing twice", async () => {
    const topic = "exchange.matching.events.v1";
    const open = () => new KafkaEventLog({ brokers, clientId: "backbone-restart", sessionTimeoutMs: 6_000, rebalanceTimeoutMs: 3_000, heartbeatIntervalMs: 500, maxWaitTimeMs: 50 });
    const log = open();
    const matchingModule = await createMatchingModule({ dataDir: path.join(dir, "matching"), events: { log, topic, partitions: 3 } });
    await matchingModule.start?.();
    const matching = new Matching(matchingModule);
    const matchingClient = createClient(MatchingService, inProcessTransport(matchingModule.routes));
    // marketdata's events come from the topic only (no fallback to matching's stream)
    const bookOnly = (router: ConnectRouter) => router.service(MatchingService, { getBook: (request) => matchingClient.getBook(request) });
    const orderRoutes = (router: ConnectRouter) =>
      router.service(OrderService, { getExchangeInfo: () => ({ symbols: [{ symbol: "BTCUSDT", baseAssetPrecision: 8, quoteAssetPrecision: 8, filters: { tickSize: "0.01", stepSize: "0.00001" } }] }) });
    const transports = { matching: inProcessTransport(bookOnly), order: inProcessTransport(orderRoutes) };
    const group = "backbone-restart-marketdata";
    const marketdata = await createMarketDataModule({
      databaseUrl: `sqlite:${path.join(dir, "marketdata.sqlite")}`,
      directory: { transport: (service) => transports[service as keyof typeof transports] },
      retryMs: 50,
      matchingEvents: { log, topic, group },
    });
    await marketdata.start?.();
    const T0 = Date.parse("2024-03-11T10:00:00Z");
    let trades = 0;
    let flowing = true;
    const flow = (async () => {
      while (flowing) {
        await matching.trade("BTCUSDT", T0, 3_000_000n + BigInt(trades % 5), 1_000n, trades % 2 === 0 ? Side.BUY : Side.SELL);
        trades++;
        // a steady flow, not a spin: matching does not wait for Kafka, so this bounds the backlog
        await new Promise((resolve) => setImmediate(resolve));
        if (trades % 20 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      await until(() => marketdata.marketData.appliedSequence("BTCUSDT") >= 100, 30_000);
      await kafka("stop");
      const whileDown = trades;
      await until(() => trades >= whileDown + 100, 30_000); // matching goes on without the broker
      await kafka("start");
      await kafka("wait");
      const restarted = trades;
      await until(() => trades >= restarted + 100, 30_000);
      flowing = false;
      await flow;
      const head = Number(matching.batches[matching.batches.length - 1]!.sequence);
      await until(() => marketdata.marketData.appliedSequence("BTCUSDT") >= head, 120_000);
      // the topic: every batch, first copies in order, each equal to what matching answered
      const records = await readTopic(log, topic, "BTCUSDT", (r) => r.some((record) => Number(record.headers[SEQUENCE_HEADER]) === head));
      const { duplicates } = expectComplete(records, matching.batches, head);
      // the projection: each trade once
      const stored = [];
      for (let from = 1; ; ) {
        const page = (await marketdata.marketData.listTrades("BTCUSDT", 1000, from)).trades;
        stored.push(...page);
        if (page.length < 1000) break;
        from = page[page.length - 1]!.tradeId + 1;
      }
      expect(stored.map((t) => t.tradeId)).toEqual(Array.from({ length: trades }, (_, i) => i + 1));
      const { klines } = await marketdata.marketData.listKlines("BTCUSDT", "1m", T0, T0 + 59_999, 10);
      expect(klines[0]!.count).toBe(trades);
      expect(klines[0]!.volume).toBe(stored.reduce((sum, t) => sum + t.qty, 0n));
      console.log(`broker restart: ${head} batches (${trades} trades, ${whileDown}..${restarted} while the broker was down), ${duplicates} copies in the topic, 0 lost, 0 applied twice`);
    } finally {
      flowing = false;
      await flow.catch(() => undefined);
      await marketdata.stop?.();
      await matchingModule.stop?.();
      await log.close();
    }
  }, 300_000);
});
