/**
 * The image smoke test, without a Docker engine (`npm run test:image`): assembles the image's files from the
 * Dockerfile and .dockerignore (tests/image/assemble.ts), makes the code tree root's and read-only, then as the
 * Dockerfile's USER runs its ENTRYPOINT once with no EXCHANGE_SERVICE (embedded) and once per service, each with a
 * writable data dir and <NAME>_ADDR of every other service at the embedded process, and polls grpc.health.v1
 * Check("") on each until SERVING. Exit code 0 when every one answers SERVING in time.
 *
 *   npx tsx tests/image/smoke.ts [--context <dir>] [--keep]
 *
 * --context: another checkout's Dockerfile, .dockerignore and files (this checkout's node_modules stands in for its
 * npm ci when the lockfile matches); --keep: leave the assembled tree and logs in place. SMOKE_TIMEOUT_MS (60000): how
 * long one process may take to answer SERVING.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { SERVICE_NAMES } from "../../services/registry.js";
import { assembleImage } from "./assemble.js";
import { freePort } from "../support/free-port.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const argv = process.argv.slice(2);
const contextDir = resolve(argv.includes("--context") ? argv[argv.indexOf("--context") + 1] : repo);
const keep = argv.includes("--keep");
const timeoutMs = Number(process.env.SMOKE_TIMEOUT_MS ?? 60_000);
const log = (line: string) => process.stdout.write(`image: ${line}\n`);

interface Started {
  readonly label: string;
  readonly child: ChildProcess;
  readonly grpcUrl: string;
  readonly httpUrl: string;
  readonly output: string[];
  exit?: string;
}

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), "exchange-image-"));
chmodSync(work, 0o755); // the unprivileged user walks through it to the image's code
const processes: Started[] = [];
let failed = false;
try {
  log(`assembling from ${join(contextDir, "Dockerfile")} in ${work}`);
  const image = assembleImage({ contextDir, installedNodeModules: join(repo, "node_modules"), workDir: join(work, "build"), log });
  if (!image.user || image.user.uid === 0) throw new Error("the Dockerfile's USER must be a non-root uid");
  if (image.command.length === 0) throw new Error("the Dockerfile has no ENTRYPOINT or CMD");
  const { uid, gid } = image.user;
  const asRoot = process.getuid?.() === 0;
  const code = join(image.root, image.workdir);
  // The code tree as in the image on Kubernetes: root's, and nobody may write it.
  if (asRoot) spawnOrThrow("chown", ["-R", "0:0", image.root]);
  spawnOrThrow("chmod", ["-R", "a+rX,a-w", image.root]);
  const runAs = asRoot ? ["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", "--"] : [];
  if (!asRoot) log(`not root: running as uid ${process.getuid?.()} instead of ${uid}, the code tree read-only by its mode bits only`);
  if (spawnSync(runAs[0] ?? "sh", [...runAs.slice(1), ...(asRoot ? ["sh"] : []), "-c", `test -w '${code}'`]).status === 0) {
    throw new Error(`the code tree ${code} is writable by the service user`);
  }
  log(`code: ${code} (read-only, root's), runs as ${uid}:${gid}: ${image.command.join(" ")}`);

  const start = async (label: string, extra: Record<string, string>): Promise<Started> => {
    const dir = join(work, "run", label);
    for (const sub of ["data", "tmp"]) {
      mkdirSync(join(dir, sub), { recursive: true });
      if (asRoot) chownSync(join(dir, sub), uid, gid);
    }
    chmodSync(join(work, "run"), 0o755);
    chmodSync(dir, 0o755);
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    // The image's ENV, then what a pod gives it: loopback here, its own ports, a writable data dir and /tmp (the chart's emptyDirs).
    const env = {
      PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      HOME: join(dir, "tmp"),
      ...image.env,
      EXCHANGE_HOST: "127.0.0.1",
      EXCHANGE_GRPC_PORT: String(grpcPort),
      EXCHANGE_HTTP_PORT: String(httpPort),
      EXCHANGE_DATA_DIR: join(dir, "data"),
      TMPDIR: join(dir, "tmp"),
      ...extra,
    };
    const [command, ...args] = [...runAs, ...image.command];
    const child = spawn(command, args, { cwd: code, env, stdio: ["ignore", "pipe", "pipe"] });
    const entry: Started = { label, child, grpcUrl: `http://127.0.0.1:${grpcPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, output: [] };
    const keepTail = (chunk: Buffer) => {
      entry.output.push(...chunk.toString("utf8").split("\n").filter((line) => line !== ""));
      if (entry.output.length > 60) entry.output.splice(0, entry.output.length - 60);
    };
    child.stdout!.on("data", keepTail);
    child.stderr!.on("data", keepTail);
    child.on("exit", (status, signal) => (entry.exit = signal ?? `exit code ${status}`));
    processes.push(entry);
    log(`started ${label} (pid ${child.pid}, gRPC ${entry.grpcUrl})`);
    return entry;
  };

  const embedded = await start("embedded", {});
  const results = [await serving(embedded)];
  const peers = Object.fromEntries(SERVICE_NAMES.map((name) => [`${name.toUpperCase()}_ADDR`, embedded.grpcUrl]));
  const alone = await Promise.all(SERVICE_NAMES.map((name) => start(name, { ...peers, EXCHANGE_SERVICE: name })));
  results.push(...(await Promise.all(alone.map(serving))));

  for (const [index, result] of results.entries()) {
    const entry = index === 0 ? embedded : alone[index - 1];
    if (result === undefined) log(`ok   ${entry.label}: SERVING`);
    else {
      failed = true;
      log(`FAIL ${entry.label}: ${result}`);
      for (const line of entry.output.slice(-25)) process.stdout.write(`    ${entry.label} | ${line}\n`);
    }
  }
} catch (error) {
  failed = true;
  log(`FAIL ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await Promise.all(processes.map(stop));
  if (keep || failed) log(`left in ${work}`);
  if (!keep && !failed) rmSync(work, { recursive: true, force: true });
  log(`${failed ? "FAILED" : "passed"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
process.exit(failed ? 1 : 0);

/** Polls Check("") until SERVING; undefined when it did, else why not. The edge must also answer REST. */
async function serving(entry: Started): Promise<string | undefined> {
  const client = createClient(Health, createGrpcTransport({ baseUrl: entry.grpcUrl }));
  const t0 = Date.now();
  let last = "no answer";
  while (Date.now() - t0 < timeoutMs) {
    if (entry.exit) return `ended (${entry.exit}) before SERVING; last health answer: ${last}`;
    try {
      const { status } = await client.check({ service: "" }, { timeoutMs: 2_000 });
      if (status === HealthCheckResponse_ServingStatus.SERVING) {
        log(`${entry.label}: SERVING after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        if (entry.label === "embedded" || entry.label === "edge") {
          const ping = await fetch(`${entry.httpUrl}/api/v3/ping`);
          if (ping.status !== 200) return `SERVING, but the edge's GET /api/v3/ping answered ${ping.status}`;
        }
        return undefined;
      }
      last = HealthCheckResponse_ServingStatus[status];
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return `not SERVING after ${timeoutMs} ms; last health answer: ${last}`;
}

async function stop(entry: Started): Promise<void> {
  if (entry.exit) return;
  const exited = new Promise<void>((resolve) => entry.child.once("exit", () => resolve()));
  entry.child.kill("SIGTERM");
  const timer = setTimeout(() => entry.child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}


function spawnOrThrow(command: string, args: string[]): void {
  const result = spawnSync(command, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr}`);
}
