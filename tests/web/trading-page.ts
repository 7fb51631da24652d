/**
 * The trading page in a real browser (`npm run test:web`, a .ci/run stage): Debian's chromium, headless, driven by
 * playwright-core, against the whole exchange embedded in this process on free loopback ports, the page served by
 * the edge at /app/ and talking to its public Connect API (Connect-Web, bearer token).
 *
 * Alice signs up and in on the page, turns on TOTP there, is funded, signs out and back in with a TOTP code. Bob
 * (a second user, through @exchange/sdk) offers BTC; his ask appears in the page's book over StreamDepth. Alice
 * buys part of it on the page: the fill, her balances changing to what the API says, the trade in the tape and in
 * her trades and history. She places a resting order and cancels it. A blank page on another origin reaches the API
 * with a bearer token only when EDGE_CORS_ORIGINS lists that origin (the browser's preflight). Screenshots of each step go to
 * artifacts/web/ (not committed). The last line says how many checks passed and failed; exit 0 when all did.
 *
 *   npm run test:web      (installs chromium if missing, builds web/dist, runs this)
 * Env: CHROMIUM (the browser binary; default: chromium on PATH), ARTIFACTS_DIR (default artifacts/web).
 */
import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { generate } from "otplib";
import { chromium, type Page } from "playwright-core";
import { ExchangeClient, OrderType, Side, TimeInForce } from "@exchange/sdk";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { createLogger } from "#kit/telemetry/logger.js";
import { startExchange } from "../../services/runtime.js";
import type { WalletParts } from "../../services/wallet/src/main.js";

// The functions given to page.waitForFunction run in the browser: the little of the DOM they use, typed here (a
// module-scoped declaration, so the rest of the project keeps its Node-only globals).
interface BrowserElement {
  readonly textContent: string | null;
  readonly className: string;
  readonly children: ArrayLike<BrowserElement> & Iterable<BrowserElement>;
}
declare const document: { querySelector(selector: string): BrowserElement | null; querySelectorAll(selector: string): ArrayLike<BrowserElement> & Iterable<BrowserElement> };

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const artifacts = resolve(process.env.ARTIFACTS_DIR ?? join(repo, "artifacts", "web"));
const browserPath = process.env.CHROMIUM ?? spawnSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).stdout.trim();
const log = (line: string) => process.stdout.write(`web: ${line}\n`);
const PASSWORD = "correct horse battery staple";
const UNIT = 10n ** 8n;
const WAIT_MS = 15_000;

let passed = 0;
let failed = 0;
async function step(label: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    passed++;
    log(`ok   ${label}`);
  } catch (error) {
    failed++;
    log(`FAIL ${label}: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
}

const textOf = (page: Page, selector: string) => page.locator(selector).first().textContent({ timeout: WAIT_MS });
/** Waits until the element's text is exactly `text`. */
async function waitText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(([s, t]) => document.querySelector(s!)?.textContent === t, [selector, text], { timeout: WAIT_MS }).catch(async () => {
    throw new Error(`${selector} says ${JSON.stringify(await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null))}, not ${JSON.stringify(text)}`);
  });
}
/** A table row whose cells read `cells` in order (exactly). */
async function waitRow(page: Page, body: string, cells: string[]): Promise<void> {
  await page
    .waitForFunction(([b, c]) => [...document.querySelectorAll(`#${b} tr`)].some((tr) => [...tr.children].slice(0, c!.length).map((td) => td.textContent).join("|") === c!.join("|")), [body, cells] as const, { timeout: WAIT_MS })
    .catch(async () => {
      const seen = await page.locator(`#${body} tr`).allTextContents();
      throw new Error(`no row ${JSON.stringify(cells)} in #${body}: ${JSON.stringify(seen)}`);
    });
}
async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** A blank page on its own loopback port: another origin. */
async function blankOrigin(): Promise<{ server: Server; origin: string; url: string }> {
  const server = createServer((_request, response) => response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>elsewhere</title>"));
  await new Promise<void>((resolvePromise) => server.listen(0, "127.0.0.1", resolvePromise));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, origin, url: `${origin}/` };
}

