import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { startExchange } from "../../../services/runtime.js";
import type { WalletParts } from "../../../services/wallet/src/main.js";
import { reconcileClosedBook } from "./support.js";

// Funds are conserved through the whole stack under random concurrent trading: orders are
// validated and held by order + wallet, matched by matching, settled back into wallet. After
// every run (and with every order closed) the sum over all accounts, fee account included,
// equals what was deposited, nothing is negative, nothing stays locked, and each account's
// balance is exactly its deposits plus its own trades minus its own fees.

const ACCOUNTS = ["a1", "a2", "a3", "a4"];
const BTC = 10n ** 8n;

type Action =
  | { kind: "limit"; account: number; side: Side; cents: number; lots: number; tif: TimeInForce }
  | { kind: "market"; account: number; side: Side; lots: number }
  | { kind: "cancel"; account: number; pick: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("limit" as const), account: fc.nat(3), side: fc.constantFrom(Side.BUY, Side.SELL), cents: fc.integer({ min: 2_999_000, max: 3_001_000 }), lots: fc.integer({ min: 1_000, max: 30_000 }), tif: fc.constantFrom(TimeInForce.GTC, TimeInForce.GTC, TimeInForce.IOC, TimeInForce.FOK) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("market" as const), account: fc.nat(3), side: fc.constantFrom(Side.BUY, Side.SELL), lots: fc.integer({ min: 1_000, max: 20_000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cancel" as const), account: fc.nat(3), pick: fc.nat(50) }) },
);

// Refusals a random trader legitimately meets; anything else fails the run.
const EXPECTED_REASONS = new Set(["-2010", "-2011", "-2013", "-1013"]);

const decimal = (units: bigint, scale: number) => {
  const text = units.toString().padStart(scale + 1, "0");
  return `${text.slice(0, -scale)}.${text.slice(-scale)}`;
};

async function runScenario(actions: Action[], concurrency: number) {
  const dataDir = mkdtempSync(join(tmpdir(), "trading-property-"));
  const exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, { LOG_LEVEL: "silent", WALLET_SIMULATED_CHAIN_FAUCET: "false" });
  try {
    const transport = inProcessTransport(exchange.routes);
    const orders = createClient(OrderService, transport);
    const wallet = createClient(WalletService, transport);
    const parts = (exchange.modules.find((module) => module.name === "wallet") as unknown as { parts: WalletParts }).parts;
    for (const account of ACCOUNTS) {
      await parts.wallet.creditDeposit(`btc-${account}`, account, "BTC", 3n * BTC);
      await parts.wallet.creditDeposit(`usdt-${account}`, account, "USDT", 50_000n * BTC);
    }
    const placed = new Map<string, bigint[]>(ACCOUNTS.map((a) => [a, []]));
    const perform = async (step: Action) => {
      const accountId = ACCOUNTS[step.account];
      try {
        if (step.kind === "cancel") {
          const ids = placed.get(accountId)!;
          if (ids.length === 0) return;
          await orders.cancelOrder({ accountId, symbol: "BTCUSDT", orderId: ids[step.pick % ids.length] });
          return;
        }
        const response =
          step.kind === "limit"
            ? await orders.placeOrder({ accountId, symbol: "BTCUSDT", side: step.side, type: OrderType.LIMIT, timeInForce: step.tif, price: decimal(BigInt(step.cents), 2), quantity: decimal(BigInt(step.lots), 5) })
            : await orders.placeOrder({ accountId, symbol: "BTCUSDT", side: step.side, type: OrderType.MARKET, quantity: decimal(BigInt(step.lots), 5) });
        placed.get(accountId)!.push(response.order!.orderId);
      } catch (error) {
        const connectError = ConnectError.from(error);
        const reason = connectError.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
        if (!EXPECTED_REASONS.has(reason)) throw new Error(`unexpected ${Code[connectError.code]} ${reason}: ${connectError.rawMessage}`, { cause: error });
      }
    };
    for (let i = 0; i < actions.length; i += concurrency) await Promise.all(actions.slice(i, i + concurrency).map(perform));
    for (const accountId of ACCOUNTS) await orders.cancelAllOrders({ accountId, symbol: "BTCUSDT" });

    // Funds conserved, nothing negative.
    const audit = await parts.store.audit();
    expect(audit.negative).toEqual([]);
    for (const [asset, total] of audit.balances) expect(total, asset).toBe((audit.netInflow.get(asset) ?? 0n) + (audit.adjustments.get(asset) ?? 0n));

    return reconcileClosedBook(orders, wallet, new Map(ACCOUNTS.map((account) => [account, { btc: 3n * BTC, usdt: 50_000n * BTC }])));
  } finally {
    await exchange.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

describe("trading through every service, as a property", () => {
  it("conserves funds and settles every account exactly, under random concurrent orders", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 50, maxLength: 250 }), fc.integer({ min: 1, max: 8 }), async (actions, concurrency) => {
        await runScenario(actions, concurrency);
      }),
      { numRuns: 6 },
    );
  }, 240_000);

  it("really trades: a fixed busy scenario produces many settled trades", async () => {
    const actions = fc.sample(fc.array(action, { minLength: 300, maxLength: 300 }), { numRuns: 1, seed: 7 })[0];
    const { trades } = await runScenario(actions, 4);
    expect(trades).toBeGreaterThan(20);
  }, 120_000);
});
