/**
 * The SDK smoke tests (`npm run test:sdk`, a .ci/run stage): starts the whole exchange embedded on free loopback
 * ports, then for each SDK (TypeScript, Go, Python) signs up four fresh users through the public Connect API, funds
 * them (wallet's operator credit, which the public API does not serve), and runs that SDK's smoke program
 * (sdk/typescript/examples/smoke.ts, sdk/go/cmd/smoke, sdk/python/examples/smoke.py) against the edge. Each program
 * signs in, reads the book, places an order, finds it among the open orders, streams the trade it makes, cancels it,
 * reads balances over Connect and over signed REST (HMAC and Ed25519) and prints a JSON transcript without ids.
 * Here each transcript is checked against what the exchange must have answered, then the three against each other.
 *
 *   npx tsx --conditions=source tests/sdk/smoke.ts [--only typescript,go,python]
 *
 * Needs sdk/tools.sh's tools (Go; the Python venv at $SDK_TOOLS_DIR or $INFRA_DIR/sdk or .infra/sdk). Exit 0 when
 * every check held; the last line says how many passed and failed.
 */
import { spawn, spawnSync } from "node:child_process";
import { isDeepStrictEqual } from "node:util";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { createLogger } from "#kit/telemetry/logger.js";
import { startExchange } from "../../services/runtime.js";
import type { WalletParts } from "../../services/wallet/src/main.js";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const argv = process.argv.slice(2);
const ALL = ["typescript", "go", "python"] as const;
type Sdk = (typeof ALL)[number];
const only = argv.includes("--only") ? (argv[argv.indexOf("--only") + 1]!.split(",") as Sdk[]) : [...ALL];
const tools = process.env.SDK_TOOLS_DIR ?? join(process.env.INFRA_DIR ?? join(repo, ".infra"), "sdk");
const log = (line: string) => process.stdout.write(`sdk-smoke: ${line}\n`);
const PASSWORD = "correct horse battery staple";
const UNIT = 10n ** 8n;

const COMMANDS: Record<Sdk, { prepare?: () => void; command: string[]; cwd: string }> = {
  typescript: { command: [join(repo, "node_modules/.bin/tsx"), "--conditions=source", "examples/smoke.ts"], cwd: join(repo, "sdk/typescript") },
  go: {
    prepare: () => {
      run("go", ["test", "."], join(repo, "sdk/go")); // the signing helpers' unit tests
      run("go", ["build", "-o", join(tools, "bin/exchange-sdk-smoke"), "./cmd/smoke"], join(repo, "sdk/go"));
    },
    command: [join(tools, "bin/exchange-sdk-smoke")],
    cwd: join(repo, "sdk/go"),
  },
  python: {
    // The package as a user installs it (pyproject.toml), its pinned dependencies already in the venv.
    prepare: () => {
      run(join(tools, "venv/bin/python"), ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps", "--no-build-isolation", "--force-reinstall", "."], join(repo, "sdk/python"));
      run(join(tools, "venv/bin/python"), ["-m", "unittest", "discover", "-s", "tests"], join(repo, "sdk/python")); // the signing helpers' unit tests
    },
    command: [join(tools, "venv/bin/python"), "examples/smoke.py"],
    cwd: join(repo, "sdk/python"),
  },
};

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, GOFLAGS: "-mod=readonly -buildvcs=false" } });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

function runClient(sdk: Sdk, env: Record<string, string>): Promise<string> {
  const { command, cwd } = COMMANDS[sdk];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command[0]!, command.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise(out);
      else reject(new Error(`${sdk} smoke exited with ${signal ?? code}: ${out.slice(-2000)}`));
    });
  });
}

let passed = 0;
let failed = 0;
function check(label: string, ok: boolean, detail?: unknown): void {
  if (ok) passed++;
  else failed++;
  log(`${ok ? "ok  " : "FAIL"} ${label}${ok ? "" : `: ${JSON.stringify(detail)}`}`);
}

type Summary = Record<string, string>;
interface Transcript {
  bookBefore: { bids: string[][]; asks: string[][] };
  bookAfter: { bids: string[][]; asks: string[][] };
  placed: Summary;
  openOrders: Summary[];
  openOrdersHavePlaced: boolean;
  takerOrder: Summary;
  streamedTrade: { symbol: string; price: string; qty: string; quoteQty: string; isBuyerMaker: boolean };
  openOrdersAfterFill: Summary[];
  canceled: Summary;
  openOrdersAfterCancel: Summary[];
  balances: { maker: { asset: string; free: string; locked: string }[]; taker: { asset: string; free: string; locked: string }[] };
  restBalances: { hmac: unknown[]; ed25519: unknown[] };
}

