// `npm run bench:e2e`: the whole exchange, end to end, measured against its ceilings in the same run.
//
// It starts the exchange as its own process (embedded: `node --import tsx services/main.ts` on a
// fresh data dir under tmp/ and free ports), waits for grpc.health.v1 SERVING, signs up and funds
// N accounts, starts a plain node:http2 server as another process, and drives both from a separate
// load process (load.ts) with K concurrent clients:
//   ceilings: the plain HTTP/2 server and a no-op RPC of the exchange (GetServerTime), same client
//             and concurrency, and h2load's figure for both when it is installed;
//   (a) crossing LIMIT GTC orders over gRPC PlaceOrder, (b) a maker/taker mix with cancels,
//   (c) (a) over signed REST POST /api/v3/order through the edge,
//   (stream) (a) over StreamOrderEntry: a few streams, many orders in flight on each.
// Each measurement runs R times, round-robin, with the exchange quiet (and the load process's
// garbage collected) between runs; the table reports medians and spreads, CPU per call of each
// process from /proc, and each workload as a fraction of the ceilings. At the end every open order
// is canceled and money is checked: the bench exits 1 if any moved wrongly.
// Results: bench-results/e2e-<timestamp>.json and .html (latency plot).
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SymbolStatus } from "#gen/exchange/common/v1/common_pb.js";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { auditLedger, checkAccounts } from "./conservation.js";
import { cpuModel, cpuSeconds } from "./cpu.js";
import { startDistributed, startEmbedded, startPlainServer, type BenchProcess, type Deployment } from "./deployment.js";
import { fundAccounts } from "./funding.js";
import { h2loadVersion, runH2load } from "./h2load.js";
import { ForkedProcess } from "./ipc.js";
import { parseOptions, usage, type BenchOptions } from "./options.js";
import { Progress } from "./progress.js";
import type { BenchAccount, FromLoad, ToLoad, WorkloadName } from "./protocol.js";
import { renderPlot, renderTable, summarize, toMeasurement, TITLES, type MeasureName, type Measurement, type Summary } from "./report.js";
import { startSubscribers, type FanoutReport, type Subscribers } from "./ws-fanout.js";

const REPO = resolve(import.meta.dirname, "..", "..", "..");
const SYMBOL = "BTCUSDT";
/** Per account: enough for any run of this bench at any speed the exchange may reach. */
const CREDITS = [
  { asset: "BTC", amount: "100000" },
  { asset: "USDT", amount: "10000000000" },
];

const progress = new Progress();
/** Set on SIGINT/SIGTERM: the handler stops everything and exits; nothing else may exit first. */
let interrupting = false;

type LoadProcess = ForkedProcess<ToLoad, FromLoad>;

async function startLoad(): Promise<LoadProcess> {
  const load = ForkedProcess.start<ToLoad, FromLoad>("load", join(import.meta.dirname, "load.ts"), ["--expose-gc", "--max-semi-space-size=64"]);
  await load.next(); // ready
  return load;
}

interface Bench {
  readonly options: BenchOptions;
  /** The exchange's CPU use at rest (seconds per second): timers, pollers, consumers' heartbeats. */
  readonly idleCpu: number;
  readonly deployment: Deployment;
  readonly plain: { url: string; process: BenchProcess };
  readonly load: LoadProcess;
  readonly accounts: readonly BenchAccount[];
  readonly market: Client<typeof MarketDataService>;
  readonly workDir: string;
}

async function lastTradeId(market: Client<typeof MarketDataService>): Promise<bigint> {
  const { trades } = await market.listTrades({ symbol: SYMBOL, limit: 1 });
  return trades[0]?.id ?? 0n;
}

const exchangeCpu = (deployment: Deployment) => deployment.processes.reduce((sum, process) => sum + cpuSeconds(process.pid), 0);

/** The exchange's CPU use at rest, in seconds per second, over one second. */
async function idleCpuOf(deployment: Deployment): Promise<number> {
  const before = exchangeCpu(deployment);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return exchangeCpu(deployment) - before;
}

/**
 * Waits until the exchange is quiet: its processes use under 5% of a core more than at rest, over
 * two windows of 200 ms in a row, and the last trade id stops moving (settlements and projections
 * caught up).
 */
