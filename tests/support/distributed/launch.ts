// Distributed mode on one machine: the Helm chart rendered with helm/exchange/ci/loopback-values.yaml, and one
// process per pod it describes (two replicas each of edge, order, wallet, auth and marketdata, one matching), each
// with the environment Kubernetes would give that pod. Per run: fresh PostgreSQL schemas, a DynamoDB table prefix
// and a command-log topic (through the chart's own values), so reruns start clean. Per process, and nothing else:
// its listen ports, its data directories, and <NAME>_ADDR pointing at a loopback stand-in for the Service.
//
//   const exchange = await startDistributed({ onProgress: console.log });
//   exchange.edgeUrls      // each edge replica's HTTP/1.1 port: REST, WebSocket, Connect JSON
//   exchange.grpcUrls.order // the order "Service" (round robin over its replicas), as peers reach it
//   await exchange.processes.find((p) => p.name === "exchange-order-0")!.kill();  // kill -9
//   await exchange.stop();
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { Kafka, logLevel } from "kafkajs";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { engines } from "../engines.js";
import { freshPgSchema } from "../postgres.js";
import { CHART, REPO, renderChart, type RenderedChart, type Workload } from "./chart.js";
import { podEnvironment } from "./pod-env.js";
import { startServiceProxy, type ServiceProxy } from "./service-proxy.js";

export interface DistributedOptions {
  /** Where logs and data directories go (default: <repo>/.run/distributed-<run id>). */
  readonly runDir?: string;
  /** The Helm release name (default "exchange"). */
  readonly release?: string;
  /** Values files, in order (default: helm/exchange/ci/loopback-values.yaml). */
  readonly valuesFiles?: readonly string[];
  /** More --set-string values for helm, after the per-run ones (e.g. config.LOG_LEVEL=debug). */
  readonly setString?: Readonly<Record<string, string>>;
  /**
   * The command that runs one service. Default: `npm run build` once, then the image's way of running the compiled
   * output (node --max-semi-space-size=64 dist/services/main.js); TSX_COMMAND runs the sources through tsx instead.
   */
  readonly command?: readonly string[];
  /** How long one process may take to answer SERVING (default 120 s). */
  readonly startTimeoutMs?: number;
  /**
   * wallet's store of record: DynamoDB (default, on moto, with its PostgreSQL history projection), or PostgreSQL
   * (a schema of its own; no projection).
   */
  readonly walletLedger?: "dynamodb" | "postgres";
  /** Keep the run's schemas, tables and topic on stop (default: drop them). */
  readonly keepData?: boolean;
  /** Progress lines (starting, serving, stopping). */
  readonly onProgress?: (line: string) => void;
}

/** One process standing in for one pod. */
export interface ServiceProcess {
  readonly component: string;
  /** The pod's name, <release>-<component>-<ordinal>. */
  readonly name: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** HTTP/2 (h2c): gRPC, gRPC-Web, Connect. */
  readonly grpcUrl: string;
  /** HTTP/1.1: Connect JSON, the edge's REST and WebSocket, /healthz, /metrics. */
  readonly httpUrl: string;
  /** The environment it runs with (from the rendered chart, plus the per-process overrides). */
  readonly env: Readonly<Record<string, string>>;
  /** Which variables were overridden, and to what. */
  readonly overrides: Readonly<Record<string, string>>;
  readonly logFile: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** kill -9 (default) or another signal; resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again (same ports, same data directory) and waits for SERVING. */
  restart(): Promise<void>;
  /** The last lines of its log. */
  tail(lines?: number): string;
}

export interface Distributed {
  readonly runId: string;
  readonly runDir: string;
  readonly chart: RenderedChart;
  readonly processes: readonly ServiceProcess[];
  /** Each edge replica's HTTP/1.1 base URL (REST /api/v3, WebSocket /ws, Connect JSON /connect). */
  readonly edgeUrls: readonly string[];
  /** Each edge replica's HTTP/2 base URL (gRPC and Connect under /connect). */
  readonly edgeGrpcUrls: readonly string[];
  /** One URL per component: the loopback Service stand-in on its gRPC port (what <NAME>_ADDR points at). */
  readonly grpcUrls: Readonly<Record<string, string>>;
  /** The edge's HTTP port behind one Service stand-in: a single address for a user or a load generator. */
  readonly edgeServiceUrl: string;
  /** The run's stores: PostgreSQL URLs (with their schema) and service keys by secret key, the ledger table, the command-log topic. */
  readonly stores: { readonly secrets: Readonly<Record<string, string>>; readonly ledgerTable: string; readonly commandsTopic: string; readonly eventsTopic: string };
  /** Processes of one component. */
  replicas(component: string): ServiceProcess[];
  /** The last lines of every log, for a failure report. */
  tails(lines?: number): string;
  stop(): Promise<void>;
}

