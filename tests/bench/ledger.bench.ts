// Settlement throughput and latency: two-sided trades with maker/taker fees into the fee account,
// each paid from holds, through the wallet's use case. For each store (embedded SQLite, PostgreSQL)
// it runs the store as the service does (working-set cache, group commit of up to 4 096
// settlements, the next batch planned while one commits) and, on the same database, a naive
// baseline (one transaction per settlement, rows locked, no cache), and prints settlements/s,
// latency percentiles (hdr-histogram-js) and the ratio.
//
//   npx tsx tests/bench/ledger.bench.ts                    # both stores
//   WALLET_BENCH_STORES=sqlite npx tsx tests/bench/ledger.bench.ts
//   WALLET_BENCH_SETTLEMENTS=200000 WALLET_BENCH_ACCOUNTS=2000 ...
//
// PostgreSQL comes from EXCHANGE_PG_URL (default: the one tests/infra/up.sh starts, made durable for
// the run: see makeDurable); the bench creates and drops its own database. SQLite runs in a temp file, WAL, synchronous=FULL unless
// EXCHANGE_SQLITE_SYNCHRONOUS says otherwise: every acknowledged settlement is durable.
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import * as hdr from "hdr-histogram-js";
import pg from "pg";
import { ManualClock } from "#kit/clock/clock.js";
import { openDatabase } from "#kit/db/database.js";
import { SimulatedChain } from "../../services/wallet/src/adapters/chain-gateway.simulated.js";
import { SqlLedgerStore, type WalletDb } from "../../services/wallet/src/adapters/ledger-store.sql.js";
import { EmbeddedMfaVerifier } from "../../services/wallet/src/adapters/mfa-verifier.embedded.js";
import { AssetRegistry } from "../../services/wallet/src/domain/assets.js";
import { CommandBatcher, type CommandExecutor } from "../../services/wallet/src/domain/command-batcher.js";
import { Wallet } from "../../services/wallet/src/domain/wallet.use-case.js";
import type { LedgerStore } from "../../services/wallet/src/ports/ledger-store.port.js";
import { engines } from "../support/engines.js";

const SETTLEMENTS = Number(process.env.WALLET_BENCH_SETTLEMENTS ?? 100_000);
const NAIVE_SETTLEMENTS = Number(process.env.WALLET_BENCH_NAIVE_SETTLEMENTS ?? 5_000);
const ACCOUNTS = Number(process.env.WALLET_BENCH_ACCOUNTS ?? 2_000);
const IN_FLIGHT = Number(process.env.WALLET_BENCH_IN_FLIGHT ?? 8_192);
/** Largest group commit; with more than this in flight the store plans the next batch while one commits. */
const MAX_BATCH = Number(process.env.WALLET_BENCH_MAX_BATCH ?? 4_096);
/** Trades per settleTrades call (the trades of a few matching events, as the order service sends them); the naive run settles one per call. */
const CHUNK = Number(process.env.WALLET_BENCH_CHUNK ?? 64);
const NAIVE_IN_FLIGHT = Number(process.env.WALLET_BENCH_NAIVE_IN_FLIGHT ?? 32);
const STORES = (process.env.WALLET_BENCH_STORES ?? "sqlite,postgres").split(",");
const PG_URL = engines.pgUrl;

const log = (text: string) => process.stdout.write(`${text}\n`);

interface Result {
  readonly store: string;
  readonly mode: string;
  readonly settlements: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly batches?: number;
  /** This process's CPU time (user + system) per settlement, microseconds: less sensitive to a shared machine than wall time. */
  readonly cpuPerSettlement: number;
  /** Time the main thread's event loop was busy, per settlement (us): what one JavaScript thread spends. */
  readonly mainPerSettlement: number;
  /** Time SQLite's writer thread was busy, per settlement (us), when there is one: its ceiling is 1e6 / this. */
  readonly writerPerSettlement?: number;
}

function writerBusy(store: LedgerStore): number | undefined {
  return store instanceof SqlLedgerStore ? store.writerBusyMs() : undefined;
}

