import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { AccountAdminService, SymbolAdminService, WithdrawalAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { TransferStatus, WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { failure, startEmbedded, type Embedded, type Person } from "./support.js";

// Account freezes from the back office (exchange.admin.v1.AccountAdminService on order's internal port): the
// account's open orders are canceled, and through the edge it may read but neither trade nor withdraw
// (-2010 "This action is disabled on this account.") until an operator unfreezes it.

let env: Embedded;
let operator: Person;
let user: Person;
let ops: Client<typeof AccountAdminService>;

const buy = { symbol: "BTCUSDT", side: Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: "100.00", quantity: "0.1" };
const withdraw = { withdrawalId: "w-1", asset: "USDT", network: "ETH", amount: "50", address: "0x1111111111111111111111111111111111111111", totpCode: "" };

beforeAll(async () => {
  env = await startEmbedded("account-admin-");
  operator = await env.signUp("operator@example.com", ["user", "operator"]);
  user = await env.signUp("user@example.com");
  ops = createClient(AccountAdminService, operator.internal);
  await env.wallet.wallet.creditDeposit("fund-user-usdt", user.userId, "USDT", 10_000n * 10n ** 8n);
}, 60_000);

afterAll(async () => {
  await env?.exchange.stop();
  if (env) rmSync(env.dataDir, { recursive: true, force: true });
});

async function disabled(call: Promise<unknown>): Promise<void> {
  const error = await failure(call);
  expect(error.code).toBe(Code.FailedPrecondition);
  expect(error.rawMessage).toBe("This action is disabled on this account.");
  expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-2010");
}

describe("account freeze", () => {
  it("is refused to a user without the operator role, and nothing changes", async () => {
    const order = createClient(OrderService, user.edge);
    const resting = (await order.placeOrder(buy)).order!;
    expect((await failure(createClient(AccountAdminService, user.internal).freezeAccount({ accountId: user.userId, reason: "x" }))).code).toBe(Code.PermissionDenied);
    expect((await order.getOrder({ symbol: "BTCUSDT", orderId: resting.orderId })).order?.status).toBe(OrderStatus.NEW);
    await order.cancelOrder({ symbol: "BTCUSDT", orderId: resting.orderId });
  });

  it("cancels the account's open orders and refuses it new orders, cancels and withdrawals; reading stays", async () => {
    const order = createClient(OrderService, user.edge);
    const wallet = createClient(WalletService, user.edge);
    const resting = (await order.placeOrder(buy)).order!;
    const { canceledOrders, audit } = await ops.freezeAccount({ accountId: user.userId, reason: "fraud report 17" });
    expect(canceledOrders).toBe(1);
    expect(audit).toMatchObject({ actor: operator.userId, action: "account.freeze", target: user.userId, reason: "fraud report 17" });
    expect(JSON.parse(audit!.afterJson)).toEqual({ frozen: true, canceledOrders: 1 });
    expect((await order.getOrder({ symbol: "BTCUSDT", orderId: resting.orderId })).order?.status).toBe(OrderStatus.CANCELED);
    const usdt = (await wallet.getBalances({ assets: ["USDT"] })).balances[0]!;
    expect(usdt).toMatchObject({ free: "10000.00000000", locked: "0.00000000" });
    await disabled(order.placeOrder(buy));
    await disabled(wallet.requestWithdrawal(withdraw));
    expect((await order.listOpenOrders({ symbol: "BTCUSDT" })).orders).toEqual([]);
    // In order's audit log with the symbol actions.
    const { entries } = await createClient(SymbolAdminService, operator.internal).listSymbolAudit({ limit: 1 });
    expect(entries[0]?.action).toBe("account.freeze");
  });

  it("unfreezes: the account trades again", async () => {
    const { audit } = await ops.unfreezeAccount({ accountId: user.userId, reason: "cleared" });
    expect(JSON.parse(audit!.beforeJson)).toEqual({ frozen: true });
    const order = createClient(OrderService, user.edge);
    const placed = (await order.placeOrder(buy)).order!;
    expect(placed.status).toBe(OrderStatus.NEW);
    await order.cancelOrder({ symbol: "BTCUSDT", orderId: placed.orderId });
  });

  it("refuses an unknown account with NotFound and records nothing", async () => {
    const before = (await createClient(SymbolAdminService, operator.internal).listSymbolAudit({ limit: 1 })).entries[0]?.id;
    expect((await failure(ops.freezeAccount({ accountId: "nobody", reason: "x" }))).code).toBe(Code.NotFound);
    expect((await createClient(SymbolAdminService, operator.internal).listSymbolAudit({ limit: 1 })).entries[0]?.id).toBe(before);
  });

  it("is not reachable through the edge's public Connect API, not even with an operator's token", async () => {
    for (const call of [
      () => createClient(AuthService, operator.edge).setAccountFrozen({ userId: user.userId, frozen: true }),
      () => createClient(AccountAdminService, operator.edge).freezeAccount({ accountId: user.userId, reason: "via the edge" }),
      () => createClient(SymbolAdminService, operator.edge).haltSymbols({ reason: "via the edge" }),
      () => createClient(WithdrawalAdminService, operator.edge).listPendingWithdrawals({}),
    ]) {
      expect((await failure(call())).code).toBe(Code.Unimplemented);
    }
    const placed = (await createClient(OrderService, user.edge).placeOrder(buy)).order!;
    expect(placed.status).toBe(OrderStatus.NEW);
    await createClient(OrderService, user.edge).cancelOrder({ symbol: "BTCUSDT", orderId: placed.orderId });
  });

  it("holds the account's withdrawals: one awaiting approval cannot be approved while frozen, and nothing changes", async () => {
    const holder = await env.signUp("holder@example.com");
    await env.wallet.wallet.creditDeposit("fund-holder-btc", holder.userId, "BTC", 50n * 10n ** 8n);
    const wallet = createClient(WalletService, holder.edge);
    const reviews = createClient(WithdrawalAdminService, operator.internal);
    const btc = async () => (await wallet.getBalances({ assets: ["BTC"] })).balances[0]!;
    // Above BTC's approval threshold (10 BTC): it waits for an operator.
    const big = { withdrawalId: "big-1", asset: "BTC", network: "BTC", amount: "12", address: "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh", totpCode: "" };
    expect((await wallet.requestWithdrawal(big)).withdrawal?.status).toBe(TransferStatus.AWAITING_APPROVAL);
    await ops.freezeAccount({ accountId: holder.userId, reason: "chargeback investigation" });
    const before = await btc();
    expect(before).toMatchObject({ free: "38.00000000", pendingWithdrawal: "12.00000000" });
    const auditBefore = (await reviews.listWalletAudit({})).entries.length;

    const refused = await failure(reviews.approveWithdrawal({ withdrawalId: "big-1", reason: "looks fine" }));
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(refused.rawMessage).toMatch(/frozen/);
    expect(refused.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-2010");
    expect(await btc()).toEqual(before);
    expect((await reviews.listPendingWithdrawals({})).withdrawals.map((w) => w.withdrawalId)).toEqual(["big-1"]);
    expect((await reviews.listWalletAudit({})).entries.length).toBe(auditBefore);

    await ops.unfreezeAccount({ accountId: holder.userId, reason: "cleared" });
    const { withdrawal } = await reviews.approveWithdrawal({ withdrawalId: "big-1", reason: "cleared, ticket 18" });
    expect(withdrawal?.status).toBe(TransferStatus.COMPLETED);
    expect(await btc()).toMatchObject({ free: "38.00000000", pendingWithdrawal: "0.00000000" });
  });
});