export const COMPILED_COMMAND = [process.execPath, "--max-semi-space-size=64", "dist/services/main.js"];
export const TSX_COMMAND = [process.execPath, "--max-semi-space-size=64", "--import", "tsx", "services/main.ts"];
/** Variables a process may have changed from the chart, and why: nothing else is touched. */
const PER_PROCESS = {
  ports: ["EXCHANGE_GRPC_PORT", "EXCHANGE_HTTP_PORT"],
  dataDirs: ["EXCHANGE_DATA_DIR", "MATCHING_DATA_DIR"],
  /** <NAME>_ADDR: the callee's Service stand-in instead of its cluster DNS name. */
  peerSuffix: "_ADDR",
} as const;

/** `count` distinct free ports: all held open until every one is picked, so none is handed out twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve))));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}

/** Components in start order: each after the ones it calls (its <NAME>_ADDR entries). */
export function startLayers(workloads: readonly Workload[]): string[][] {
  const names = workloads.map((w) => w.component);
  const calls = new Map(workloads.map((w) => [w.component, (w.container.env ?? []).filter((e) => e.name.endsWith(PER_PROCESS.peerSuffix)).map((e) => e.name.slice(0, -PER_PROCESS.peerSuffix.length).toLowerCase()).filter((c) => names.includes(c))]));
  const layers: string[][] = [];
  const placed = new Set<string>();
  while (placed.size < names.length) {
    const layer = names.filter((n) => !placed.has(n) && calls.get(n)!.every((callee) => placed.has(callee)));
    if (layer.length === 0) throw new Error(`the chart's calls form a cycle among ${names.filter((n) => !placed.has(n)).join(", ")}`);
    for (const n of layer) placed.add(n);
    layers.push(layer);
  }
  return layers;
}

function tailOf(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-lines - 1).join("\n");
  } catch {
    return "(no log)";
  }
}