function walletFor(store: LedgerStore, executor: CommandExecutor, clock: ManualClock): Wallet {
  return new Wallet({ store, executor, assets: new AssetRegistry(), clock, chain: new SimulatedChain(), mfa: new EmbeddedMfaVerifier(clock), tiers: { tier: async () => 0 } });
}

/** Funds every account and opens one big buy hold (USDT) and one big sell hold (BTC) each. */
async function prepare(store: LedgerStore, run: string): Promise<void> {
  const clock = new ManualClock(1_700_000_000_000);
  const batcher = new CommandBatcher(store);
  const wallet = walletFor(store, batcher, clock);
  const work: Promise<unknown>[] = [];
  for (let n = 0; n < ACCOUNTS; n += 1) {
    const account = `${run}-u${n}`;
    work.push(
      (async () => {
        await wallet.creditDeposit(`${run}-fund-usdt-${n}`, account, "USDT", 10n ** 20n);
        await wallet.creditDeposit(`${run}-fund-btc-${n}`, account, "BTC", 10n ** 16n);
        await wallet.createHold({ holdId: `${run}-buy-${n}`, account, asset: "USDT", amount: 10n ** 19n, timeoutMs: 0 });
        await wallet.createHold({ holdId: `${run}-sell-${n}`, account, asset: "BTC", amount: 10n ** 15n, timeoutMs: 0 });
      })(),
    );
  }
  await Promise.all(work);
}

async function measure(storeName: string, mode: string, store: LedgerStore, executor: CommandExecutor, run: string, total: number, inFlight: number, chunk: number): Promise<Result> {
  const clock = new ManualClock(1_700_000_000_000);
  const wallet = walletFor(store, executor, clock);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  // The trades are made before the clock starts: the load generator is not the wallet's work.
  const trades = Array.from({ length: total }, (_, n) => {
    const buyer = n % ACCOUNTS;
    const seller = (n * 7 + 1) % ACCOUNTS === buyer ? (buyer + 1) % ACCOUNTS : (n * 7 + 1) % ACCOUNTS;
    return {
      tradeId: `${run}-${mode}-t${n}`,
      symbol: "BTCUSDT",
      baseAsset: "BTC",
      quoteAsset: "USDT",
      buyer: `${run}-u${buyer}`,
      seller: `${run}-u${seller}`,
      buyerHoldId: `${run}-buy-${buyer}`,
      sellerHoldId: `${run}-sell-${seller}`,
      base: 1_000n + BigInt(n % 997),
      quote: 27_000_000n + BigInt(n % 10_007),
      buyerIsMaker: n % 2 === 0,
    };
  });
  let issued = 0;
  let done = 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const loopBefore = performance.eventLoopUtilization();
  const writerBefore = writerBusy(store);
  let lastReport = started;
  const worker = async () => {
    while (issued < total) {
      const batch = trades.slice(issued, issued + chunk);
      issued += batch.length;
      const t0 = performance.now();
      if (batch.length === 1) {
        if ((await wallet.settleTrade(batch[0]!)).duplicate) throw new Error("unexpected duplicate");
      } else {
        for (const settled of await wallet.settleTrades(batch)) {
          if (!settled.ok) throw settled.error;
          if (settled.duplicate) throw new Error("unexpected duplicate");
        }
      }
      histogram.recordValueWithCount((performance.now() - t0) * 1000, batch.length);
      const before = done;
      done += batch.length;
      if (Math.floor(done / 8192) > Math.floor(before / 8192) && performance.now() - lastReport > 2000) {
        lastReport = performance.now();
        log(`  [${storeName} ${mode}] ${done}/${total} settled, ${Math.round(done / ((lastReport - started) / 1000))}/s so far`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.round(inFlight / chunk)) }, worker));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const loop = performance.eventLoopUtilization(loopBefore);
  const writerAfter = writerBusy(store);
  const result: Result = {
    store: storeName,
    mode,
    settlements: total,
    seconds,
    perSecond: total / seconds,
    p50: histogram.getValueAtPercentile(50) / 1000,
    p99: histogram.getValueAtPercentile(99) / 1000,
    p999: histogram.getValueAtPercentile(99.9) / 1000,
    max: histogram.maxValue / 1000,
    batches: executor instanceof CommandBatcher ? executor.batches : undefined,
    cpuPerSettlement: (cpu.user + cpu.system) / total,
    mainPerSettlement: (loop.active * 1000) / total,
    writerPerSettlement: writerBefore === undefined || writerAfter === undefined ? undefined : ((writerAfter - writerBefore) * 1000) / total,
  };
  log(
    `  [${storeName} ${mode}] ${total} settlements in ${seconds.toFixed(2)} s: ${Math.round(result.perSecond)}/s, latency ms p50 ${result.p50.toFixed(2)} p99 ${result.p99.toFixed(2)} p99.9 ${result.p999.toFixed(2)} max ${result.max.toFixed(2)}, cpu ${result.cpuPerSettlement.toFixed(1)} us/settlement, main thread busy ${result.mainPerSettlement.toFixed(1)} us/settlement` +
      (result.writerPerSettlement === undefined ? "" : `, writer thread busy ${result.writerPerSettlement.toFixed(1)} us/settlement`) +
      (result.batches ? `, ${result.batches} batches (avg ${Math.round(total / result.batches)})` : ""),
  );
  return result;
}

