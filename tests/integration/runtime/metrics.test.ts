import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ApiKeyType, AuthService, Permission } from "#gen/exchange/auth/v1/auth_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { readdirSync, readFileSync } from "node:fs";
import { metricNamesIn, rulesFile } from "../../support/promql.js";
import { parseExposition, type Exposition } from "../../support/prometheus.js";

// What an operator scrapes: the whole exchange in one process, two users trading over signed REST, then
// /metrics read as Prometheus reads it. Each series the chart's alerts and dashboards rely on must move
// with what really happened: orders and trades counted once, journal and settlement latency observed,
// consumers caught up with matching, the conservation audit passing, then failing once a balance is broken.

let dataDir: string;
let exchange: RunningExchange;
let base: string;
let auth: Client<typeof AuthService>;
let parts: WalletParts;

interface Key {
  readonly userId: string;
  readonly apiKey: string;
  sign(payload: string): string;
}
let alice: Key;
let bob: Key;

async function trader(email: string): Promise<Key> {
  const password = "correct horse battery staple";
  const { userId } = await auth.signUp({ email, password });
  const { tokens } = await auth.signIn({ email, password });
  const headers = { authorization: `Bearer ${tokens!.accessToken}` };
  const { key, secret } = await auth.createApiKey({ userId, type: ApiKeyType.HMAC_SHA256, permissions: [Permission.READ, Permission.TRADE], label: "bot" }, { headers });
  return { userId, apiKey: key!.apiKey, sign: (payload) => createHmac("sha256", secret).update(payload).digest("hex") };
}

