// Archives and statements end to end on one object store engine (the embedded directory store, or S3 on moto):
// the whole exchange in one process trades, order and wallet write the day's Parquet partitions, the restore
// check finds them equal to the stores (and says so when the stores move on), and a statement comes back
// through its URL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService, ResponseType } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { decodeParquet } from "#kit/archive/parquet.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { openObjectStore, readPortsConfig } from "#kit/adapters/ports.config.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { TRADE_COLUMNS } from "../../../services/order/src/domain/trades-archive.js";
import { LEDGER_COLUMNS } from "../../../services/wallet/src/domain/ledger-archive.js";

/** A python with duckdb, for the check that DuckDB reads what we write (skipped where there is none). */
function duckdbPython(): string | undefined {
  for (const candidate of [process.env.DUCKDB_PYTHON, "python3"].filter(Boolean) as string[]) {
    if (spawnSync(candidate, ["-c", "import duckdb"], { stdio: "ignore" }).status === 0) return candidate;
  }
  return undefined;
}

export function archivesSuite(engine: string, env: () => Record<string, string>): void {
  describe(`archives and statements: ${engine}`, () => {
    let dataDir: string;
    let exchange: RunningExchange;
    let order: ReturnType<typeof createClient<typeof OrderService>>;
    let wallet: ReturnType<typeof createClient<typeof WalletService>>;
    let walletParts: WalletParts;
    const today = new Date().toISOString().slice(0, 10);
    const engineEnv = env();
    const settings = () => ({ LOG_LEVEL: "warn", WALLET_SIMULATED_CHAIN_FAUCET: "false", ORDER_ARCHIVE_EVERY_MS: "0", WALLET_ARCHIVE_EVERY_MS: "0", ...engineEnv });

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "archives-"));
      exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, settings());
      const transport = inProcessTransport(exchange.routes);
      order = createClient(OrderService, transport);
      wallet = createClient(WalletService, transport);
      walletParts = (exchange.modules.find((m) => m.name === "wallet") as unknown as { parts: WalletParts }).parts;
      await walletParts.wallet.creditDeposit("arch-seller-btc", "arch-seller", "BTC", 10n ** 7n);
      await walletParts.wallet.creditDeposit("arch-buyer-usdt", "arch-buyer", "USDT", 5_000n * 10n ** 8n);
    });

    afterAll(async () => {
      await exchange?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    const trade = async (price: string) => {
      const limit = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price, quantity: "0.01000000" };
      await order.placeOrder({ ...limit, accountId: "arch-seller", side: Side.SELL });
      const bought = await order.placeOrder({ ...limit, accountId: "arch-buyer", side: Side.BUY, responseType: ResponseType.FULL });
      return bought.order!;
    };

    it("archives the day's trades per symbol in Parquet, and the restore check finds them equal, then not", async () => {
      await trade("60000.00");
      await trade("60001.50");
      // Both fills of each trade are stored (the buyer's FULL answer waits for them).
      for (let i = 0; i < 100 && (await order.listMyTrades({ accountId: "arch-buyer", symbol: "BTCUSDT" })).trades.length < 2; i++) await new Promise((r) => setTimeout(r, 50));
      const written = await order.archiveTradesDay({ date: today });
      const btc = written.partitions.find((p) => p.symbol === "BTCUSDT")!;
      expect(btc).toMatchObject({ key: `trades/date=${today}/symbol=BTCUSDT/part-00000.parquet`, rows: 4 });
      expect(btc.sha256).toMatch(/^[0-9a-f]{64}$/);

      const check = await order.verifyTradesArchive({ date: today });
      expect(check.equal).toBe(true);
      expect(check.symbols.find((s) => s.symbol === "BTCUSDT")).toMatchObject({ equal: true, archived: true, archivedRows: 4, databaseRows: 4, difference: "" });

      // Read as any reader would: straight from the object store.
      const store = openObjectStore(readPortsConfig({ EXCHANGE_DATA_DIR: dataDir, ...settings() }));
      const part = await store.get(btc.key);
      await store.close();
      const rows = await decodeParquet(TRADE_COLUMNS, part!.body);
      expect(rows.map((r) => [r.side, r.liquidity, r.price, r.qty, r.account_id])).toEqual([
        ["BUY", "TAKER", "60000.00000000", "0.01000000", "arch-buyer"],
        ["SELL", "MAKER", "60000.00000000", "0.01000000", "arch-seller"],
        ["BUY", "TAKER", "60001.50000000", "0.01000000", "arch-buyer"],
        ["SELL", "MAKER", "60001.50000000", "0.01000000", "arch-seller"],
      ]);
      expect(rows[0]!.quote_qty).toBe("600.00000000");

      const py = duckdbPython();
      if (py) {
        const file = join(dataDir, "check.parquet");
        writeFileSync(file, part!.body);
        const out = spawnSync(py, ["-c", `import duckdb; print(duckdb.sql("select count(*), sum(cast(qty as decimal(38,8))), min(time) < now() from read_parquet('${file}')").fetchone())`], { encoding: "utf8" });
        expect(out.stdout.trim()).toBe("(4, Decimal('0.04000000'), True)");
      }

      // The stores move on: the archive no longer equals them, and the check says where.
      await trade("60002.00");
      const stale = await order.verifyTradesArchive({ date: today });
      expect(stale.equal).toBe(false);
      expect(stale.symbols.find((s) => s.symbol === "BTCUSDT")).toMatchObject({ equal: false, archivedRows: 4 });
      expect(stale.symbols.find((s) => s.symbol === "BTCUSDT")!.difference).toMatch(/^row 4: archived null != stored/);
      expect((await order.verifyTradesArchive({ date: "2001-01-01" })).symbols.every((s) => !s.archived && !s.equal)).toBe(true);
    });

    it("archives the day's ledger entries, equal to the ledger when read back", async () => {
      const written = await wallet.archiveLedgerDay({ date: today });
      expect(written.key).toBe(`ledger/date=${today}/part-00000.parquet`);
      expect(written.rows).toBeGreaterThanOrEqual(4);
      const check = await wallet.verifyLedgerArchive({ date: today });
      expect(check).toMatchObject({ equal: true, archived: true, archivedRows: written.rows, databaseRows: written.rows, difference: "" });
      const store = openObjectStore(readPortsConfig({ EXCHANGE_DATA_DIR: dataDir, ...settings() }));
      const rows = await decodeParquet(LEDGER_COLUMNS, (await store.get(written.key))!.body);
      await store.close();
      expect(rows.find((r) => r.transfer_id === "arch-seller-btc" || String(r.transfer_id).includes("arch-seller-btc"))).toMatchObject({ account: "arch-seller", asset: "BTC", available: "0.10000000", kind: "deposit" });
      await walletParts.wallet.creditDeposit("arch-late", "arch-buyer", "USDT", 1n);
      expect((await wallet.verifyLedgerArchive({ date: today })).equal).toBe(false);
    });

    it("hands out an account's monthly statement as a CSV behind a short-lived URL", async () => {
      const month = today.slice(0, 7);
      const statement = await wallet.requestAccountStatement({ accountId: "arch-seller", month });
      expect(statement.entries).toBeGreaterThanOrEqual(3);
      expect(Number(statement.expiresAt)).toBeGreaterThan(Date.now());
      const url = statement.url.startsWith("/") ? `${exchange.listening.http1Url}${statement.url}` : statement.url;
      const response = await fetch(url);
      expect(response.status).toBe(200);
      const csv = await response.text();
      const lines = csv.trim().split("\r\n");
      expect(lines[0]).toBe("time,transfer_id,kind,asset,available,locked,pending");
      expect(lines.some((l) => /,deposit,BTC,0\.10000000,0\.00000000,0\.00000000$/.test(l))).toBe(true);
      expect(lines).toHaveLength(statement.entries + 1);
      if (url.includes("X-Amz-Signature=")) {
        // SigV4, valid 15 minutes (moto serves pre-signed URLs without checking their signature, AWS does).
        expect(url).toMatch(/X-Amz-Expires=900/);
      } else {
        const altered = url.replace(/signature=([0-9a-f])/, (_m, c: string) => `signature=${c === "0" ? "1" : "0"}`);
        expect(altered).not.toBe(url);
        expect((await fetch(altered)).status).toBe(403);
      }
      const empty = await wallet.requestAccountStatement({ accountId: "arch-seller", month: "2001-01" });
      expect(empty.entries).toBe(0);
      await expect(wallet.requestAccountStatement({ accountId: "arch-seller", month: "2026-13" })).rejects.toThrow();
    });
  });
}
