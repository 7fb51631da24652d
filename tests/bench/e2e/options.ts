// Flags of `npm run bench:e2e` (after `--`): see usage().
import type { GrpcClientKind, OrderWorkload } from "./protocol.js";

export interface BenchOptions {
  readonly workloads: readonly OrderWorkload[];
  readonly clients: number;
  readonly client: GrpcClientKind;
  readonly accounts: number;
  /** Each measured run lasts this long, or makes this many calls. */
  readonly durationMs?: number;
  readonly operations?: number;
  readonly repeats: number;
  /** A short unmeasured run of each workload before the first measured one (JIT, caches, connections). */
  readonly warmupMs: number;
  readonly distributed: boolean;
  readonly smoke: boolean;
  readonly seed: number;
  /** Also measure the ceilings with h2load when it is installed. */
  readonly h2load: boolean;
  /** WebSocket subscribers on depth and trades while workload (b) runs (0: none). */
  readonly subscribers: number;
  readonly resultsDir: string;
  /** Embedded only: the exchange runs with node's --cpu-prof, its profiles written here. */
  readonly cpuProfDir?: string;
}

export function usage(): string {
  return [
    "npm run bench:e2e -- [flags]",
    "  --workload=a,b,c,stream  a: crossing LIMIT GTC over gRPC; b: maker/taker mix with cancels (gRPC); c: (a) over signed REST;",
    "                      stream: (a) over StreamOrderEntry, 4 streams, each call a burst of 16 orders",
    "  --clients=K         concurrent clients (calls in flight), default 64",
    "  --client=connect|h2 the load process's gRPC client: connect-node's (default), or a lean one on node:http2",
    "  --accounts=N        funded accounts, default 64",
    "  --duration=S        seconds per measured run (default 5), or",
    "  --orders=N          calls per measured run",
    "  --repeats=R         measured runs of each workload and ceiling (default 3): median and spread",
    "  --subscribers=W     WebSocket subscribers (depth + trades) during workload b (default 1000; 0: none)",
    "  --seed=S            seed of workload b's generator (default 1)",
    "  --no-h2load         skip h2load's figures for the ceilings",
    "  --distributed       each service as its own process on the real engines (npm run infra:up first)",
    "  --smoke             a few hundred orders, one run, conservation checked (CI)",
    "  --results=DIR       where the JSON and the plot go (default bench-results)",
    "  --cpu-prof=DIR      embedded: run the exchange with node --cpu-prof, profiles written to DIR when it stops",
  ].join("\n");
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} wants a positive number, got "${text}"`);
  return value;
}

export function parseOptions(argv: readonly string[]): BenchOptions | "help" {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    if (arg === "--help" || arg === "-h") return "help";
    const match = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!match) throw new Error(`unknown argument "${arg}"\n${usage()}`);
    flags.set(match[1], match[2] ?? "true");
  }
  const known = new Set(["workload", "client", "clients", "accounts", "duration", "orders", "repeats", "subscribers", "seed", "no-h2load", "distributed", "smoke", "results", "cpu-prof"]);
  for (const name of flags.keys()) if (!known.has(name)) throw new Error(`unknown flag --${name}\n${usage()}`);
  const smoke = flags.has("smoke");
  if (flags.has("cpu-prof") && (flags.get("cpu-prof") === "true" || flags.has("distributed"))) throw new Error("--cpu-prof=DIR names a directory, and profiles the embedded exchange only");
  const workloads = (flags.get("workload") ?? "a,b,c,stream").split(",").map((name) => name.trim());
  for (const name of workloads) if (!["a", "b", "c", "stream"].includes(name)) throw new Error(`--workload: unknown workload "${name}" (a, b, c, stream)`);
  const client = flags.get("client") ?? "connect";
  if (client !== "connect" && client !== "h2") throw new Error(`--client: connect or h2, got "${client}"`);
  if (flags.has("duration") && flags.has("orders")) throw new Error("--duration and --orders exclude each other");
  const operations = flags.has("orders") ? Math.round(positive("orders", flags.get("orders")!)) : smoke ? 300 : undefined;
  const durationMs = operations === undefined ? positive("duration", flags.get("duration") ?? "5") * 1000 : undefined;
  const accounts = Math.round(positive("accounts", flags.get("accounts") ?? (smoke ? "8" : "64")));
  if (accounts < 2) throw new Error("--accounts: at least 2 (buyers and sellers)");
  return {
    workloads: workloads as OrderWorkload[],
    clients: Math.round(positive("clients", flags.get("clients") ?? (smoke ? "16" : "64"))),
    client,
    accounts,
    durationMs,
    operations,
    repeats: Math.round(positive("repeats", flags.get("repeats") ?? (smoke ? "1" : "3"))),
    warmupMs: smoke || operations !== undefined ? 0 : 2_000,
    distributed: flags.has("distributed"),
    smoke,
    seed: Math.round(Number(flags.get("seed") ?? "1")),
    h2load: !flags.has("no-h2load") && !smoke,
    subscribers: flags.has("subscribers") ? Math.round(Number(flags.get("subscribers"))) : smoke ? 20 : 1000,
    resultsDir: flags.get("results") ?? "bench-results",
    cpuProfDir: flags.get("cpu-prof"),
  };
}
