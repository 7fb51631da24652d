import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { WithdrawalAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { TransferStatus, WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { failure, startEmbedded, type Embedded, type Person } from "./support.js";

// The withdrawal review queue from the back office (exchange.admin.v1.WithdrawalAdminService on wallet's internal
// port): a withdrawal above BTC's approval threshold (10 BTC) asked for through the edge waits there until an
// operator approves or rejects it; each decision is in wallet's audit log; a user without the role changes nothing.

let env: Embedded;
let operator: Person;
let user: Person;
let ops: Client<typeof WithdrawalAdminService>;

const ADDRESS = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh";
const withdraw = (withdrawalId: string, amount: string) => ({ withdrawalId, asset: "BTC", network: "BTC", amount, address: ADDRESS, totpCode: "" });

beforeAll(async () => {
  env = await startEmbedded("withdrawal-admin-");
  operator = await env.signUp("operator@example.com", ["user", "operator"]);
  user = await env.signUp("user@example.com");
  ops = createClient(WithdrawalAdminService, operator.internal);
  await env.wallet.wallet.creditDeposit("fund-user-btc", user.userId, "BTC", 50n * 10n ** 8n);
}, 60_000);

afterAll(async () => {
  await env?.exchange.stop();
  if (env) rmSync(env.dataDir, { recursive: true, force: true });
});

async function btc(): Promise<{ free: string; pendingWithdrawal: string }> {
  const { balances } = await createClient(WalletService, user.edge).getBalances({ assets: ["BTC"] });
  return balances[0]!;
}

describe("the withdrawal review queue", () => {
  it("holds a large withdrawal for review; a user without the role can neither see nor decide it", async () => {
    const { withdrawal } = await createClient(WalletService, user.edge).requestWithdrawal(withdraw("big-1", "12"));
    expect(withdrawal?.status).toBe(TransferStatus.AWAITING_APPROVAL);
    const plain = createClient(WithdrawalAdminService, user.internal);
    for (const call of [() => plain.listPendingWithdrawals({}), () => plain.approveWithdrawal({ withdrawalId: "big-1", reason: "mine" }), () => plain.listWalletAudit({})]) {
      expect((await failure(call())).code).toBe(Code.PermissionDenied);
    }
    expect((await failure(createClient(WithdrawalAdminService, env.anonymous).approveWithdrawal({ withdrawalId: "big-1", reason: "x" }))).code).toBe(Code.Unauthenticated);
    expect(await btc()).toMatchObject({ free: "38.00000000", pendingWithdrawal: "12.00000000" });
    const { withdrawals } = await ops.listPendingWithdrawals({});
    expect(withdrawals.map((w) => [w.withdrawalId, w.accountId, w.amount])).toEqual([["big-1", user.userId, "12.00000000"]]);
    expect((await ops.listWalletAudit({})).entries).toEqual([]);
  });

  it("approves it: released to the chain, gone from the queue, recorded with who, why, before and after", async () => {
    const { withdrawal, audit } = await ops.approveWithdrawal({ withdrawalId: "big-1", reason: "KYC checked, ticket 9" });
    expect(withdrawal?.status).toBe(TransferStatus.COMPLETED);
    expect(audit).toMatchObject({ actor: operator.userId, action: "withdrawal.approve", target: `${user.userId}:big-1`, reason: "KYC checked, ticket 9" });
    expect(JSON.parse(audit!.beforeJson)).toMatchObject({ status: "awaiting_approval", amount: "1200000000" });
    expect(JSON.parse(audit!.afterJson)).toMatchObject({ status: "completed" });
    expect((await ops.listPendingWithdrawals({})).withdrawals).toEqual([]);
    expect(await btc()).toMatchObject({ free: "38.00000000", pendingWithdrawal: "0.00000000" });
  });

  it("rejects another: the funds come back; deciding a withdrawal twice is refused and changes nothing", async () => {
    await createClient(WalletService, user.edge).requestWithdrawal(withdraw("big-2", "11"));
    const { withdrawal, audit } = await ops.rejectWithdrawal({ withdrawalId: "big-2", reason: "address on a sanctions list" });
    expect(withdrawal?.status).toBe(TransferStatus.REJECTED);
    expect(audit?.action).toBe("withdrawal.reject");
    expect(await btc()).toMatchObject({ free: "38.00000000", pendingWithdrawal: "0.00000000" });
    const twice = await failure(ops.approveWithdrawal({ withdrawalId: "big-2", reason: "changed my mind" }));
    expect(twice.code).toBe(Code.FailedPrecondition);
    expect(twice.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1000");
    expect(await btc()).toMatchObject({ free: "38.00000000", pendingWithdrawal: "0.00000000" });
    const { entries } = await ops.listWalletAudit({});
    expect(entries.map((e) => e.action)).toEqual(["withdrawal.reject", "withdrawal.approve"]);
  });
});
