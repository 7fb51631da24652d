import { describe, expect, it } from "vitest";
import { DomainError } from "#kit/errors/domain-error.js";
import { ADJUSTMENT_ACCOUNT, ZERO_BALANCE, balanceKey, docIds, makeCommand, type AdjustmentDoc, type Balance, type CommandBody, type Doc } from "../../../services/wallet/src/domain/ledger.js";
import { plan, type LedgerView } from "../../../services/wallet/src/domain/plan.js";

// The planner's side of manual adjustments: a request only writes its document; applying it is a double entry
// against the adjustment account, once, by someone other than the requester, never below zero available.

function view(balances: Record<string, Balance> = {}, docs: Doc[] = []): LedgerView {
  return {
    balance: (account, asset) => balances[balanceKey(account, asset)] ?? ZERO_BALANCE,
    doc: (id) => docs.find((doc) => doc.id === id),
  };
}

const pending: AdjustmentDoc = {
  type: "adjustment",
  id: docIds.adjustment("a1"),
  account: ADJUSTMENT_ACCOUNT,
  target: "alice",
  asset: "BTC",
  amount: -30n,
  reason: "double credit",
  status: "pending",
  requestedBy: "op-a",
  decidedBy: "",
  decidedAt: 0,
  decisionReason: "",
  createdAt: 1,
};

const command = (body: CommandBody) => makeCommand("c1", 100, body);
const apply = (approvedBy: string, over: Partial<{ amount: bigint }> = {}) =>
  command({ kind: "adjustment", adjustmentId: "a1", account: "alice", asset: "BTC", amount: over.amount ?? -30n, approvedBy, reason: "ok" });

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error.key;
    throw error;
  }
  return "none";
}

describe("planning adjustments", () => {
  it("records a request as a pending document of the adjustment account, changing no balance", () => {
    const effects = plan(view(), command({ kind: "adjustment_request", adjustmentId: "a1", account: "alice", asset: "BTC", amount: 5n, reason: "r", requestedBy: "op-a" }));
    expect(effects.deltas.size).toBe(0);
    expect(effects.docs).toEqual([expect.objectContaining({ id: "adjustment:a1", account: ADJUSTMENT_ACCOUNT, target: "alice", amount: 5n, status: "pending", requestedBy: "op-a", createdAt: 100 })]);
    expect(refusal(() => plan(view({}, [pending]), command({ kind: "adjustment_request", adjustmentId: "a1", account: "alice", asset: "BTC", amount: 5n, reason: "r", requestedBy: "op-a" })))).toBe("DUPLICATE_REQUEST");
    expect(refusal(() => plan(view(), command({ kind: "adjustment_request", adjustmentId: "a2", account: "alice", asset: "BTC", amount: 0n, reason: "r", requestedBy: "op-a" })))).toBe("INVALID_PARAMETER");
  });

  it("applies it as a balanced pair: the account's available and the adjustment account, opposite", () => {
    const effects = plan(view({ [balanceKey("alice", "BTC")]: { available: 100n, locked: 7n, pending: 0n } }, [pending]), apply("op-b"));
    expect([...effects.deltas.values()].map(({ account, available, locked, pending }) => [account, available, locked, pending])).toEqual([
      ["alice", -30n, 0n, 0n],
      [ADJUSTMENT_ACCOUNT, 30n, 0n, 0n],
    ]);
    expect(effects.docs).toEqual([expect.objectContaining({ status: "applied", decidedBy: "op-b", decidedAt: 100, decisionReason: "ok" })]);
  });

  it("refuses the requester's own approval, a debit below zero available (locked funds do not count), a decided one, a restated amount", () => {
    const balances = { [balanceKey("alice", "BTC")]: { available: 29n, locked: 100n, pending: 0n } };
    expect(refusal(() => plan(view(balances, [pending]), apply("op-a")))).toBe("FORBIDDEN");
    expect(refusal(() => plan(view(balances, [pending]), apply("op-b")))).toBe("INSUFFICIENT_BALANCE");
    expect(refusal(() => plan(view(balances, [{ ...pending, status: "applied" }]), apply("op-b")))).toBe("INVALID_STATE");
    expect(refusal(() => plan(view(balances, [{ ...pending, status: "rejected" }]), command({ kind: "adjustment_reject", adjustmentId: "a1", rejectedBy: "op-b", reason: "no" })))).toBe("INVALID_STATE");
    expect(refusal(() => plan(view(balances, [pending]), apply("op-b", { amount: -1n })))).toBe("INVALID_PARAMETER");
    expect(refusal(() => plan(view(), apply("op-b")))).toBe("NOT_FOUND");
  });

  it("rejects a pending one without touching a balance", () => {
    const effects = plan(view({}, [pending]), command({ kind: "adjustment_reject", adjustmentId: "a1", rejectedBy: "op-a", reason: "typo" }));
    expect(effects.deltas.size).toBe(0);
    expect(effects.docs).toEqual([expect.objectContaining({ status: "rejected", decidedBy: "op-a", decisionReason: "typo" })]);
  });
});