async function verify(store: LedgerStore): Promise<void> {
  const audit = await store.audit();
  if (audit.negative.length > 0) throw new Error("negative balances after the bench");
  for (const [asset, total] of audit.balances) {
    if (total !== (audit.netInflow.get(asset) ?? 0n)) throw new Error(`funds not conserved in ${asset}`);
  }
  const fallbacks = (store as { fallbacks?: number }).fallbacks;
  log(`  invariant checked: ${audit.transfers} transfers, funds conserved, no negative balance${fallbacks === undefined ? "" : `; ${fallbacks} batches fell back to row locks`}`);
}

/** `store`: the store as the service runs it; `plain`: the same database without the working-set cache or writer thread. */
async function benchStore(name: string, open: () => Promise<{ store: LedgerStore; plain: LedgerStore; dispose(): Promise<void> }>): Promise<Result[]> {
  log(`\n== ${name}: ${ACCOUNTS} accounts, batched ${SETTLEMENTS} settlements (${IN_FLIGHT} in flight, ${CHUNK} per call), naive ${NAIVE_SETTLEMENTS} (${NAIVE_IN_FLIGHT} in flight)`);
  const { store, plain, dispose } = await open();
  try {
    const run = `b${Date.now().toString(36)}`;
    log("  preparing accounts and holds...");
    await prepare(store, run);
    const batched = await measure(name, "batched", store, new CommandBatcher(store, { maxBatch: MAX_BATCH }), run, SETTLEMENTS, IN_FLIGHT, CHUNK);
    // The naive baseline: one transaction per settlement, rows locked, no cache.
    const naive = await measure(name, "naive", plain, plain, run, NAIVE_SETTLEMENTS, NAIVE_IN_FLIGHT, 1);
    await verify(store);
    return [batched, naive];
  } finally {
    await store.close();
    await plain.close();
    await dispose();
  }
}

const DURABILITY = ["fsync", "synchronous_commit", "full_page_writes"] as const;

/**
 * Every acknowledged settlement must be on disk, so the server must flush its WAL at commit. The
 * test server runs without (tests/infra: fsync, synchronous_commit and full_page_writes off, for
 * speed): for the bench they are turned on with ALTER SYSTEM + reload (all three take effect
 * without a restart), checked, and put back afterwards.
 */
