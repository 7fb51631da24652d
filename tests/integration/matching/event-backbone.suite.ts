/**
 * The event backbone, the same tests on each EventLog engine: matching publishes its event batches to the events
 * topic (the command journal is the outbox), consumers read it as consumer groups.
 *
 * - A publisher killed (SIGKILL) while its journal is ahead of the topic (the log refusing appends) and again while
 *   publishing live loses nothing: after a restart the topic holds every journaled batch of the symbol, byte for byte
 *   as an uninterrupted run derives them, each first copy in sequence order (copies of earlier ones are allowed,
 *   consumers skip them by sequence).
 * - marketdata's projection, consuming the topic as a consumer group, restarted twice under a steady flow of
 *   trades, applies each batch once: every trade id once, the kline's trade count and volume equal to the trades.
 */
import { afterAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient, type ConnectRouter } from "@connectrpc/connect";
import { Side } from "#gen/exchange/common/v1/common_pb.js";
import { EventBatchSchema, MatchingService, type EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { SEQUENCE_HEADER } from "#kit/events/sequenced-feed.js";
import type { EventLog, LogRecord } from "#kit/ports/event-log.port.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { createMarketDataModule, type MarketDataModule } from "../../../services/marketdata/src/main.js";
import { createMatchingModule } from "../../../services/matching/src/main.js";
import { SymbolBooks } from "../../../services/matching/src/symbol-books.js";
import { readPublished } from "../../../services/matching/src/event-publisher.js";
import { until } from "../../support/until.js";
import { seededMessages } from "../../unit/matching/support/messages.js";
import { Matching } from "../marketdata/support.js";

export interface BackboneEngine {
  /** "file" or "kafka": what the publisher child opens */
  readonly engine: "file" | "kafka";
  /** The log under `dir` (file), or on the broker (kafka). */
  open(dir: string): EventLog;
  /** Extra environment for the child (the brokers). */
  readonly childEnv?: Record<string, string>;
  /** Removes a topic a test made (Kafka; the file log goes with its directory). */
  readonly dropTopic?: (topic: string) => Promise<void>;
}

const SYMBOL = "EVTUSDT";
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "publisher-child.ts");

/** Runs the publisher child until it acknowledged `killAt` (then SIGKILL) or finished; its last ACK. */
export function runPublisher(args: string[], killAt: number, env: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let maxAck = 0;
    let buf = "";
    let err = "";
    p.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const m = /^ACK (\d+)$/.exec(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (m) maxAck = Math.max(maxAck, Number(m[1]));
        if (maxAck >= killAt) p.kill("SIGKILL");
      }
    });
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("exit", (code, signal) => (signal === "SIGKILL" || code === 0 ? resolve(maxAck) : reject(new Error(`publisher exited ${code}: ${err}`))));
  });
}

