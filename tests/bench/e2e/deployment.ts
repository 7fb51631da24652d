// Starting what the bench measures, each as its own process: the exchange (embedded: every
// service in one process, as `npm start` runs it) and the plain HTTP/2 ceiling server.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { freePort } from "../../support/free-port.js";

/** A process the bench reads CPU time of. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
}

/** Where each service answers gRPC (h2c); embedded, all in one process at one URL. */
export interface ServiceUrls {
  readonly order: string;
  readonly wallet: string;
  readonly auth: string;
  readonly marketdata: string;
}

export interface Deployment {
  readonly mode: "embedded" | "distributed";
  readonly urls: ServiceUrls;
  /** HTTP/1.1: the edge's REST API and WebSockets. */
  readonly restUrl: string;
  /** The exchange's processes (one when embedded, one per service replica when distributed). */
  readonly processes: readonly BenchProcess[];
  /** HTTP/2 connections the load process opens to a service, so that calls spread over its replicas. */
  readonly connections: number;
  /** The wallet's store of record, to audit at the end: after stopping (embedded SQLite) or before (the run's DynamoDB table is dropped on stop). */
  readonly ledger: { readonly url: string; readonly awsEndpoint?: string; readonly auditWhileRunning: boolean };
  /** Where its logs are, for a failure report. */
  readonly logs: string;
  /** The operator tooling's service key (`ops`), which wallet admits for CreditAccount: how the bench funds accounts. */
  readonly opsKey: string;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  readonly repoRoot: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Added to this process's environment. */
  readonly env: Record<string, string>;
  /** Embedded only: run the exchange with --cpu-prof, its profiles written to this directory. */
  readonly cpuProfDir?: string;
}

/** `stop` run at most once, however often it is called. */
function once(stop: () => Promise<void>): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => (stopping ??= stop());
}


function logTail(file: string): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
}

async function waitServing(grpcUrl: string, child: ChildProcess, logFile: string, timeoutMs = 120_000): Promise<void> {
  const health = createClient(Health, createGrpcTransport({ baseUrl: grpcUrl }));
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once("exit", (code) => (exited = code));
  for (;;) {
    if (exited !== undefined) throw new Error(`the exchange exited (${exited}) before it was serving; its log (${logFile}) ends:\n${logTail(logFile)}`);
    try {
      const { status } = await health.check({ service: "" }, { timeoutMs: 1_000 });
      if (status === HealthCheckResponse_ServingStatus.SERVING) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the exchange was not SERVING after ${timeoutMs} ms; its log (${logFile}) ends:\n${logTail(logFile)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopChild(child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** The whole exchange in one process on a fresh data dir and free ports, started as `npm start` does. */
export async function startEmbedded(options: DeploymentOptions): Promise<Deployment> {
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const log = createWriteStream(options.logFile);
  const profile = options.cpuProfDir ? ["--cpu-prof", `--cpu-prof-dir=${resolve(options.cpuProfDir)}`] : [];
  const opsKey = randomBytes(32).toString("base64url");
  const child = spawn(process.execPath, ["--max-semi-space-size=64", ...profile, "--import", "tsx", join("services", "main.ts")], {
    cwd: options.repoRoot,
    env: { ...process.env, ...options.env, EXCHANGE_DATA_DIR: options.dataDir, EXCHANGE_GRPC_PORT: String(grpcPort), EXCHANGE_HTTP_PORT: String(httpPort), EXCHANGE_CALLER_KEY_OPS: opsKey },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const grpcUrl = `http://127.0.0.1:${grpcPort}`;
  try {
    await waitServing(grpcUrl, child, options.logFile);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    mode: "embedded",
    urls: { order: grpcUrl, wallet: grpcUrl, auth: grpcUrl, marketdata: grpcUrl },
    restUrl: `http://127.0.0.1:${httpPort}`,
    processes: [{ name: "exchange", pid: child.pid! }],
    connections: 1,
    ledger: { url: `sqlite:${join(options.dataDir, "wallet.sqlite")}`, auditWhileRunning: false },
    logs: options.logFile,
    opsKey,
    stop: once(() => stopChild(child)),
  };
}

/**
 * Each service as its own process on the real engines of tests/infra (PostgreSQL, Kafka, DynamoDB on moto, Redis),
 * as tests/support/distributed/launch.ts starts them from the Helm chart: two replicas of each stateless service
 * behind a loopback Service stand-in, one matching. The engines must be up (`npm run infra:up`) and helm installed
 * (`bash tests/infra/helm/check.sh install`). The bench's settings go in as the chart's `config` values.
 */
export async function startDistributed(options: DeploymentOptions, onProgress: (line: string) => void): Promise<Deployment> {
  const { startDistributed: launch } = await import("../../support/distributed/launch.js");
  const { engines } = await import("../../support/engines.js");
  const exchange = await launch({
    runDir: options.dataDir,
    setString: Object.fromEntries(Object.entries(options.env).map(([name, value]) => [`config.${name}`, value])),
    onProgress,
  });
  const replicas = Math.max(...["order", "marketdata", "edge"].map((component) => exchange.replicas(component).length), 1);
  return {
    mode: "distributed",
    urls: { order: exchange.grpcUrls.order, wallet: exchange.grpcUrls.wallet, auth: exchange.grpcUrls.auth, marketdata: exchange.grpcUrls.marketdata },
    restUrl: exchange.edgeServiceUrl,
    get processes() {
      return exchange.processes.filter((process) => process.pid !== undefined).map((process) => ({ name: process.name.replace(/^exchange-/, ""), pid: process.pid! }));
    },
    connections: replicas,
    ledger: { url: exchange.stores.secrets["wallet-ledger-url"], awsEndpoint: engines.awsEndpoint, auditWhileRunning: true },
    logs: join(exchange.runDir, "logs"),
    opsKey: exchange.stores.secrets["service-key-ops"]!,
    stop: once(() => exchange.stop()),
  };
}

/** The plain node:http2 server, as its own process. */
export async function startPlainServer(repoRoot: string): Promise<{ url: string; process: BenchProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ["--import", "tsx", join("tests", "bench", "e2e", "plain-h2-server.ts")], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the plain HTTP/2 server exited (${code}) before listening`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("listening ")) resolve(Number(line.slice("listening ".length)));
    });
  });
  return { url: `http://127.0.0.1:${port}`, process: { name: "plain-h2", pid: child.pid! }, stop: () => stopChild(child) };
}
