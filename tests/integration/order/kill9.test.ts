import { afterAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { Kysely } from "kysely";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { CancelReplaceMode, OperationResult, OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { openDatabase } from "#kit/db/database.js";
import { formatUnits, parseUnits } from "#kit/money/decimal.js";
import type { OrderTables } from "../../../services/order/src/adapters/order-store.sql.js";
import { prng } from "../../support/prng.js";
import { until } from "../../support/until.js";
import { reconcileClosedBook } from "./support.js";

// The whole embedded exchange (order + wallet + matching in one process) is SIGKILLed while
// clients trade, then restarted on the same data, several times. Every order acknowledged
// before a kill is still there with the same id afterwards; funds are conserved at every
// restart; and once all orders are closed, every account reconciles exactly to its own trades
// and fees: no trade lost or settled twice, no hold left behind. Twice: with matching's events
// reaching order over the event backbone (the embedded default: the data dir's file event log),
// where a kill also lands between matching's journal and its publisher and between order's store
// and its group's commit, and over matching's stream (MATCHING_EVENTS=stream). Among the placements
// are cancel-replaces of the trader's own orders asking for more than the free balance, so the new
// order takes the old one's funds (its hold moved in the cancel's release): a kill mid-replace leaves
// a command for the relay to deliver again, or a batch to apply again, and the hold moves once.

const ACCOUNTS = ["k1", "k2", "k3", "k4"];
const KILLS = 4;
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function startChild(dir: string, events: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "exchange-child.ts"), dir, ACCOUNTS.join(",")], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, MATCHING_EVENTS: events },
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`exchange child exited with ${code} before it was ready`)));
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("ready ")) resolve(line.slice("ready ".length));
    });
  });
  return { child, url };
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

async function totals(wallet: Client<typeof WalletService>): Promise<Map<string, bigint>> {
  const sums = new Map<string, bigint>();
  for (const accountId of [...ACCOUNTS, "@fees"]) {
    for (const balance of (await wallet.getBalances({ accountId })).balances) {
      const units = parseUnits(balance.free, 8) + parseUnits(balance.locked, 8) + parseUnits(balance.pendingWithdrawal, 8);
      sums.set(balance.asset, (sums.get(balance.asset) ?? 0n) + units);
    }
  }
  return sums;
}