/** Every record of `key` in the topic, read by a fresh group until `done` holds. */
export async function readTopic(log: EventLog, topic: string, key: string, done: (records: LogRecord[]) => boolean): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  const subscription = await log.subscribe({
    group: `backbone-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    topics: [topic],
    handler: async (batch) => {
      for (const record of batch) if (record.key === key) records.push(record);
    },
  });
  try {
    await until(() => done(records), 60_000);
  } finally {
    await subscription.close();
  }
  return records;
}

/** The topic holds 1..last, each first copy in order, and every copy equals the reference batch of its sequence. */
export function expectComplete(records: readonly LogRecord[], reference: readonly EventBatch[], last: number): { duplicates: number } {
  let highest = 0;
  const seen = new Set<number>();
  let duplicates = 0;
  for (const record of records) {
    const sequence = Number(record.headers[SEQUENCE_HEADER]);
    const batch = fromBinary(EventBatchSchema, record.value);
    expect(Number(batch.sequence)).toBe(sequence);
    expect(Buffer.from(record.value).equals(Buffer.from(toBinary(EventBatchSchema, reference[sequence - 1]!)))).toBe(true);
    if (seen.has(sequence)) {
      duplicates++;
      continue;
    }
    // a first copy is always the next one: nothing skipped, nothing overtaken
    expect(sequence).toBe(highest + 1);
    highest = sequence;
    seen.add(sequence);
  }
  expect(highest).toBe(last);
  return { duplicates };
}

/** An uninterrupted run over the same commands: batch n is reference[n - 1]. */
export async function referenceBatches(dir: string, seed: number, count: number): Promise<EventBatch[]> {
  const books = new SymbolBooks({ dataDir: dir });
  const out: EventBatch[] = [];
  const messages = seededMessages(seed, count, SYMBOL);
  for (let i = 0; i < messages.length; i += 10) {
    for (const result of await books.submitBatch(SYMBOL, messages.slice(i, i + 10))) {
      if (typeof result !== "object" || !("sequence" in result)) throw new Error("unexpected result");
      out.push(result);
    }
  }
  await books.close();
  return out;
}

const orderRoutes = (router: ConnectRouter) =>
  router.service(OrderService, { getExchangeInfo: () => ({ symbols: [{ symbol: "BTCUSDT", baseAssetPrecision: 8, quoteAssetPrecision: 8, filters: { tickSize: "0.01", stepSize: "0.00001" } }] }) });

export function eventBackboneSuite(name: string, backbone: BackboneEngine): void {
  describe(`event backbone on ${name}`, () => {
    const dirs: string[] = [];
    const tempDir = (prefix: string) => {
      const dir = mkdtempSync(path.join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    };
    const topics: string[] = [];
    afterAll(async () => {
      dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
      for (const topic of topics.splice(0)) await backbone.dropTopic?.(topic).catch(() => undefined);
    });

    it("a publisher killed between journaling and publishing loses nothing after its restart", async () => {
      const dir = tempDir("backbone-publisher-");
      const topic = `exchange.matching.events.test-${process.pid}-${Date.now()}`;
      topics.push(topic);
      const seed = 17;
      const count = 600;
      const args = (stallAfter: number) => [dir, backbone.engine, topic, String(seed), String(count), String(stallAfter)];
      // 1: the log refuses everything past 100 while the journal goes on to 300; killed there
      const first = await runPublisher(args(100), 300, backbone.childEnv);
      expect(first).toBeGreaterThanOrEqual(300);
      const checkpoint = path.join(dir, "matching", SYMBOL, "events-published");
      expect(await readPublished(checkpoint)).toBeLessThanOrEqual(100);
      // 2: restarted, it publishes the backlog and live batches; killed mid-flow
      const second = await runPublisher(args(0), 450, backbone.childEnv);
      expect(second).toBeGreaterThanOrEqual(450);
      // 3: matching opens again and publishes what the kill left behind
      const log = backbone.open(dir);
      const books = new SymbolBooks({ dataDir: path.join(dir, "matching"), publish: { log, topic } });
      try {
        const { sequence } = await books.state(SYMBOL);
        expect(sequence).toBeGreaterThanOrEqual(second);
        const reference = await referenceBatches(tempDir("backbone-reference-"), seed, count);
        const records = await readTopic(log, topic, SYMBOL, (r) => r.some((record) => Number(record.headers[SEQUENCE_HEADER]) === sequence));
        const { duplicates } = expectComplete(records, reference, sequence);
        console.log(`${name}: ${sequence} batches journaled, ${records.length} records in the topic (${duplicates} copies)`);
        // copies come only from the kills: the file checkpoint is written after each acknowledged append
        expect(duplicates).toBeLessThanOrEqual(sequence);
      } finally {
        await books.close();
        await log.close();
      }
    }, 120_000);

    it("marketdata, restarted under a flow of trades, applies each batch once", async () => {
      const dir = tempDir("backbone-marketdata-");
      const topic = `exchange.matching.events.test-md-${process.pid}-${Date.now()}`;
      topics.push(topic);
      const log = backbone.open(dir);
      const matchingModule = await createMatchingModule({ dataDir: path.join(dir, "matching"), events: { log, topic, partitions: 3 } });
      await matchingModule.start?.();
      const matching = new Matching(matchingModule);
      // marketdata reaches matching for its book only: were it to read events from matching's stream (a gap in the
      // topic), it would fail here, so what it applies came from the topic.
      const matchingClient = createClient(MatchingService, inProcessTransport(matchingModule.routes));
      const bookOnly = (router: ConnectRouter) => router.service(MatchingService, { getBook: (request) => matchingClient.getBook(request) });
      const transports = { matching: inProcessTransport(bookOnly), order: inProcessTransport(orderRoutes) };
      const group = `backbone-marketdata-${process.pid}-${Date.now()}`;
      const startMarketData = async () => {
        const module = await createMarketDataModule({
          databaseUrl: `sqlite:${path.join(dir, "marketdata.sqlite")}`,
          directory: { transport: (service) => transports[service as keyof typeof transports] },
          retryMs: 50,
          matchingEvents: { log, topic, group },
        });
        await module.start?.();
        return module;
      };
      let marketdata: MarketDataModule = await startMarketData();
      const T0 = Date.parse("2024-03-11T10:00:00Z");
      const LOTS = 1_000n;
      let trades = 0;
      let flowing = true;
      const flow = (async () => {
        while (flowing) {
          await matching.trade("BTCUSDT", T0, 3_000_000n + BigInt(trades % 7), LOTS, trades % 2 === 0 ? Side.BUY : Side.SELL);
          trades++;
        }
      })();
      try {
        for (const after of [40, 120]) {
          await until(() => trades >= after, 30_000);
          await marketdata.stop?.();
          await until(() => trades >= after + 20, 30_000); // the flow goes on while marketdata is down
          marketdata = await startMarketData();
        }
        await until(() => trades >= 200, 30_000);
        flowing = false;
        await flow;
        const head = Number(matching.batches[matching.batches.length - 1]!.sequence);
        await until(() => marketdata.marketData.appliedSequence("BTCUSDT") >= head, 30_000);
        const { trades: stored } = await marketdata.marketData.listTrades("BTCUSDT", 1000, 1);
        expect(stored.map((t) => t.tradeId)).toEqual(Array.from({ length: trades }, (_, i) => i + 1));
        const { klines } = await marketdata.marketData.listKlines("BTCUSDT", "1m", T0, T0 + 59_999, 10);
        expect(klines).toHaveLength(1);
        expect(klines[0]!.count).toBe(trades);
        expect(klines[0]!.volume).toBe(stored.reduce((sum, t) => sum + t.qty, 0n));
        // and the group's position is committed up to the end of the topic
        await until(async () => {
          const [end, committed] = await Promise.all([log.endOffsets(topic), log.committedOffsets(group, topic)]);
          return end.every((offset, partition) => offset === 0n || committed[partition] === offset);
        }, 30_000);
      } finally {
        flowing = false;
        await flow.catch(() => undefined);
        await marketdata.stop?.();
        await matchingModule.stop?.();
        await log.close();
      }
    }, 120_000);
  });
}