async function makeDurable(admin: <T extends pg.QueryResultRow>(statement: string) => Promise<pg.QueryResult<T>>): Promise<() => Promise<void>> {
  const show = async () => Object.fromEntries(await Promise.all(DURABILITY.map(async (setting) => [setting, (await admin<Record<string, string>>(`SHOW ${setting}`)).rows[0]![setting]!] as const)));
  const before = await show();
  const off = DURABILITY.filter((setting) => before[setting] !== "on");
  if (off.length === 0) {
    log("  PostgreSQL: fsync, synchronous_commit and full_page_writes are on");
    return async () => {};
  }
  for (const setting of off) await admin(`ALTER SYSTEM SET ${setting} = on`);
  await admin("SELECT pg_reload_conf()");
  for (let attempt = 0; ; attempt += 1) {
    const now = await show();
    if (DURABILITY.every((setting) => now[setting] === "on")) break;
    if (attempt === 50) throw new Error(`PostgreSQL did not turn on ${off.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log(`  PostgreSQL: turned on ${off.join(", ")} for the bench (ALTER SYSTEM; put back at the end): every commit is flushed`);
  return async () => {
    for (const setting of off) await admin(`ALTER SYSTEM RESET ${setting}`);
    await admin("SELECT pg_reload_conf()");
  };
}

async function main(): Promise<void> {
  log(`ledger bench: node ${process.version}, SQLite synchronous=${process.env.EXCHANGE_SQLITE_SYNCHRONOUS ?? "FULL"}`);
  const results: Result[] = [];
  if (STORES.includes("sqlite")) {
    results.push(
      ...(await benchStore("sqlite", async () => {
        const dir = mkdtempSync(join(tmpdir(), "ledger-bench-"));
        const url = `sqlite:${join(dir, "ledger.sqlite")}`;
        const store = await SqlLedgerStore.open(openDatabase<WalletDb>(url));
        const plain = await SqlLedgerStore.open(openDatabase<WalletDb>(url), { cached: false });
        return { store, plain, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
      })),
    );
  }
  if (STORES.includes("postgres")) {
    results.push(
      ...(await benchStore("postgres", async () => {
        const name = `wallet_bench_${Date.now().toString(36)}`;
        const admin = async <T extends pg.QueryResultRow>(statement: string) => {
          const client = new pg.Client({ connectionString: PG_URL });
          await client.connect();
          return client.query<T>(statement).finally(() => client.end());
        };
        const restore = await makeDurable(admin);
        await admin(`CREATE DATABASE ${name}`);
        const url = new URL(PG_URL);
        url.pathname = `/${name}`;
        const store = await SqlLedgerStore.open(openDatabase<WalletDb>(url.toString()));
        const plain = await SqlLedgerStore.open(openDatabase<WalletDb>(url.toString()), { cached: false });
        return {
          store,
          plain,
          dispose: async () => {
            await new Promise((resolve) => setTimeout(resolve, 250));
            await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            await restore();
          },
        };
      })),
    );
  }
  log(`\nload average at the end: ${loadavg().map((value) => value.toFixed(1)).join(" ")} on ${availableParallelism()} cores`);
  log("| store | mode | settlements | settlements/s | p50 ms | p99 ms | p99.9 ms | max ms | cpu us/settlement | main thread us/settlement | writer thread us/settlement |");
  log("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const r of results) {
    log(
      `| ${r.store} | ${r.mode} | ${r.settlements} | ${Math.round(r.perSecond)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.p999.toFixed(2)} | ${r.max.toFixed(2)} | ${r.cpuPerSettlement.toFixed(1)} | ${r.mainPerSettlement.toFixed(1)} | ${r.writerPerSettlement?.toFixed(1) ?? "-"} |`,
    );
  }
  for (const store of new Set(results.map((r) => r.store))) {
    const batched = results.find((r) => r.store === store && r.mode === "batched");
    const naive = results.find((r) => r.store === store && r.mode === "naive");
    if (batched && naive) log(`${store}: batched / naive throughput = ${(batched.perSecond / naive.perSecond).toFixed(1)}x`);
  }
  const targets = { sqlite: 100_000, postgres: 20_000 } as Record<string, number>;
  for (const r of results.filter((candidate) => candidate.mode === "batched")) {
    const target = targets[r.store];
    if (target) log(`${r.store}: target ${target}/s ${r.perSecond >= target ? "MET" : "NOT MET"} (${Math.round(r.perSecond)}/s)`);
  }
}

await main();