async function quiesce(bench: Bench, timeoutMs = 30_000): Promise<{ trade: bigint; quiet: boolean }> {
  const deadline = Date.now() + timeoutMs;
  const cpu = () => exchangeCpu(bench.deployment);
  let calm = 0;
  let trade = await lastTradeId(bench.market);
  let before = cpu();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const now = cpu();
    const nextTrade = await lastTradeId(bench.market);
    calm = now - before < 0.2 * (bench.idleCpu + 0.05) && nextTrade === trade ? calm + 1 : 0;
    before = now;
    trade = nextTrade;
    if (calm >= 2) return { trade, quiet: true };
  }
  return { trade, quiet: false };
}

/**
 * Cancels every open order until none is left and nothing is locked (twice in a row, half a second
 * apart): orders still on their way to matching (PENDING_NEW), settlements still in a log, are let
 * through first. In distributed mode the pipeline runs through Kafka and may lag the calls by seconds.
 * What stays exactly the same for 5 s is stuck, not lagging: it gives up then (the final checks
 * report it), so that a stuck order does not cost every later run the whole timeout.
 */
async function settle(bench: Bench, timeoutMs: number): Promise<boolean> {
  const orders = createClient(OrderService, createGrpcTransport({ baseUrl: bench.deployment.urls.order }));
  const wallet = createClient(WalletService, createGrpcTransport({ baseUrl: bench.deployment.urls.wallet }));
  const accounts = bench.accounts.map((account) => account.accountId);
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  let last = "";
  let unchangedSince = Date.now();
  for (;;) {
    await bench.load.ask({ type: "cancel-all", grpcUrl: bench.deployment.urls.order, symbol: SYMBOL, accounts }, "canceled");
    const left: string[] = [];
    for (const accountId of accounts) {
      for (const order of (await orders.listOpenOrders({ accountId, symbol: SYMBOL })).orders) left.push(`${order.orderId}:${order.status}:${order.executedQty}`);
      for (const balance of (await wallet.getBalances({ accountId })).balances) if (!/^0(\.0*)?$/.test(balance.locked)) left.push(`${accountId}:${balance.asset}:${balance.locked}`);
    }
    calm = left.length === 0 ? calm + 1 : 0;
    if (calm >= 2) return true;
    const state = left.join(",");
    if (state !== last) [last, unchangedSince] = [state, Date.now()];
    if (Date.now() > deadline || Date.now() - unchangedSince > 5_000) return false;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

function processesOf(bench: Bench, name: WorkloadName, subscribers?: Subscribers): BenchProcess[] {
  return [
    ...(name === "plain" ? [bench.plain.process] : bench.deployment.processes),
    { name: "load", pid: bench.load.pid },
    ...(subscribers ? [{ name: "ws-subscribers", pid: subscribers.pid }] : []),
  ];
}

async function measure(
  bench: Bench,
  name: WorkloadName,
  label: string,
  repeat: number,
  durationMs: number | undefined,
  operations: number | undefined,
  notes: string[],
  subscribers?: Subscribers,
): Promise<{ measurement: Measurement; fanout?: FanoutReport }> {
  const { options, load } = bench;
  // Every run starts from an empty book: what the previous one left resting would trade with it.
  if (!(await settle(bench, 30_000))) notes.push(`${label}: open orders or locked funds were left (stuck, or 30 s) after canceling before the run`);
  const start = await quiesce(bench);
  if (!start.quiet) notes.push(`${label}: the exchange was not quiet before the run (30 s)`);
  const processes = processesOf(bench, name, subscribers);
  const cpuBefore = processes.map((process) => cpuSeconds(process.pid));
  const title = `${label} ${TITLES[name as MeasureName].split(",")[0]}`;
  load.onProgress = (message) => {
    if (message.type !== "progress") return;
    const fraction = durationMs !== undefined ? message.elapsedMs / durationMs : message.done / (operations ?? 1);
    progress.update(label, fraction, `${message.done.toLocaleString("en-US")} calls, ${Math.round(message.done / Math.max(message.elapsedMs / 1000, 0.001)).toLocaleString("en-US")}/s`);
  };
  const { result } = await load.ask(
    {
      type: "run",
      spec: {
        workload: name,
        label,
        grpcUrl: name === "plain" ? bench.plain.url : name === "noop" ? bench.deployment.urls.marketdata : bench.deployment.urls.order,
        client: options.client,
        connections: bench.deployment.connections,
        restUrl: bench.deployment.restUrl,
        clients: options.clients,
        durationMs,
        operations,
        seed: options.seed + repeat,
        symbol: SYMBOL,
        accounts: bench.accounts,
      },
    },
    "result",
  );
  const loadCpu = cpuSeconds(bench.load.pid) - cpuBefore[processes.findIndex((process) => process.name === "load")];
  // The exchange's CPU until it is quiet again: settlements and projections the run caused.
  const end = name === "plain" ? { trade: start.trade, quiet: true } : await quiesce(bench);
  if (!end.quiet) notes.push(`${label}: the exchange was still busy 30 s after the run; its CPU per call is cut there`);
  const fanout = subscribers ? await subscribers.collect() : undefined;
  const cpu: Record<string, number> = {};
  processes.forEach((process, index) => (cpu[process.name] = process.name === "load" ? loadCpu : cpuSeconds(process.pid) - cpuBefore[index]));
  const measurement = toMeasurement(name as MeasureName, repeat, result, Number(end.trade - start.trade), cpu);
  const rateText = Math.round(name === "a" || name === "b" || name === "c" || name === "stream" ? measurement.ordersPerSecond : measurement.callsPerSecond).toLocaleString("en-US");
  const fanoutText = fanout ? `; ${fanout.subscribers} subscribers: ${fanout.messages.toLocaleString("en-US")} messages, trade p99 ${(fanout.latency["trade (T to arrival)"]?.p99 ?? Number.NaN).toFixed(1)} ms, ${fanout.violations.length} gaps/drops` : "";
  progress.done(`${title.padEnd(40)} ${rateText}/s${measurement.errors > 0 ? `, ${measurement.errors} errors` : ""}${fanoutText}`);
  return { measurement, fanout };
}

function measureH2load(bench: Bench, name: "h2load plain" | "h2load noop", repeat: number): Measurement {
  const url = `${name === "h2load plain" ? bench.plain.url : bench.deployment.urls.marketdata}/exchange.marketdata.v1.MarketDataService/GetServerTime`;
  const server = name === "h2load plain" ? [bench.plain.process] : bench.deployment.processes;
  const before = server.map((process) => cpuSeconds(process.pid));
  progress.update(`${name} ${repeat}`, 0, "running h2load");
  const durationS = bench.options.durationMs !== undefined ? Math.max(2, Math.round(bench.options.durationMs / 2000)) : undefined;
  const started = performance.now();
  const result = runH2load(url, bench.options.clients, { durationS, requests: bench.options.operations, workDir: bench.workDir });
  const elapsedMs = performance.now() - started;
  const cpu: Record<string, number> = {};
  server.forEach((process, index) => (cpu[process.name] = cpuSeconds(process.pid) - before[index]));
  // The CPU counter runs through h2load's warm-up too: CPU per call is over every request it sent, warm-up included (an estimate).
  const calls = result.succeeded + result.failed;
  const seconds = calls / Math.max(result.callsPerSecond, 1);
  progress.done(`${`${name} ${repeat}`.padEnd(40)} ${Math.round(result.callsPerSecond).toLocaleString("en-US")}/s (mean ${result.meanMs.toFixed(3)} ms)`);
  const measurement: Measurement = {
    name,
    repeat,
    elapsedMs: seconds * 1000 || elapsedMs,
    calls: result.succeeded,
    orders: 0,
    cancels: 0,
    trades: 0,
    callsPerSecond: result.callsPerSecond,
    ordersPerSecond: 0,
    tradesPerSecond: 0,
    refused: {},
    errors: result.failed,
    errorSamples: result.failed > 0 ? [`${result.failed} requests failed`] : [],
    cpuSeconds: cpu,
    cpuPerCallUs: Object.fromEntries(Object.entries(cpu).map(([process, used]) => [process, (used * 1e6) / Math.max(calls, 1)])),
    latency: { [name === "h2load plain" ? "plain HTTP/2 (h2load)" : "GetServerTime (h2load)"]: { count: calls, mean: result.meanMs, p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, p999: Number.NaN, max: Number.NaN, curve: [] } },
  };
  return measurement;
}

async function main(): Promise<number> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === "help") {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  const options = parsed;
  const { model, cores } = cpuModel();
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const workDir = join(REPO, "tmp", `bench-e2e-${stamp}`);
  mkdirSync(workDir, { recursive: true });
  const notes: string[] = [];
  const loadAverage = loadavg();
  const runTag = stamp.replace(/[^0-9]/g, "").slice(2, 14);
  progress.note(`bench:e2e: ${model} x${cores}, node ${process.version}; work dir ${workDir}`);

  const deploymentOptions = {
    repoRoot: REPO,
    dataDir: join(workDir, "data"),
    logFile: join(workDir, "exchange.log"),
    cpuProfDir: options.cpuProfDir,
    env: {
      LOG_LEVEL: "warn",
      // Deposits only through CreditAccount, so the bench knows exactly what came in.
      WALLET_SIMULATED_CHAIN_FAUCET: "false",
      // Sign-ups of the bench's accounts in milliseconds, not seconds: passwords are not measured.
      AUTH_ARGON2_MEMORY_KIB: "1024",
      AUTH_ARGON2_TIME_COST: "1",
      // All load comes from one IP and a few keys: the edge's rate limits would measure themselves.
      EDGE_IP_WEIGHT_PER_MINUTE: "1000000000",
      EDGE_API_KEY_WEIGHT_PER_MINUTE: "1000000000",
      EDGE_ORDERS_PER_10S: "1000000000",
      EDGE_ORDERS_PER_DAY: "1000000000",
      EDGE_WS_CONNECTIONS_PER_IP: "100000",
    },
  };
  progress.update("starting", 0, options.distributed ? "the exchange (distributed: each service its own process, on the engines of tests/infra)" : "the exchange (embedded)");
  const deployment = options.distributed
    ? await startDistributed({ ...deploymentOptions, dataDir: join(workDir, "distributed") }, (line) => progress.update("starting", 0, line.slice(0, 90)))
    : await startEmbedded(deploymentOptions);
  const stops: (() => Promise<void> | void)[] = [() => deployment.stop()];
  // Ctrl-C (or a CI timeout) stops what the bench started: the exchange's processes, the plain server, the helpers.
  const interrupted = (signal: NodeJS.Signals) => {
    interrupting = true;
    progress.done(`bench:e2e: ${signal}, stopping what it started`);
    void (async () => {
      for (const stop of [...stops].reverse()) await Promise.resolve(stop()).catch(() => undefined);
      process.exit(130);
    })();
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  try {
    const plain = await startPlainServer(REPO);
    stops.push(() => plain.stop());
    progress.done(
      `exchange (${deployment.mode}, ${deployment.processes.length} process${deployment.processes.length > 1 ? "es" : ""}) SERVING: order at ${deployment.urls.order} (gRPC), REST at ${deployment.restUrl}; plain HTTP/2 server at ${plain.url}; logs: ${deployment.logs}`,
    );

    const info = await createClient(OrderService, createGrpcTransport({ baseUrl: deployment.urls.order })).getExchangeInfo({ symbols: [SYMBOL] });
    const symbol = info.symbols[0];
    if (!symbol || symbol.status !== SymbolStatus.TRADING) throw new Error(`${SYMBOL} is not trading on the exchange`);

    const fundingStarted = performance.now();
    const { accounts, credited } = await fundAccounts(deployment.urls, deployment.opsKey, options.accounts, CREDITS, runTag, (done) => progress.update("funding", done / options.accounts, `${done}/${options.accounts} accounts signed up, keyed and credited`));
    progress.done(`funded ${accounts.length} accounts in ${((performance.now() - fundingStarted) / 1000).toFixed(1)} s (${CREDITS.map((credit) => `${credit.amount} ${credit.asset}`).join(" + ")} each)`);

    const load = await startLoad();
    stops.push(() => load.stop());
    const idleCpu = await idleCpuOf(deployment);
    const bench: Bench = { options, idleCpu, deployment, plain, load, accounts, market: createClient(MarketDataService, createGrpcTransport({ baseUrl: deployment.urls.marketdata })), workDir };

    const h2load = options.h2load ? h2loadVersion() : undefined;
    if (options.smoke) notes.push("smoke run: figures are not measurements (too few calls, one run)");
    else if (!options.h2load) notes.push("h2load skipped (--no-h2load)");
    else if (!h2load) notes.push("h2load is not installed (Debian: apt-get install nghttp2-client): its neutral-client figures for the ceilings are skipped");

    // Warm-up: connections, JIT and caches, once per workload, not reported.
    if (options.warmupMs > 0) {
      for (const name of ["plain", "noop", ...options.workloads] as WorkloadName[]) await measure(bench, name, `${name}-warmup`, 0, options.warmupMs, undefined, notes);
    }
    // Round-robin over the repeats, so that a change of the machine's load touches every measurement alike.
    const runs: Measurement[] = [];
    const fanouts: FanoutReport[] = [];
    for (let repeat = 1; repeat <= options.repeats; repeat++) {
      for (const name of ["plain", "noop"] as const) runs.push((await measure(bench, name, `${name}${repeat}`, repeat, options.durationMs, options.operations, notes)).measurement);
      if (h2load) for (const name of ["h2load plain", "h2load noop"] as const) runs.push(measureH2load(bench, name, repeat));
      for (const name of options.workloads) {
        // (b) runs with the WebSocket subscribers connected, opened for it and closed after it.
        const subscribers =
          name === "b" && options.subscribers > 0
            ? await startSubscribers({ restUrl: deployment.restUrl, symbol: SYMBOL, count: options.subscribers, onProgress: (connected) => progress.update("subscribers", connected / options.subscribers, `${connected}/${options.subscribers} WebSockets subscribed`) })
            : undefined;
        if (subscribers) stops.push(() => subscribers.close().then(() => undefined));
        const { measurement, fanout } = await measure(bench, name, `${name}${repeat}`, repeat, options.durationMs, options.operations, notes, subscribers);
        runs.push(measurement);
        if (subscribers) {
          stops.pop();
          const final = await subscribers.close();
          fanouts.push({ ...fanout!, violations: final.violations });
        }
      }
    }

    // ---------------------------------------------------------------- conservation
    progress.update("checking", 0, "canceling every open order, until none is left and nothing is locked");
    if (!(await settle(bench, 120_000))) notes.push("open orders or locked funds were still left (stuck, or 120 s) after the last run: the checks below see them");
    const quiet = await quiesce(bench, 60_000);
    if (!quiet.quiet) notes.push("the exchange was still busy 60 s after the last run when conservation was checked");
    progress.update("checking", 0.2, "every acknowledged order");
    const { report: acks } = await load.ask({ type: "verify", grpcUrl: deployment.urls.order, symbol: SYMBOL }, "verified");
    progress.update("checking", 0.5, "balances against credits, trades and fees");
    const balances = await checkAccounts(deployment.urls, { symbol: SYMBOL, base: symbol.baseAsset, quote: symbol.quoteAsset }, credited);
    await load.stop();
    progress.update("checking", 0.8, `the wallet's store of record${deployment.ledger.auditWhileRunning ? "" : " (exchange stopped)"}`);
    if (!deployment.ledger.auditWhileRunning) await deployment.stop();
    const ledger = await auditLedger(deployment.ledger, credited);
    await deployment.stop();
    const violations = [...acks.violations, ...balances.violations, ...ledger.violations, ...fanouts.flatMap((fanout) => fanout.violations)];
    progress.done(`checked ${acks.checked.toLocaleString("en-US")} acknowledged orders, ${balances.trades.toLocaleString("en-US")} trades, ${accounts.length} accounts + the fee account, ${ledger.transfers.toLocaleString("en-US")} ledger transfers: ${violations.length === 0 ? "money conserved" : `${violations.length} violation(s)`}`);

    // ---------------------------------------------------------------- report
    const summariesOf = (names: readonly MeasureName[], ceilings?: { plain?: number; noop?: number }) =>
      names.filter((name) => runs.some((run) => run.name === name)).map((name) => summarize(name, runs.filter((run) => run.name === name), ceilings));
    const ceilings = summariesOf(["plain", "noop", "h2load plain", "h2load noop"]);
    const ceilingOf = (name: MeasureName) => ceilings.find((summary) => summary.name === name)?.callsPerSecond.median;
    const workloads = summariesOf(options.workloads, { plain: ceilingOf("plain"), noop: ceilingOf("noop") });
    const failures = runs.filter((run) => (run.name === "a" || run.name === "b" || run.name === "c" || run.name === "stream") && (run.orders === 0 || run.errors > run.calls * 0.01));
    for (const run of failures) notes.push(`${run.name}${run.repeat}: ${run.orders} orders acknowledged, ${run.errors} errors: the harness or the exchange is broken`);
    const context = {
      cpu: model,
      cores,
      node: process.version,
      mode: deployment.mode,
      clients: options.clients,
      client: options.client === "h2" ? "lean gRPC client on node:http2" : "connect-node gRPC client",
      accounts: options.accounts,
      amount: options.durationMs !== undefined ? `${options.durationMs / 1000} s` : `${options.operations} calls`,
      repeats: options.repeats,
      loadAverage,
    };
    const fanoutText = fanoutSummary(fanouts);
    const text = renderTable(context, ceilings, workloads, [...notes, ...(fanoutText ? [fanoutText] : [])]);
    process.stdout.write(`\n${text}\n`);
    if (violations.length > 0) {
      process.stdout.write(`\nMONEY MOVED WRONGLY (${violations.length}):\n${violations.map((violation) => `  ${violation}`).join("\n")}\n`);
    } else {
      process.stdout.write(`\nconservation: ${Object.entries(balances.totals).map(([asset, total]) => `${asset} credited ${total.credited} = held ${total.held} (fees ${total.fees})`).join("; ")}; ${acks.acknowledged.toLocaleString("en-US")} acknowledged orders all stored and final\n`);
    }

    const resultsDir = resolve(REPO, options.resultsDir);
    mkdirSync(resultsDir, { recursive: true });
    const base = join(resultsDir, `e2e-${stamp}`);
    const json = {
      when: new Date().toISOString(),
      context,
      options,
      ceilings,
      workloads,
      runs,
      fanout: fanouts,
      conservation: { violations, acknowledged: acks, balances, ledger },
      notes,
    };
    writeFileSync(`${base}.json`, JSON.stringify(json, (_key, value) => (typeof value === "bigint" ? value.toString() : value), 2));
    writeFileSync(`${base}.html`, renderPlot(`bench:e2e ${new Date().toISOString()} on ${model} x${cores} (${deployment.mode})`, [...ceilings.filter((summary) => !summary.name.startsWith("h2load")), ...workloads], runs));
    process.stdout.write(`results: ${base}.json, plot: ${base}.html\n`);
    const failed = violations.length > 0 || failures.length > 0;
    // The data stays for a post-mortem when something was wrong; otherwise only the exchange's log does.
    if (!failed) rmSync(deploymentOptions.dataDir, { recursive: true, force: true });
    return failed ? 1 : 0;
  } finally {
    if (!interrupting) for (const stop of [...stops].reverse()) await stop();
  }
}

function fanoutSummary(runs: readonly FanoutReport[]): string | undefined {
  if (runs.length === 0) return undefined;
  const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)];
  const of = (rpc: string, field: "p50" | "p99") => median(runs.map((run) => run.latency[rpc]?.[field] ?? Number.NaN)).toFixed(1);
  const gaps = runs.reduce((sum, run) => sum + run.violations.length, 0);
  return [
    `WebSocket fan-out during (b): ${runs[0].subscribers} subscribers on ${SYMBOL.toLowerCase()}@depth and @trade, median of ${runs.length} run(s):`,
    `trade delivery (trade time to arrival) p50 ${of("trade (T to arrival)", "p50")} ms, p99 ${of("trade (T to arrival)", "p99")} ms;`,
    `depth diff (edge event time to arrival) p50 ${of("depth (E to arrival)", "p50")} ms, p99 ${of("depth (E to arrival)", "p99")} ms;`,
    `${runs.reduce((sum, run) => sum + run.messages, 0).toLocaleString("en-US")} messages; gaps, drops and silent subscribers: ${gaps}`,
  ].join(" ");
}

main().then(
  (code) => {
    if (!interrupting) process.exit(code);
  },
  (error: unknown) => {
    if (interrupting) return;
    progress.done(`bench:e2e failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);

export type { Summary };