async function waitServing(process: ServiceProcess, exited: () => boolean, timeoutMs: number): Promise<void> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: process.grpcUrl }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited()) throw new Error(`${process.name} exited before it was SERVING; its log (${process.logFile}) ends with:\n${process.tail(40)}`);
    try {
      const { status } = await health.check({ service: "" }, { timeoutMs: 2_000 });
      if (status === HealthCheckResponse_ServingStatus.SERVING) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${process.name} not SERVING after ${timeoutMs} ms; its log (${process.logFile}) ends with:\n${process.tail(40)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function startDistributed(options: DistributedOptions = {}): Promise<Distributed> {
  const progress = options.onProgress ?? (() => undefined);
  const runId = `${new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14)}${randomBytes(3).toString("hex")}`;
  const runDir = options.runDir ?? join(REPO, ".run", `distributed-${runId}`);
  mkdirSync(join(runDir, "logs"), { recursive: true });
  const release = options.release ?? "exchange";
  const command = options.command ?? COMPILED_COMMAND;
  if (!options.command) {
    progress("npm run build (dist/)");
    execFileSync(process.execPath, [join(REPO, "scripts/build.mjs")], { cwd: REPO, stdio: ["ignore", "ignore", "inherit"] });
  }
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const cleanups: (() => Promise<unknown>)[] = [];

  // Per run: the stores' names, and the engines' addresses. Everything else comes from the values file.
  const ledger = options.walletLedger ?? "dynamodb";
  const schemas = await Promise.all(["auth", "order", "marketdata", ledger === "dynamodb" ? "wallet_projection" : "wallet_ledger", "notifier"].map((name) => freshPgSchema(`dist_${name}`)));
  if (!options.keepData) for (const schema of schemas) cleanups.push(() => schema.drop());
  const ledgerTable = `ledger-${runId}`;
  const commandsTopic = `exchange.matching.commands.${runId}`;
  const eventsTopic = `exchange.matching.events.${runId}`;
  const secrets = {
    // The service keys (docs/auth.md): order's, and the operator tooling's that tests and the bench credit accounts with.
    "service-key-order": randomBytes(32).toString("base64url"),
    "service-key-ops": randomBytes(32).toString("base64url"),
    "auth-database-url": schemas[0]!.url,
    "order-database-url": schemas[1]!.url,
    "marketdata-database-url": schemas[2]!.url,
    "notifier-database-url": schemas[4]!.url,
    ...(ledger === "dynamodb" ? { "wallet-projection-pg-url": schemas[3]!.url, "wallet-ledger-url": `dynamodb:${ledgerTable}` } : { "wallet-ledger-url": schemas[3]!.url }),
  };
  // Not under exchange-market-history*: a default template there (npm run migrate) would overlap this run's.
  const historyIndex = `market-history-${runId}`;
  if (!options.keepData) cleanups.push(() => dropLedgerTables(ledgerTable), () => dropTopic(commandsTopic), () => dropTopic(eventsTopic), () => dropSearchIndex(historyIndex));
  let chart: RenderedChart;
  try {
    chart = renderChart({
      release,
      valuesFiles: options.valuesFiles ?? [join(CHART, "ci/loopback-values.yaml")],
      setString: {
        ...Object.fromEntries(Object.entries(secrets).map(([key, value]) => [`secrets.data.${key}`, value])),
        "components.matching.commandsTopic": commandsTopic,
        // This run's own events topic (sequences restart with each run's books).
        "config.MATCHING_EVENTS_TOPIC": eventsTopic,
        // The engines where tests/infra runs them: the values file's loopback defaults, or the EXCHANGE_* overrides.
        "config.EXCHANGE_AWS_ENDPOINT": engines.awsEndpoint,
        "config.EXCHANGE_KAFKA_BROKERS": engines.kafkaBrokers.join(","),
        "config.EXCHANGE_REDIS_URL": engines.redisUrl,
        "config.EXCHANGE_OPENSEARCH_URL": engines.opensearchUrl,
        // This run's own market-history index (trade ids restart with each run).
        "config.EXCHANGE_OPENSEARCH_INDEX": historyIndex,
        // This run's own SNS topic and SQS queues on moto.
        "config.EXCHANGE_NOTIFIER_PREFIX": `${runId}-`,
        // History from the PostgreSQL projection of the DynamoDB ledger (the chart's secretEnv, values only).
        ...(ledger === "dynamodb" ? { "components.wallet.secretEnv.WALLET_PROJECTION_PG_URL": "wallet-projection-pg-url" } : {}),
        ...options.setString,
      },
    });
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    throw error;
  }

  // Ports for every replica, then one Service stand-in per component in front of them.
  const replicaCount = chart.workloads.reduce((sum, w) => sum + w.replicas, 0);
  const ports = await freePorts(2 * replicaCount + 2 * chart.workloads.length);
  const plan = chart.workloads.flatMap((workload) => Array.from({ length: workload.replicas }, (_, ordinal) => ({ workload, ordinal, grpcPort: ports.pop()!, httpPort: ports.pop()! })));
  const proxies = new Map<string, { grpc: ServiceProxy; http: ServiceProxy }>();
  for (const workload of chart.workloads) {
    const mine = plan.filter((p) => p.workload === workload);
    proxies.set(workload.component, { grpc: await startServiceProxy(mine.map((p) => p.grpcPort), ports.pop()!), http: await startServiceProxy(mine.map((p) => p.httpPort), ports.pop()!) });
  }
  cleanups.push(async () => {
    for (const { grpc, http } of proxies.values()) await Promise.all([grpc.close(), http.close()]);
  });

  const processes: (ServiceProcess & { start(): void; exited(): boolean })[] = plan.map(({ workload, ordinal, grpcPort, httpPort }) => {
    // Deployments' pods get a random suffix, StatefulSets' an ordinal: an ordinal for both here.
    const name = `${workload.name}-${ordinal}`;
    const dataDir = join(runDir, "data", name);
    const env = new Map((workload.container.env ?? []).map((e) => [e.name, e]));
    const overrides: Record<string, string> = {
      EXCHANGE_GRPC_PORT: String(grpcPort),
      EXCHANGE_HTTP_PORT: String(httpPort),
      EXCHANGE_DATA_DIR: dataDir,
      ...(env.has("MATCHING_DATA_DIR") ? { MATCHING_DATA_DIR: join(dataDir, "matching") } : {}),
    };
    for (const variable of env.keys()) {
      if (!variable.endsWith(PER_PROCESS.peerSuffix)) continue;
      const callee = proxies.get(variable.slice(0, -PER_PROCESS.peerSuffix.length).toLowerCase());
      if (callee) overrides[variable] = callee.grpc.url;
    }
    const podEnv = podEnvironment(workload.container, chart.objects, { name, namespace: chart.namespace, labels: workload.podLabels, podIP: "127.0.0.1" }, overrides);
    const logFile = join(runDir, "logs", `${name}.log`);
    let child: ChildProcess | undefined;
    let exitedAt: Promise<void> = Promise.resolve();
    let isRunning = false;
    const self = {
      component: workload.component,
      name,
      grpcPort,
      httpPort,
      grpcUrl: `http://127.0.0.1:${grpcPort}`,
      httpUrl: `http://127.0.0.1:${httpPort}`,
      env: podEnv,
      overrides,
      logFile,
      get pid() {
        return child?.pid;
      },
      get running() {
        return isRunning;
      },
      exited: () => !isRunning,
      start() {
        mkdirSync(dataDir, { recursive: true });
        const fd = openSync(logFile, "a");
        // Only the pod's environment (and PATH/HOME to find node): nothing leaks in from the caller's.
        child = spawn(command[0]!, command.slice(1), { cwd: REPO, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...podEnv }, stdio: ["ignore", fd, fd] });
        closeSync(fd);
        isRunning = true;
        const current = child;
        exitedAt = new Promise<void>((resolve) => current.once("exit", () => resolve()));
        void exitedAt.then(() => {
          if (child === current) isRunning = false;
        });
      },
      async kill(signal: NodeJS.Signals = "SIGKILL") {
        if (!isRunning) return;
        child?.kill(signal);
        await exitedAt;
      },
      async restart() {
        await self.kill("SIGKILL");
        progress(`restarting ${name}`);
        self.start();
        await waitServing(self, () => !isRunning, startTimeoutMs);
        progress(`${name} SERVING again`);
      },
      tail: (lines = 30) => tailOf(logFile, lines),
    };
    return self;
  });

  const killAll = () => {
    for (const p of processes) if (p.running) process.kill(p.pid!, "SIGKILL");
  };
  process.once("exit", killAll);

  const stop = async () => {
    progress("stopping");
    process.off("exit", killAll);
    // Callers first (the reverse of the start order), each given the chart's grace period to drain.
    for (const layer of startLayers(chart.workloads).reverse()) {
      await Promise.all(
        processes
          .filter((p) => layer.includes(p.component) && p.running)
          .map(async (p) => {
            const timer = setTimeout(() => void p.kill("SIGKILL"), 10_000);
            await p.kill("SIGTERM");
            clearTimeout(timer);
          }),
      );
    }
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => progress(`cleanup failed: ${String(error)}`));
  };

  try {
    for (const layer of startLayers(chart.workloads)) {
      const starting = processes.filter((p) => layer.includes(p.component));
      progress(`starting ${starting.map((p) => p.name).join(", ")}`);
      for (const p of starting) p.start();
      await Promise.all(starting.map((p) => waitServing(p, p.exited, startTimeoutMs)));
      progress(`SERVING: ${starting.map((p) => `${p.name} (grpc ${p.grpcPort}, http ${p.httpPort})`).join(", ")}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const replicas = (component: string) => processes.filter((p) => p.component === component);
  return {
    runId,
    runDir,
    chart,
    processes,
    edgeUrls: replicas("edge").map((p) => p.httpUrl),
    edgeGrpcUrls: replicas("edge").map((p) => p.grpcUrl),
    grpcUrls: Object.fromEntries([...proxies].map(([component, proxy]) => [component, proxy.grpc.url])),
    edgeServiceUrl: proxies.get("edge")!.http.url,
    stores: { secrets, ledgerTable, commandsTopic, eventsTopic },
    replicas,
    tails: (lines = 30) => processes.map((p) => `--- ${p.name} (${p.running ? "running" : "exited"}) ${p.logFile}\n${p.tail(lines)}`).join("\n"),
    stop,
  };
}

async function dropLedgerTables(prefix: string): Promise<void> {
  const dynamo = new DynamoDBClient({ endpoint: engines.awsEndpoint, region: engines.awsRegion });
  try {
    const { TableNames = [] } = await dynamo.send(new ListTablesCommand({}));
    for (const table of TableNames.filter((name) => name === prefix || name.startsWith(`${prefix}-`))) await dynamo.send(new DeleteTableCommand({ TableName: table }));
  } finally {
    dynamo.destroy();
  }
}

/** The run's market-history index and its template (marketdata's indexing loop made them). */
async function dropSearchIndex(index: string): Promise<void> {
  await fetch(`${engines.opensearchUrl}/${index}`, { method: "DELETE" });
  await fetch(`${engines.opensearchUrl}/_index_template/${index}-template`, { method: "DELETE" });
}

async function dropTopic(topic: string): Promise<void> {
  const admin = new Kafka({ clientId: "distributed-harness", brokers: engines.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    if ((await admin.listTopics()).includes(topic)) await admin.deleteTopics({ topics: [topic] });
  } finally {
    await admin.disconnect();
  }
}