async function order(key: Key, params: Record<string, string>) {
  const query = new URLSearchParams({ symbol: "BTCUSDT", type: "LIMIT", timeInForce: "GTC", newOrderRespType: "RESULT", ...params, timestamp: String(Date.now()) }).toString();
  const response = await fetch(`${base}/api/v3/order?${query}&signature=${key.sign(query)}`, { method: "POST", headers: { "X-MBX-APIKEY": key.apiKey } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function scrape(): Promise<Exposition> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  return parseExposition(await response.text());
}

/** Scrapes until `check` holds (consumers and the audit run in the background). */
async function scrapeUntil(check: (metrics: Exposition) => boolean, timeoutMs = 15_000): Promise<Exposition> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const metrics = await scrape();
    if (check(metrics)) return metrics;
    if (Date.now() > deadline) return metrics; // the assertions that follow say what is missing
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "metrics-"));
  exchange = await startExchange(
    { service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
    {
      LOG_LEVEL: "silent",
      AUTH_ARGON2_MEMORY_KIB: "256",
      AUTH_ARGON2_TIME_COST: "1",
      WALLET_SIMULATED_CHAIN_FAUCET: "false",
      WALLET_AUDIT_MS: "100",
      EDGE_ORDERS_PER_10S: "3",
    },
  );
  base = exchange.listening.http1Url;
  auth = createClient(AuthService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
  alice = await trader("alice@example.com");
  bob = await trader("bob@example.com");
  await parts.wallet.creditDeposit("fund-alice-btc", alice.userId, "BTC", 2n * 10n ** 8n);
  await parts.wallet.creditDeposit("fund-bob-usdt", bob.userId, "USDT", 100_000n * 10n ** 8n);
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("/metrics after real trading", () => {
  it("counts orders and trades by symbol and outcome, once each", async () => {
    expect((await order(alice, { side: "SELL", quantity: "0.5", price: "30000" })).status).toBe(200);
    const buy = await order(bob, { side: "BUY", quantity: "0.2", price: "30000" });
    expect(buy.status, JSON.stringify(buy.body)).toBe(200);
    expect(buy.body.status).toBe("FILLED");
    const metrics = await scrapeUntil((m) => m.value("exchange_settlement_lag_seconds_count", { symbol: "BTCUSDT" }) === 1);
    expect(metrics.value("exchange_matching_orders_total", { symbol: "BTCUSDT", outcome: "accepted" })).toBe(2);
    expect(metrics.value("exchange_matching_orders_total", { symbol: "BTCUSDT", outcome: "filled" })).toBe(1);
    expect(metrics.value("exchange_matching_trades_total", { symbol: "BTCUSDT" })).toBe(1);
    expect(metrics.value("exchange_settlement_lag_seconds_count", { symbol: "BTCUSDT" })).toBe(1);
    expect(metrics.type("exchange_settlement_lag_seconds")).toBe("histogram");
  });

  it("times journal appends and fsyncs, RPCs and REST requests", async () => {
    const metrics = await scrape();
    // One group per placement here: at least the two orders' groups were appended and synced.
    expect(metrics.value("exchange_matching_journal_append_duration_seconds_count", { journal: "file" })).toBeGreaterThanOrEqual(2);
    expect(metrics.value("exchange_matching_journal_records_total", { journal: "file" })).toBeGreaterThanOrEqual(2);
    expect(metrics.value("exchange_matching_journal_fsync_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(metrics.value("exchange_edge_http_request_duration_seconds_count", { route: "/api/v3/order", method: "POST", status: "200" })).toBe(2);
    // The test's own gRPC calls to auth went through the server's interceptor.
    expect(metrics.value("exchange_rpc_duration_seconds_count", { service: "exchange.auth.v1.AuthService", method: "SignUp", code: "ok" })).toBe(2);
  });

  it("shows every consumer group caught up with matching's sequence", async () => {
    const metrics = await scrapeUntil((m) => m.value("exchange_event_consumer_position", { group: "marketdata", symbol: "BTCUSDT" }) === m.value("exchange_matching_sequence", { symbol: "BTCUSDT" }));
    const head = metrics.value("exchange_matching_sequence", { symbol: "BTCUSDT" });
    expect(head).toBeGreaterThanOrEqual(2);
    expect(metrics.value("exchange_event_consumer_position", { group: "order", symbol: "BTCUSDT" })).toBe(head);
    expect(metrics.value("exchange_event_consumer_position", { group: "marketdata", symbol: "BTCUSDT" })).toBe(head);
  });

  it("counts rate-limit refusals by the limit hit", async () => {
    // EDGE_ORDERS_PER_10S=3: bob placed one order above, so some of these four go over the limit (bids
    // that rest: only placed orders count, and a price outside PERCENT_PRICE_BY_SIDE would not be).
    const before = (await scrape()).value("exchange_edge_rate_limit_refusals_total", { limit: "orders_10s" }) ?? 0;
    let refused = 0;
    for (let i = 0; i < 4; i++) if ((await order(bob, { side: "BUY", quantity: "0.001", price: "29000" })).status === 429) refused++;
    expect(refused).toBeGreaterThan(0);
    expect((await scrape()).value("exchange_edge_rate_limit_refusals_total", { limit: "orders_10s" })).toBe(before + refused);
  });

  it("audits conservation continuously: ok, then broken when a balance is changed behind the ledger's back", async () => {
    const ok = await scrapeUntil((m) => (m.value("exchange_wallet_audit_last_success_timestamp_seconds") ?? 0) > 0);
    expect(ok.value("exchange_wallet_conservation_ok")).toBe(1);
    expect(ok.value("exchange_wallet_conservation_unbalanced_assets")).toBe(0);
    expect(ok.value("exchange_wallet_withdrawals_awaiting_approval")).toBe(0);
    expect(ok.value("exchange_wallet_withdrawal_oldest_awaiting_approval_seconds")).toBe(0);

    // One unit of BTC appears in alice's balance without a transfer: what a store bug would look like.
    const db = new Database(join(dataDir, "wallet.sqlite"));
    try {
      const changed = db.prepare("UPDATE wallet_balances SET available = available + 1 WHERE account = ? AND asset = 'BTC'").run(alice.userId);
      expect(changed.changes).toBe(1);
    } finally {
      db.close();
    }
    const broken = await scrapeUntil((m) => m.value("exchange_wallet_conservation_ok") === 0);
    expect(broken.value("exchange_wallet_conservation_ok")).toBe(0);
    expect(broken.value("exchange_wallet_conservation_unbalanced_assets")).toBe(1);
  });

  it("serves every metric the chart's alert rules and dashboards query", async () => {
    const chart = resolve(import.meta.dirname, "../../../helm/exchange");
    const rules = rulesFile(readFileSync(resolve(chart, "files/prometheus-rules.yaml"), "utf8"));
    const dashboards = readdirSync(resolve(chart, "files/dashboards")).filter((file) => file.endsWith(".json"));
    expect(dashboards.length).toBe(5);
    const queries: { where: string; expr: string }[] = rules.exprs.map((expr) => ({ where: "files/prometheus-rules.yaml", expr }));
    for (const file of dashboards) {
      const json = JSON.parse(readFileSync(resolve(chart, "files/dashboards", file), "utf8")) as { panels: { targets?: { expr: string }[] }[]; templating: { list: { query?: unknown }[] } };
      for (const panel of json.panels) for (const target of panel.targets ?? []) queries.push({ where: file, expr: target.expr });
      for (const variable of json.templating.list) if (typeof variable.query === "string" && variable.query.startsWith("label_values(")) queries.push({ where: file, expr: variable.query.slice("label_values(".length).split(",")[0]! });
    }
    expect(queries.length).toBeGreaterThan(40);
    // What /metrics serves: each family, a histogram's also as _bucket, _sum and _count.
    const exposition = await scrape();
    const served = new Set<string>();
    for (const line of (await (await fetch(`${base}/metrics`)).text()).split("\n")) {
      const type = /^# TYPE (\S+) (\S+)/.exec(line);
      if (!type) continue;
      served.add(type[1]!);
      if (type[2] === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) served.add(`${type[1]}${suffix}`);
    }
    expect(exposition.samples.length).toBeGreaterThan(0);
    // Not the services': Prometheus's own `up`, and cert-manager's certificate metrics (the certificate alerts).
    const elsewhere = (name: string) => name === "up" || name.startsWith("certmanager_");
    const unknown = queries.flatMap(({ where, expr }) => metricNamesIn(expr).filter((name) => !served.has(name) && !rules.records.includes(name) && !elsewhere(name)).map((name) => `${where}: ${name} in ${expr}`));
    expect(unknown).toEqual([]);
  });
});