describe.each(["event-log", "stream"])("the whole exchange under kill -9 (MATCHING_EVENTS=%s)", (events) => {
  it(`keeps every acknowledged order, conserves funds and settles exactly once across ${KILLS} kills`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "exchange-kill9-"));
    dirs.push(dir);
    const random = prng(2024);
    const acknowledged = new Map<string, { accountId: string; orderId: bigint }>();
    let replaced = 0;
    let sequence = 0;
    for (let round = 0; round <= KILLS; round++) {
      const { child, url } = await startChild(dir, events);
      const transport = createGrpcTransport({ baseUrl: url });
      const orders = createClient(OrderService, transport);
      const wallet = createClient(WalletService, transport);

      // After a restart: everything acknowledged is there, under the same id; funds conserved.
      for (const [clientOrderId, known] of acknowledged) {
        const { order } = await orders.getOrder({ accountId: known.accountId, symbol: "BTCUSDT", origClientOrderId: clientOrderId });
        expect(order?.orderId, clientOrderId).toBe(known.orderId);
      }
      const sums = await totals(wallet);
      expect(sums.get("BTC")).toBe(3n * 10n ** 8n * BigInt(ACCOUNTS.length));
      expect(sums.get("USDT")).toBe(50_000n * 10n ** 8n * BigInt(ACCOUNTS.length));

      if (round === KILLS) {
        for (const accountId of ACCOUNTS) await orders.cancelAllOrders({ accountId, symbol: "BTCUSDT" });
        const { trades } = await reconcileClosedBook(orders, wallet, new Map(ACCOUNTS.map((a) => [a, { btc: 3n * 10n ** 8n, usdt: 50_000n * 10n ** 8n }])));
        expect(trades).toBeGreaterThan(10);
        await killHard(child);
        break;
      }

      // Trade from several clients at once until the kill lands mid-flight.
      let stop = false;
      const trader = async () => {
        while (!stop) {
          const accountId = ACCOUNTS[Math.floor(random() * ACCOUNTS.length)];
          const clientOrderId = `c${++sequence}`;
          const side = random() < 0.5 ? Side.BUY : Side.SELL;
          const cents = 2_999_500 + Math.floor(random() * 1_000);
          const lots = 1_000 + Math.floor(random() * 20_000);
          const price = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
          if (random() < 0.3) {
            // Replace one of its open orders by one on the same side needing its free balance and about half of what
            // the old order still holds: the old hold pays the rest.
            try {
              const open = (await orders.listOpenOrders({ accountId, symbol: "BTCUSDT" })).orders;
              if (open.length === 0) continue;
              const target = open[Math.floor(random() * open.length)]!;
              const buy = target.side === Side.BUY;
              const { balances } = await wallet.getBalances({ accountId, assets: [buy ? "USDT" : "BTC"] });
              const free = parseUnits(balances[0]?.free ?? "0", 8);
              // a lot is 0.00001 BTC (1000 units); at `cents` it costs cents x 10 USDT units
              const freeLots = buy ? free / (BigInt(cents) * 10n) : free / 1000n;
              const left = (parseUnits(target.origQty, 8) - parseUnits(target.executedQty, 8)) / 1000n;
              const wanted = freeLots + left / 2n + 1n;
              const outcome = await orders.cancelReplaceOrder({
                cancel: { accountId, symbol: "BTCUSDT", orderId: target.orderId },
                place: { accountId, symbol: "BTCUSDT", side: target.side, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price, quantity: formatUnits(wanted * 1000n, 8), clientOrderId },
                mode: random() < 0.5 ? CancelReplaceMode.STOP_ON_FAILURE : CancelReplaceMode.ALLOW_FAILURE,
              });
              if (outcome.placed) acknowledged.set(clientOrderId, { accountId, orderId: outcome.placed.orderId });
              if (outcome.cancelResult === OperationResult.SUCCESS && outcome.newOrderResult === OperationResult.SUCCESS) replaced += 1;
            } catch (error) {
              if (stop) return; // the kill cut this call: whatever it did is checked after the restart
              throw error;
            }
            continue;
          }
          try {
            const { order } = await orders.placeOrder({
              accountId,
              symbol: "BTCUSDT",
              side,
              type: OrderType.LIMIT,
              timeInForce: TimeInForce.GTC,
              price,
              quantity: `0.${String(lots).padStart(5, "0")}`,
              clientOrderId,
            });
            acknowledged.set(clientOrderId, { accountId, orderId: order!.orderId });
          } catch (error) {
            if (stop) return; // the kill cut this call: it was never acknowledged
            const reason = ConnectError.from(error).rawMessage;
            if (!/insufficient balance/i.test(reason)) throw error;
          }
        }
      };
      const before = acknowledged.size;
      const traders = Array.from({ length: 4 }, trader);
      await new Promise((resolve) => setTimeout(resolve, 1_000 + random() * 1_500));
      // Enough trading in every round however loaded the machine is (the kill still lands mid-flight).
      await until(() => acknowledged.size - before >= 13, 60_000);
      stop = true;
      await killHard(child);
      // A trader that failed before the kill (anything but a refused hold) fails the test.
      for (const result of await Promise.allSettled(traders)) if (result.status === "rejected") throw result.reason;
    }
    expect(acknowledged.size).toBeGreaterThan(50);
    expect(replaced).toBeGreaterThan(5);
    // Some replacements took their old order's funds (and were placed): the path the kills had to keep exact.
    const database = openDatabase<OrderTables>(`sqlite:${join(dir, "order.sqlite")}`);
    try {
      const rows = await (database.db as Kysely<OrderTables>).selectFrom("order_orders").select(["body", "status"]).execute();
      const funded = rows.filter((row) => row.status !== OrderStatus.REJECTED && /"fundedByTarget":"[1-9][0-9]*n"/.test(row.body));
      expect(funded.length).toBeGreaterThan(0);
    } finally {
      await database.close();
    }
  }, 180_000);
});
