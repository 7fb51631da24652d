import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { WithdrawalAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { FeeTierAdminService } from "#gen/exchange/admin/v1/fee_tier_pb.js";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { startExchange } from "../../../services/runtime.js";
import type { OverrideFeeTier } from "../../../services/wallet/src/domain/override-fee-tier.use-case.js";
import { until } from "../../support/until.js";
import { failure, startEmbedded, type Embedded, type Person } from "./support.js";

// Fee tiers from the back office (exchange.admin.v1.FeeTierAdminService on wallet's internal port), through the
// whole embedded exchange: two users trade 1.2M USDT through the edge, which lifts both onto VIP 1 (30-day volume
// >= 1M USDT), and the maker's next fill pays VIP 1's maker rate (9 bps instead of 10). An override wins until
// cleared, each change is in wallet's audit log, a user without the role changes nothing, and tiers survive a
// restart of the exchange on the same data directory.

let env: Embedded;
let operator: Person;
let maker: Person;
let taker: Person;
let ops: Client<typeof FeeTierAdminService>;
let stopped = false;

const USDT = 10n ** 8n;

beforeAll(async () => {
  env = await startEmbedded("fee-tier-admin-");
  operator = await env.signUp("operator@example.com", ["user", "operator"]);
  maker = await env.signUp("maker@example.com");
  taker = await env.signUp("taker@example.com");
  ops = createClient(FeeTierAdminService, operator.internal);
  await env.wallet.wallet.creditDeposit("fund-maker-btc", maker.userId, "BTC", 50n * 10n ** 8n);
  await env.wallet.wallet.creditDeposit("fund-taker-usdt", taker.userId, "USDT", 2_000_000n * USDT);
}, 60_000);

afterAll(async () => {
  if (!stopped) await env?.exchange.stop();
  if (env) rmSync(env.dataDir, { recursive: true, force: true });
});

async function usdt(person: Person): Promise<string> {
  const { balances } = await createClient(WalletService, person.edge).getBalances({ assets: ["USDT"] });
  return balances[0]?.free ?? "0";
}

/** The maker sells `quantity` BTC at 30000, the taker buys it: one trade. */
async function trade(quantity: string): Promise<void> {
  const order = { symbol: "BTCUSDT", type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: "30000", quantity };
  await createClient(OrderService, maker.edge).placeOrder({ ...order, side: Side.SELL });
  await createClient(OrderService, taker.edge).placeOrder({ ...order, side: Side.BUY });
}

describe("fee tiers from the back office", () => {
  it("are refused to a user without the operator role (PermissionDenied) and to no token (Unauthenticated), changing nothing", async () => {
    const plain = createClient(FeeTierAdminService, maker.internal);
    const calls = [
      () => plain.listFeeSchedule({}),
      () => plain.getAccountFeeTier({ accountId: maker.userId }),
      () => plain.setFeeTierOverride({ accountId: maker.userId, tier: 4, reason: "mine" }),
      () => plain.clearFeeTierOverride({ accountId: maker.userId, reason: "mine" }),
      () => plain.recomputeFeeTiers({ reason: "mine" }),
    ];
    for (const call of calls) expect((await failure(call())).code).toBe(Code.PermissionDenied);
    const anonymous = createClient(FeeTierAdminService, env.anonymous);
    expect((await failure(anonymous.setFeeTierOverride({ accountId: maker.userId, tier: 4, reason: "x" }))).code).toBe(Code.Unauthenticated);
    expect((await ops.getAccountFeeTier({ accountId: maker.userId })).account).toMatchObject({ tier: 0, overridden: false, volume30d: "0.00000000" });
    expect((await createClient(WithdrawalAdminService, operator.internal).listWalletAudit({})).entries).toEqual([]);
  });

  it("lists the schedule with each tier's rates and 30-day volume threshold", async () => {
    const schedule = await ops.listFeeSchedule({});
    expect(schedule).toMatchObject({ volumeAsset: "USDT", windowDays: 30 });
    expect(schedule.tiers.map((t) => [t.tier, t.makerBps, t.takerBps, t.minVolume])).toEqual([
      [0, 10, 10, "0.00000000"],
      [1, 9, 10, "1000000.00000000"],
      [2, 8, 10, "5000000.00000000"],
      [3, 4, 6, "20000000.00000000"],
      [4, 0, 5, "100000000.00000000"],
    ]);
  });

  it("moves accounts that traded 1.2M USDT onto VIP 1, and the maker then pays 9 bps instead of 10", async () => {
    await trade("40"); // 1 200 000 USDT; the maker receives it less 10 bps
    await until(async () => (await usdt(maker)) === "1198800.00000000");
    await until(async () => (await ops.getAccountFeeTier({ accountId: maker.userId })).account?.volume30d === "1200000.00000000");
    expect((await ops.getAccountFeeTier({ accountId: maker.userId })).account).toMatchObject({ tier: 0, volumeTier: 0 });

    const { changed, audit } = await ops.recomputeFeeTiers({ reason: "after the market maker's first day" });
    expect(changed).toBe(2);
    expect(audit).toMatchObject({ actor: operator.userId, action: "fee-tier.recompute", reason: "after the market maker's first day" });
    for (const person of [maker, taker]) {
      expect((await ops.getAccountFeeTier({ accountId: person.userId })).account).toMatchObject({ tier: 1, volumeTier: 1, makerBps: 9, takerBps: 10, overridden: false });
    }

    await trade("1"); // 30 000 USDT at 9 bps: 27 USDT fee
    await until(async () => (await usdt(maker)) === String(1198800 + 29973) + ".00000000");
  });

  it("an override wins over the volume tier until cleared; each change is audited with before and after", async () => {
    const bad = await failure(ops.setFeeTierOverride({ accountId: maker.userId, tier: 7, reason: "no such tier" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    const none = await failure(ops.clearFeeTierOverride({ accountId: taker.userId, reason: "nothing to clear" }));
    expect(none.code).toBe(Code.FailedPrecondition);

    const set = await ops.setFeeTierOverride({ accountId: maker.userId, tier: 4, reason: "market maker programme" });
    expect(set.account).toMatchObject({ tier: 4, volumeTier: 1, makerBps: 0, overridden: true, override: { tier: 4, actor: operator.userId, reason: "market maker programme" } });
    expect(set.audit).toMatchObject({ actor: operator.userId, action: "fee-tier.override.set", target: maker.userId, reason: "market maker programme" });
    expect(JSON.parse(set.audit!.beforeJson)).toMatchObject({ tier: 1, volumeTier: 1, override: null });
    expect(JSON.parse(set.audit!.afterJson)).toMatchObject({ tier: 4, override: { tier: 4, actor: operator.userId } });
    expect(await env.wallet.wallet.feeRates(maker.userId)).toEqual({ tier: 4, makerBps: 0, takerBps: 5 });

    const before = await usdt(maker);
    await trade("1"); // maker at 0 bps: the full 30 000
    await until(async () => (await usdt(maker)) === (Number(before) + 30000).toFixed(8));

    const cleared = await ops.clearFeeTierOverride({ accountId: maker.userId, reason: "programme ended" });
    expect(cleared.account).toMatchObject({ tier: 1, overridden: false });
    expect(await env.wallet.wallet.feeRates(maker.userId)).toEqual({ tier: 1, makerBps: 9, takerBps: 10 });
    const { entries } = await createClient(WithdrawalAdminService, operator.internal).listWalletAudit({});
    expect(entries.map((e) => e.action)).toEqual(["fee-tier.override.clear", "fee-tier.override.set", "fee-tier.recompute"]);
  });

  it("keeps tiers and overrides across a restart on the same data directory", async () => {
    await ops.setFeeTierOverride({ accountId: taker.userId, tier: 3, reason: "VIP deal" });
    await env.exchange.stop();
    stopped = true;
    const again = await startExchange(
      { service: "all", dataDir: env.dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 },
      { LOG_LEVEL: "warn", AUTH_ARGON2_MEMORY_KIB: "256", AUTH_ARGON2_TIME_COST: "1", WALLET_SIMULATED_CHAIN_FAUCET: "false" },
    );
    try {
      const wallet = again.modules.find((module) => module.name === "wallet") as unknown as { feeTiers: { overrides: OverrideFeeTier }; parts: { wallet: { feeRates(a: string): Promise<unknown> } } };
      expect(await wallet.parts.wallet.feeRates(taker.userId)).toEqual({ tier: 3, makerBps: 4, takerBps: 6 });
      expect(await wallet.parts.wallet.feeRates(maker.userId)).toEqual({ tier: 1, makerBps: 9, takerBps: 10 });
      expect(await wallet.feeTiers.overrides.view(taker.userId)).toMatchObject({ tier: 3, volumeTier: 1, volume: 1_260_000n * USDT, override: { tier: 3, reason: "VIP deal" } });
    } finally {
      await again.stop();
    }
  });
});
