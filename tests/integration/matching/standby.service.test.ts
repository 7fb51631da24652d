import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { CommandSchema, MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { partitionForKey } from "#kit/ports/event-log.port.js";
import { grpcDirectory } from "#kit/rpc/service-directory.js";
import { KafkaJournal } from "../../../services/matching/src/adapters/journal.kafka.js";
import { ConnectMatchingGateway } from "../../../services/order/src/adapters/matching-gateway.connect.js";
import { engines } from "../../support/engines.js";
import { until } from "../../support/until.js";
import { freePort } from "../../support/free-port.js";

// Two matching service processes on the real engines (leases on PostgreSQL, the command log on Kafka, the archive
// on S3/moto), reached as order reaches them: MATCHING_ADDR naming both, routed to each symbol's leader. The
// replica that is asked first leads; the other follows the symbol (found through the lease table) as a warm
// standby. kill -9 of the leader under a steady flow of placements: the standby takes over, every acknowledged
// placement is in the log exactly once, and the flow goes on through the same client.

const REPO = join(import.meta.dirname, "../../..");
const SYMBOL = "STBYUSDT";


interface Replica {
  readonly name: string;
  readonly url: string;
  readonly ports: readonly [number, number];
  readonly log: string;
  process: ChildProcess;
  exited: Promise<unknown>;
}

const started: Replica[] = [];
const dir = mkdtempSync(join(tmpdir(), "matching-standby-"));
afterAll(() => {
  for (const replica of started) replica.process.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** A matching service process; a restart passes the ports it had (its callers know its address). */
async function startReplica(name: string, topic: string, bucket: string, ports?: readonly [number, number]): Promise<Replica> {
  const [grpcPort, httpPort] = ports ?? [await freePort(), await freePort()];
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, "a");
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    EXCHANGE_SERVICE: "matching",
    EXCHANGE_GRPC_PORT: String(grpcPort),
    EXCHANGE_HTTP_PORT: String(httpPort),
    EXCHANGE_DATA_DIR: join(dir, name),
    MATCHING_JOURNAL: "kafka",
    EXCHANGE_KAFKA_BROKERS: engines.kafkaBrokers.join(","),
    MATCHING_COMMANDS_TOPIC: topic,
    MATCHING_LEASE_DATABASE_URL: engines.pgUrl,
    MATCHING_REPLICA: name,
    MATCHING_LEASE_TTL_MS: "1000",
    EXCHANGE_OBJECT_STORE: "s3",
    EXCHANGE_S3_BUCKET: bucket,
    EXCHANGE_AWS_ENDPOINT: engines.awsEndpoint,
    AWS_REGION: engines.awsRegion,
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  };
  const child = spawn(process.execPath, ["--import", "tsx", "services/main.ts"], { cwd: REPO, env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  const replica: Replica = { name, url: `http://127.0.0.1:${grpcPort}`, ports: [grpcPort, httpPort], log, process: child, exited: new Promise((resolve) => child.once("exit", resolve)) };
  started.push(replica);
  const health = createClient(Health, createGrpcTransport({ baseUrl: replica.url }));
  await until(
    async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited: ${readFileSync(log, "utf8").slice(-2000)}`);
      const answer = await health.check({ service: "" }, { timeoutMs: 2_000 }).catch(() => undefined);
      return answer?.status === HealthCheckResponse_ServingStatus.SERVING;
    },
    60_000,
    200,
  );
  return replica;
}

/** Who holds a lease, and the partition leases of a command log, from the lease table. */
async function holderOf(name: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: engines.pgUrl });
  await client.connect();
  try {
    return (await client.query<{ holder: string }>("SELECT holder FROM matching_leases WHERE name = $1", [name])).rows[0]?.holder;
  } finally {
    await client.end();
  }
}
async function leadersOf(topic: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: engines.pgUrl });
  await client.connect();
  try {
    return (await client.query<{ name: string }>("SELECT name FROM matching_leases WHERE starts_with(name, $1) ORDER BY name", [`${topic}/`])).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}
/** Another symbol in the same partition (of 12) as `symbol`. */
function siblingOf(symbol: string): string {
  for (let i = 0; ; i++) if (partitionForKey(`SIB${i}USDT`, 12) === partitionForKey(symbol, 12)) return `SIB${i}USDT`;
}

const place = (orderId: number, side: Side, price: number, symbol = SYMBOL) =>
  create(CommandSchema, {
    symbol,
    timestamp: BigInt(Date.now()),
    kind: {
      case: "place",
      value: { orderId: BigInt(orderId), accountId: `acct-${orderId % 7}`, side, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, priceTicks: String(price), quantityLots: "3", budget: side === Side.BUY ? String(3 * price) : "3" },
    },
  });

describe("matching replicas: leader and warm standby behind one routing client", () => {
  it("kill -9 of the leader under a steady flow: the standby takes over, nothing acknowledged is lost or applied twice", async () => {
    const topic = `exchange.matching.commands.standby-${Date.now()}-${process.pid}`;
    const bucket = `matching-standby-${Date.now()}`;
    const replicas = [await startReplica("matching-0", topic, bucket), await startReplica("matching-1", topic, bucket)];
    const transport = grpcDirectory({ MATCHING_ADDR: replicas.map((r) => r.url).join(","), EXCHANGE_LEADER_RETRY_MS: "30000" }).transport("matching");
    // the symbol's home replica (its command-log partition over the replicas) is asked first and leads
    const home = partitionForKey(SYMBOL, 12) % 2;
    const [a, b] = [replicas[home]!, replicas[1 - home]!];
    const gateway = new ConnectMatchingGateway(transport, { forMs: 30_000, firstDelayMs: 50, maxDelayMs: 500 });
    const matching = createClient(MatchingService, transport);

    const acknowledged: number[] = [];
    const ackedAt: number[] = [];
    let next = 1;
    const flow = async (until: () => boolean) => {
      while (!until()) {
        const id = next++;
        // crossing prices around 100, so the books trade
        const [outcome] = await gateway.submitBatch(SYMBOL, [place(id, id % 2 === 0 ? Side.BUY : Side.SELL, 98 + (id % 5))]);
        expect(outcome === "duplicate" || (typeof outcome === "object" && "events" in outcome)).toBe(true);
        acknowledged.push(id);
        ackedAt.push(performance.now());
      }
    };
    // a (the home replica, asked first) leads; b finds the symbol's lease and follows it as a warm standby
    await flow(() => acknowledged.length >= 20);
    await until(() => /follows the symbol as a warm standby/.test(readFileSync(b.log, "utf8")), 20_000, 100);

    // one lease per partition of symbols, held by the leader; a second symbol of that partition is led by it too
    const lease = `${topic}/p${partitionForKey(SYMBOL, 12)}`;
    const sibling = siblingOf(SYMBOL);
    await gateway.submitBatch(sibling, [place(1, Side.BUY, 90, sibling)]);
    expect(await holderOf(lease)).toBe(a.name);
    expect(await leadersOf(topic)).toEqual([lease]);

    // a steady flow, and kill -9 of the leader in the middle of it
    let killedAt = 0;
    const steady = flow(() => acknowledged.length >= 120);
    await until(() => acknowledged.length >= 60, 30_000, 5);
    a.process.kill("SIGKILL");
    killedAt = performance.now();
    await a.exited;
    await steady;
    const failoverMs = ackedAt.find((at) => at > killedAt)! - killedAt;
    expect(await holderOf(lease)).toBe(b.name);
    await gateway.submitBatch(sibling, [place(2, Side.SELL, 90, sibling)]); // the partition's other symbol moved with it

    // every acknowledged placement is in the log exactly once, in order
    const ids: number[] = [];
    await new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: SYMBOL, topic }).replay(0, (record) => {
      if (record.cmd.type === "PLACE") ids.push(record.cmd.orderId);
    });
    expect(ids).toEqual(acknowledged);
    const book = await matching.getBook({ symbol: SYMBOL, depth: 1 });
    expect(Number(book.sequence)).toBe(acknowledged.length);
    // the new leader serves every batch from the first, its warm book's included, with the accounts' names (the
    // numbers a assigned were learnt from the archive)
    const abort = new AbortController();
    const batches: { sequence: number; accounts: string[] }[] = [];
    for await (const { batch } of matching.streamEvents({ symbol: SYMBOL, fromSequence: 1n }, { signal: abort.signal })) {
      const accounts = batch!.events.flatMap((event) => (event.kind.case === "trade" ? [event.kind.value.makerAccountId, event.kind.value.takerAccountId] : []));
      batches.push({ sequence: Number(batch!.sequence), accounts });
      if (batches.length === acknowledged.length) break;
    }
    abort.abort();
    expect(batches.map((batch) => batch.sequence)).toEqual(acknowledged.map((_, i) => i + 1));
    const named = batches.flatMap((batch) => batch.accounts);
    expect(named.length).toBeGreaterThan(10); // the flow traded, before and after the kill
    for (const account of named) expect(account).toMatch(/^acct-[0-6]$/);
    expect(readFileSync(b.log, "utf8")).toMatch(/leads the symbol \(from its warm book\)/);
    console.log(`matching service failover (warm standby, lease ttl 1000 ms): first acknowledgement ${failoverMs.toFixed(0)} ms after kill -9`);
  }, 180_000);

  it("a rolling restart (SIGTERM, standby first, then the leader) with placements flowing loses nothing", async () => {
    const topic = `exchange.matching.commands.rolling-${Date.now()}-${process.pid}`;
    const bucket = `matching-rolling-${Date.now()}`;
    const names = ["matching-r0", "matching-r1"];
    const replicas = [await startReplica(names[0]!, topic, bucket), await startReplica(names[1]!, topic, bucket)];
    const gateway = new ConnectMatchingGateway(grpcDirectory({ MATCHING_ADDR: replicas.map((r) => r.url).join(",") }).transport("matching"), { forMs: 30_000, firstDelayMs: 50, maxDelayMs: 500 });
    const home = partitionForKey(SYMBOL, 12) % 2;
    const following = (replica: Replica) => (readFileSync(replica.log, "utf8").match(/follows the symbol as a warm standby/g) ?? []).length;

    const acknowledged: number[] = [];
    let stop = false;
    let next = 1;
    const flow = (async () => {
      while (!stop) {
        const id = next++;
        await gateway.submitBatch(SYMBOL, [place(id, id % 2 === 0 ? Side.BUY : Side.SELL, 98 + (id % 5))]);
        acknowledged.push(id);
      }
    })();
    const restart = async (index: number) => {
      const old = replicas[index]!;
      const followedBefore = following(old);
      old.process.kill("SIGTERM");
      expect(await old.exited).toBe(0);
      const before = acknowledged.length;
      replicas[index] = await startReplica(old.name, topic, bucket, old.ports);
      await until(() => following(replicas[index]!) > followedBefore, 30_000, 100); // back, as a warm standby
      await until(() => acknowledged.length >= before + 20, 30_000, 20); // and orders flowed meanwhile
    };
    await until(() => acknowledged.length >= 20, 30_000, 20);
    await until(() => following(replicas[1 - home]!) > 0, 20_000, 100);
    await restart(1 - home); // the standby
    await restart(home); // the leader: it gives its lease up on the way out, the standby leads at once
    stop = true;
    await flow;

    const ids: number[] = [];
    await new KafkaJournal({ brokers: engines.kafkaBrokers, symbol: SYMBOL, topic }).replay(0, (record) => {
      if (record.cmd.type === "PLACE") ids.push(record.cmd.orderId);
    });
    expect(ids).toEqual(acknowledged);
    expect(readFileSync(replicas[1 - home]!.log, "utf8")).toMatch(/leads the symbol \(from its warm book\)/);
  }, 240_000);
});