if (!browserPath) {
  console.log("chromium not found: run tests/web/install-chromium.sh (or set CHROMIUM)");
  console.log("0 passed, 1 failed");
  process.exit(1);
}
mkdirSync(artifacts, { recursive: true });
mkdirSync(join(repo, "tmp"), { recursive: true });
const started = Date.now();
const dataDir = mkdtempSync(join(repo, "tmp", "web-"));
// Two other origins (blank pages on their own ports) for the CORS checks: the edge allows the first only.
const [allowed, refused] = await Promise.all([blankOrigin(), blankOrigin()]);
const exchange = await startExchange(
  { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
  { ...process.env, LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false", EDGE_WEB_DIR: join(repo, "web", "dist"), EDGE_CORS_ORIGINS: allowed.origin },
  createLogger(process.env.LOG_LEVEL ?? "warn"),
);
const browser = await chromium.launch({ executablePath: browserPath, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
const pageErrors: string[] = [];
try {
  const baseUrl = exchange.listening.http1Url;
  log(`exchange embedded at ${baseUrl}, ${browserPath} (${Date.now() - started} ms)`);
  const wallet = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts.wallet;
  // The wallet's internal API (loopback only): the balances as the API formats them, for any account.
  const internalWallet = createClient(WalletService, createConnectTransport({ baseUrl }));
  const balanceOf = async (accountId: string, asset: string) => (await internalWallet.getBalances({ accountId, assets: [asset] })).balances[0]!;

  const bob = new ExchangeClient({ baseUrl: `${baseUrl}/connect` });
  const bobId = (await bob.auth.signUp({ email: "bob@example.com", password: PASSWORD })).userId;
  await wallet.creditDeposit("web-fund-bob", bobId, "BTC", UNIT);
  await bob.signIn("bob@example.com", PASSWORD);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // Errors the page logs, except the browser's own line for each refused call (the sign-in without a code is one).
  page.on("console", (message) => message.type() === "error" && !message.text().startsWith("Failed to load resource") && pageErrors.push(message.text()));
  page.on("response", (response) => response.status() === 404 && pageErrors.push(`404 ${response.url()}`));
  let aliceId = "";

  await step("the edge serves the page at /app/ and it loads the market over Connect", async () => {
    await page.goto(`${baseUrl}/app/`);
    await waitText(page, "#market-symbol", "BTCUSDT");
    await page.locator("#symbol option", { hasText: "BTCUSDT" }).waitFor({ state: "attached", timeout: WAIT_MS });
    await shot(page, "01-signed-out");
  });

  await step("alice signs up and signs in on the page", async () => {
    await page.fill("#email", "alice@example.com");
    await page.fill("#password", PASSWORD);
    await page.click("#sign-up");
    await waitText(page, "#auth-note", "Account created: sign in.");
    await page.click("#sign-in");
    await page.waitForSelector("body.signed-in", { timeout: WAIT_MS });
    aliceId = (await page.locator("#who").getAttribute("data-user-id")) ?? "";
    if (!aliceId) throw new Error("no user id on the page");
  });

  await step("alice turns on TOTP on the page and gets recovery codes", async () => {
    await page.click("#totp-enroll");
    await page.locator("#totp-secret").waitFor({ state: "visible", timeout: WAIT_MS });
    const secret = (await textOf(page, "#totp-secret"))!;
    await page.fill("#totp-code", await generate({ secret }));
    await page.click("#totp-confirm");
    await page.waitForFunction(() => (document.querySelector("#recovery-codes")?.textContent ?? "").trim().length > 0, undefined, { timeout: WAIT_MS });
    await shot(page, "02-totp-enabled");
    await wallet.creditDeposit("web-fund-alice", aliceId, "USDT", 100_000n * UNIT);

    // Signing in again needs a code: without one the page shows the refusal, with one it signs in.
    await page.click("#sign-out");
    await page.fill("#email", "alice@example.com");
    await page.fill("#password", PASSWORD);
    await page.click("#sign-in");
    await page.waitForFunction(() => document.querySelector("#auth-note")?.className === "note error", undefined, { timeout: WAIT_MS });
    await page.fill("#password", PASSWORD);
    // The next step's code: the one just confirmed may not be used twice, and one step of drift is accepted.
    await page.fill("#totp", await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
    await page.click("#sign-in");
    await page.waitForSelector("body.signed-in", { timeout: WAIT_MS });
  });

  await step("her balances are the API's strings", async () => {
    const usdt = await balanceOf(aliceId, "USDT");
    await waitText(page, "#balances tr[data-asset=USDT] td:nth-child(2)", usdt.free);
    if (usdt.free !== "100000.00000000") throw new Error(`the API says ${usdt.free}`);
    await shot(page, "03-signed-in-funded");
  });

  await step("bob's ask appears in the page's book over the depth stream", async () => {
    await bob.order.placeOrder({ symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: "30000", quantity: "0.5" });
    await waitRow(page, "book-asks", ["30000.00000000", "0.50000000"]);
  });

  await step("alice buys part of it on the page: the fill, the tape, her trades and history", async () => {
    await page.selectOption("#side", "BUY");
    await page.fill("#price", "30000");
    await page.fill("#quantity", "0.2");
    await page.click("#place");
    await page.waitForFunction(() => /FILLED, 0\.20000000 of 0\.20000000 filled/.test(document.querySelector("#order-note")?.textContent ?? ""), undefined, { timeout: WAIT_MS });
    await page.waitForFunction(() => [...document.querySelectorAll("#tape tr")].some((tr) => tr.children[1]?.textContent === "30000.00000000" && tr.children[2]?.textContent === "0.20000000"), undefined, { timeout: WAIT_MS });
    await page.waitForFunction(() => [...document.querySelectorAll("#my-trades tr")].some((tr) => tr.children[1]?.textContent === "BUY" && tr.children[2]?.textContent === "30000.00000000" && tr.children[3]?.textContent === "0.20000000"), undefined, { timeout: WAIT_MS });
    await page.waitForFunction(() => document.querySelector("#order-history tr")?.children[5]?.textContent === "FILLED", undefined, { timeout: WAIT_MS });
    await waitRow(page, "book-asks", ["30000.00000000", "0.30000000"]);
  });

  await step("her balances change to what the API says: 6000 USDT paid, 0.2 BTC less the fee received", async () => {
    const [usdt, btc] = [await balanceOf(aliceId, "USDT"), await balanceOf(aliceId, "BTC")];
    if (usdt.free !== "94000.00000000") throw new Error(`the API says ${usdt.free} USDT`);
    await waitText(page, "#balances tr[data-asset=USDT] td:nth-child(2)", usdt.free);
    await waitText(page, "#balances tr[data-asset=BTC] td:nth-child(2)", btc.free);
    await shot(page, "04-filled");
  });

  await step("a resting order shows among her open orders, and Cancel removes it", async () => {
    await page.fill("#price", "25000");
    await page.fill("#quantity", "0.1");
    await page.click("#place");
    await waitRow(page, "open-orders", ["BUY", "25000.00000000", "0.10000000", "0.00000000", "NEW"]);
    await waitRow(page, "book-bids", ["25000.00000000", "0.10000000"]);
    await waitText(page, "#balances tr[data-asset=USDT] td:nth-child(3)", (await balanceOf(aliceId, "USDT")).locked);
    await shot(page, "05-resting-order");
    await page.click("#open-orders button.cancel");
    await page.waitForFunction(() => document.querySelectorAll("#open-orders tr").length === 0, undefined, { timeout: WAIT_MS });
    await page.waitForFunction(() => document.querySelector("#order-history tr")?.children[5]?.textContent === "CANCELED", undefined, { timeout: WAIT_MS });
    await page.waitForFunction(() => document.querySelectorAll("#book-bids tr").length === 0, undefined, { timeout: WAIT_MS });
    await waitText(page, "#balances tr[data-asset=USDT] td:nth-child(3)", "0.00000000");
    await shot(page, "06-canceled");
  });

  await step("a page on another origin reaches the API with a bearer token only if EDGE_CORS_ORIGINS lists it", async () => {
    const other = await context.newPage();
    // A Connect JSON call as Connect-Web makes it: the Authorization header makes the browser ask first (preflight).
    const call = (url: string, token: string) =>
      other.evaluate(
        async ([u, t]) => {
          try {
            const headers: Record<string, string> = { "content-type": "application/json" };
            if (t) headers.authorization = `Bearer ${t}`;
            const response = await fetch(u!, { method: "POST", headers, body: JSON.stringify({ assets: ["BTC"] }) });
            return `${response.status} ${await response.text()}`;
          } catch (error) {
            return `refused: ${String(error)}`;
          }
        },
        [url, token] as const,
      );
    const url = `${baseUrl}/connect/exchange.wallet.v1.WalletService/GetBalances`;
    await other.goto(allowed.url);
    const answer = await call(url, bob.accessToken!);
    if (!answer.startsWith("200 ") || !answer.includes('"asset":"BTC"')) throw new Error(`allowed origin: ${answer}`);
    const anonymous = await call(url, "");
    if (!anonymous.startsWith("401 ")) throw new Error(`allowed origin, no token: ${anonymous}`);
    await other.goto(refused.url);
    const blocked = await call(url, bob.accessToken!);
    if (!blocked.startsWith("refused: ")) throw new Error(`other origin: ${blocked}`);
    await other.close();
  });

  await step("the page raised no errors", async () => {
    if (pageErrors.length > 0) throw new Error(pageErrors.join("; "));
  });
} catch (error) {
  if (!(error instanceof Error && failed > 0)) {
    failed++;
    log(`FAIL ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  for (const page of browser.contexts().flatMap((c) => c.pages())) await shot(page, "failure").catch(() => undefined);
} finally {
  await browser.close();
  await exchange.stop();
  allowed.server.close();
  refused.server.close();
  rmSync(dataDir, { recursive: true, force: true });
}
log(`screenshots in ${artifacts}; done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