/** What the exchange must have answered, whichever language asked. */
function checkTranscript(sdk: Sdk, t: Transcript): void {
  const order = { symbol: "BTCUSDT", side: "SIDE_SELL", type: "ORDER_TYPE_LIMIT", timeInForce: "TIME_IN_FORCE_GTC", price: "30000.00000000", origQty: "0.50000000" };
  check(`${sdk}: the book starts empty and ends as it started`, isDeepStrictEqual(t.bookBefore, { bids: [], asks: [] }) && isDeepStrictEqual(t.bookAfter, t.bookBefore), [t.bookBefore, t.bookAfter]);
  check(`${sdk}: the placed order rests, NEW`, isDeepStrictEqual(t.placed, { ...order, status: "ORDER_STATUS_NEW", executedQty: "0.00000000", cummulativeQuoteQty: "0.00000000" }), t.placed);
  check(`${sdk}: it is the one open order`, t.openOrdersHavePlaced && isDeepStrictEqual(t.openOrders, [t.placed]), t.openOrders);
  check(`${sdk}: the taker's IOC buy fills at the resting price`, t.takerOrder.status === "ORDER_STATUS_FILLED" && t.takerOrder.executedQty === "0.20000000" && t.takerOrder.cummulativeQuoteQty === "6000.00000000", t.takerOrder);
  check(`${sdk}: the trade comes down the stream`, isDeepStrictEqual(t.streamedTrade, { symbol: "BTCUSDT", price: "30000.00000000", qty: "0.20000000", quoteQty: "6000.00000000", isBuyerMaker: false }), t.streamedTrade);
  check(`${sdk}: the order stays open, partly filled`, isDeepStrictEqual(t.openOrdersAfterFill, [{ ...order, status: "ORDER_STATUS_PARTIALLY_FILLED", executedQty: "0.20000000", cummulativeQuoteQty: "6000.00000000" }]), t.openOrdersAfterFill);
  check(`${sdk}: cancel answers CANCELED and the open orders are empty`, t.canceled.status === "ORDER_STATUS_CANCELED" && t.canceled.executedQty === "0.20000000" && t.openOrdersAfterCancel.length === 0, [t.canceled, t.openOrdersAfterCancel]);
  const makerBtc = t.balances.maker.find((b) => b.asset === "BTC");
  const takerUsdt = t.balances.taker.find((b) => b.asset === "USDT");
  check(`${sdk}: the maker sold 0.2 BTC and holds nothing locked`, makerBtc?.free === "1.80000000" && makerBtc.locked === "0.00000000", t.balances.maker);
  check(`${sdk}: the taker paid 6000 USDT`, takerUsdt?.free === "94000.00000000" && takerUsdt.locked === "0.00000000", t.balances.taker);
  check(`${sdk}: signed REST (HMAC and Ed25519) sees the balances Connect sees`, isDeepStrictEqual(t.restBalances.hmac, t.balances.maker) && isDeepStrictEqual(t.restBalances.ed25519, t.balances.maker), t.restBalances);
}

const started = Date.now();
// Builds and installs first: a synchronous build would stall the exchange running in this process.
for (const sdk of only) {
  const t0 = Date.now();
  COMMANDS[sdk].prepare?.();
  if (COMMANDS[sdk].prepare) log(`${sdk}: built in ${Date.now() - t0} ms`);
}
mkdirSync(join(repo, "tmp"), { recursive: true });
const dataDir = mkdtempSync(join(repo, "tmp", "sdk-smoke-"));
const exchange = await startExchange(
  { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
  { ...process.env, LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
  createLogger(process.env.LOG_LEVEL ?? "warn"),
);
try {
  const restUrl = exchange.listening.http1Url;
  const connectUrl = `${restUrl}/connect`;
  log(`exchange embedded at ${restUrl} (${Date.now() - started} ms)`);
  const wallet = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts.wallet;
  const auth = createClient(AuthService, createConnectTransport({ baseUrl: connectUrl }));
  const transcripts = new Map<Sdk, Transcript>();
  for (const sdk of only) {
    const t0 = Date.now();
    const users: Record<string, string> = {};
    const funding: Record<string, [string, bigint]> = { MAKER: ["BTC", 2n * UNIT], TAKER: ["USDT", 100_000n * UNIT], PROBE_MAKER: ["BTC", UNIT], PROBE_TAKER: ["USDT", 100_000n * UNIT] };
    for (const [role, [asset, amount]] of Object.entries(funding)) {
      const email = `${role.toLowerCase().replace("_", "-")}-${sdk}@example.com`;
      const { userId } = await auth.signUp({ email, password: PASSWORD });
      await wallet.creditDeposit(`sdk-smoke-${sdk}-${role}`, userId, asset, amount);
      users[`SMOKE_${role}`] = email;
    }
    const out = await runClient(sdk, { EXCHANGE_CONNECT_URL: connectUrl, EXCHANGE_REST_URL: restUrl, SMOKE_PASSWORD: PASSWORD, SMOKE_SYMBOL: "BTCUSDT", ...users });
    const transcript = JSON.parse(out.trim().split("\n").at(-1)!) as Transcript;
    transcripts.set(sdk, transcript);
    log(`${sdk}: ran in ${Date.now() - t0} ms`);
    checkTranscript(sdk, transcript);
  }
  const [first, ...others] = [...transcripts.entries()];
  for (const [sdk, transcript] of others) check(`${sdk} got the same answers as ${first![0]}`, isDeepStrictEqual(transcript, first![1]), { [first![0]]: first![1], [sdk]: transcript });
} catch (error) {
  failed++;
  log(`FAIL ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await exchange.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
