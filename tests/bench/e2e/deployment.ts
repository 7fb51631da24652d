// Starting what the bench measures, each as its own process: the exchange (embedded: every
// service in one process, as `npm start` runs it) and the plain HTTP/2 ceiling server.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";

/** A process the bench reads CPU time of. */
export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
}

export interface Deployment {
  readonly mode: "embedded" | "distributed";
  /** h2c: gRPC, gRPC-Web and Connect. */
  readonly grpcUrl: string;
  /** HTTP/1.1: the edge's REST API and WebSockets. */
  readonly restUrl: string;
  /** The exchange's processes (one when embedded). */
  readonly processes: readonly BenchProcess[];
  /** The wallet's store of record, to audit once the exchange is stopped. */
  readonly ledgerUrl: string;
  stop(): Promise<void>;
}

export interface DeploymentOptions {
  readonly repoRoot: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Added to this process's environment. */
  readonly env: Record<string, string>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
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
  const child = spawn(process.execPath, ["--max-semi-space-size=64", "--import", "tsx", join("services", "main.ts")], {
    cwd: options.repoRoot,
    env: { ...process.env, ...options.env, EXCHANGE_DATA_DIR: options.dataDir, EXCHANGE_GRPC_PORT: String(grpcPort), EXCHANGE_HTTP_PORT: String(httpPort) },
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
    grpcUrl,
    restUrl: `http://127.0.0.1:${httpPort}`,
    processes: [{ name: "exchange", pid: child.pid! }],
    ledgerUrl: `sqlite:${join(options.dataDir, "wallet.sqlite")}`,
    stop: () => stopChild(child),
  };
}

/**
 * Each service as its own process on the real engines of tests/infra. Extension point: when the
 * distributed launcher lands on main, start it here and return its processes (one BenchProcess
 * per service, so CPU per order is reported by service) and the edge's URLs.
 */
export async function startDistributed(_options: DeploymentOptions): Promise<Deployment> {
  throw new DistributedNotAvailable();
}

export class DistributedNotAvailable extends Error {
  constructor() {
    super("--distributed is not available yet: the launcher that starts each service as its own process has not landed on main (see startDistributed in tests/bench/e2e/deployment.ts)");
  }
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
