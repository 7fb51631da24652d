import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { AdjustmentAdminService, AdjustmentStatus, WithdrawalAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { WalletService } from "#gen/exchange/wallet/v1/wallet_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { failure, startEmbedded, type Embedded, type Person } from "./support.js";

// Manual balance adjustments from the back office (exchange.admin.v1.AdjustmentAdminService on wallet's internal
// port), four eyes: operator A requests, operator B approves; the requester cannot approve their own; a debit
// never overdraws; each step is in wallet's audit log, the applied ones in the user's ledger history and in the
// conservation audit's own term.

let env: Embedded;
let alice: Person;
let bob: Person;
let user: Person;
let a: Client<typeof AdjustmentAdminService>;
let b: Client<typeof AdjustmentAdminService>;

beforeAll(async () => {
  env = await startEmbedded("adjustment-admin-");
  alice = await env.signUp("alice.ops@example.com", ["user", "operator"]);
  bob = await env.signUp("bob.ops@example.com", ["user", "operator"]);
  user = await env.signUp("customer@example.com");
  a = createClient(AdjustmentAdminService, alice.internal);
  b = createClient(AdjustmentAdminService, bob.internal);
  await env.wallet.wallet.creditDeposit("fund-customer-usdt", user.userId, "USDT", 100n * 10n ** 8n);
}, 60_000);

afterAll(async () => {
  await env?.exchange.stop();
  if (env) rmSync(env.dataDir, { recursive: true, force: true });
});

async function usdt(): Promise<string> {
  const { balances } = await createClient(WalletService, user.edge).getBalances({ assets: ["USDT"] });
  return balances[0]?.free ?? "0";
}

const credit = { accountId: "", asset: "USDT", amount: "25.5", reason: "ticket 41: deposit credited short", idempotencyKey: "adj-41" };

describe("manual balance adjustments, four eyes", () => {
  it("refuses anyone without the operator role before reading or changing anything", async () => {
    credit.accountId = user.userId;
    const plain = createClient(AdjustmentAdminService, user.internal);
    for (const call of [() => plain.requestAdjustment(credit), () => plain.approveAdjustment({ adjustmentId: "adj-41", reason: "mine" }), () => plain.listAdjustments({})]) {
      expect((await failure(call())).code).toBe(Code.PermissionDenied);
    }
    expect((await failure(createClient(AdjustmentAdminService, env.anonymous).requestAdjustment(credit))).code).toBe(Code.Unauthenticated);
    expect((await a.listAdjustments({})).adjustments).toEqual([]);
    expect(await usdt()).toBe("100.00000000");
  });

  it("a request by A changes no balance; A approving it is refused; B applies it exactly once", async () => {
    const requested = await a.requestAdjustment(credit);
    expect(requested.adjustment).toMatchObject({ adjustmentId: "adj-41", accountId: user.userId, amount: "25.50000000", status: AdjustmentStatus.PENDING, requestedBy: alice.userId });
    expect(requested.audit).toMatchObject({ actor: alice.userId, action: "adjustment.request", target: `${user.userId}:adj-41`, reason: credit.reason });
    expect(await usdt()).toBe("100.00000000");
    const retried = await a.requestAdjustment(credit);
    expect([retried.duplicate, retried.adjustment?.status, retried.audit]).toEqual([true, AdjustmentStatus.PENDING, undefined]);
    expect((await failure(a.requestAdjustment({ ...credit, amount: "99" }))).code).toBe(Code.AlreadyExists);

    const own = await failure(a.approveAdjustment({ adjustmentId: "adj-41", reason: "I checked it myself" }));
    expect(own.code).toBe(Code.PermissionDenied);
    expect(await usdt()).toBe("100.00000000");
    expect((await a.listAdjustments({ pendingOnly: true })).adjustments.map((x) => x.adjustmentId)).toEqual(["adj-41"]);

    const approved = await b.approveAdjustment({ adjustmentId: "adj-41", reason: "chain explorer shows 25.5 more" });
    expect(approved.adjustment).toMatchObject({ status: AdjustmentStatus.APPLIED, decidedBy: bob.userId, decisionReason: "chain explorer shows 25.5 more" });
    expect(JSON.parse(approved.audit!.beforeJson)).toMatchObject({ status: "pending", amount: "2550000000" });
    expect(JSON.parse(approved.audit!.afterJson)).toMatchObject({ status: "applied", decidedBy: bob.userId });
    expect(await usdt()).toBe("125.50000000");
    const again = await failure(b.approveAdjustment({ adjustmentId: "adj-41", reason: "again" }));
    expect([again.code, again.findDetails(ErrorInfoSchema)[0]?.reason]).toEqual([Code.FailedPrecondition, "-1000"]);
    expect(await usdt()).toBe("125.50000000");

    const { entries } = await createClient(WalletService, user.edge).listLedgerEntries({ accountId: user.userId, asset: "USDT" });
    expect(entries[0]).toMatchObject({ kind: "adjustment", transferId: "adjustment-approve:adj-41", availableDelta: "25.50000000", lockedDelta: "0.00000000" });
  });

  it("a debit never overdraws (nothing changes, still pending); rejected instead; a smaller one applies", async () => {
    credit.accountId = user.userId;
    await b.requestAdjustment({ accountId: user.userId, asset: "USDT", amount: "-200", reason: "ticket 42: clawback", idempotencyKey: "adj-42" });
    const overdraft = await failure(a.approveAdjustment({ adjustmentId: "adj-42", reason: "ok" }));
    expect([overdraft.code, overdraft.findDetails(ErrorInfoSchema)[0]?.reason]).toEqual([Code.FailedPrecondition, "-2010"]);
    expect(await usdt()).toBe("125.50000000");
    expect((await a.listAdjustments({ pendingOnly: true })).adjustments.map((x) => x.adjustmentId)).toEqual(["adj-42"]);
    const rejected = await a.rejectAdjustment({ adjustmentId: "adj-42", reason: "more than the account holds" });
    expect(rejected.adjustment?.status).toBe(AdjustmentStatus.REJECTED);

    await b.requestAdjustment({ accountId: user.userId, asset: "USDT", amount: "-0.5", reason: "ticket 43: double credit", idempotencyKey: "adj-43" });
    await a.approveAdjustment({ adjustmentId: "adj-43", reason: "confirmed" });
    expect(await usdt()).toBe("125.00000000");
    expect((await a.listAdjustments({ pendingOnly: true })).adjustments).toEqual([]);
    const all = await a.listAdjustments({ page: { pageSize: 2, pageToken: "" } });
    expect(all.adjustments.map((x) => [x.adjustmentId, x.status])).toHaveLength(2);
    const rest = await a.listAdjustments({ page: { pageSize: 2, pageToken: all.page!.nextPageToken } });
    expect([...all.adjustments, ...rest.adjustments].map((x) => x.adjustmentId).sort()).toEqual(["adj-41", "adj-42", "adj-43"]);

    // Conservation: balances = deposits - withdrawals + adjustments, the last its own term.
    const audit = await env.wallet.store.audit();
    expect(audit.adjustments.get("USDT")).toBe(2500000000n);
    expect(audit.balances.get("USDT")).toBe((audit.netInflow.get("USDT") ?? 0n) + 2500000000n);

    const { entries } = await createClient(WithdrawalAdminService, bob.internal).listWalletAudit({});
    expect(entries.map((e) => [e.action, e.actor])).toEqual([
      ["adjustment.approve", alice.userId],
      ["adjustment.request", bob.userId],
      ["adjustment.reject", alice.userId],
      ["adjustment.request", bob.userId],
      ["adjustment.approve", bob.userId],
      ["adjustment.request", alice.userId],
    ]);
  });
});
