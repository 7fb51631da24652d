import type { ConnectRouter } from "@connectrpc/connect";
import { WithdrawalAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import type { AuditLog } from "#kit/ports/audit-log.port.js";
import type { OperatorGate } from "#kit/ports/operator-gate.port.js";
import { auditLimit, operatorOf, toAuditMessage } from "#kit/rpc/operator.js";
import type { AssetRegistry } from "../domain/assets.js";
import type { ReviewWithdrawal } from "../domain/review-withdrawal.use-case.js";
import { toWithdrawalMessage } from "./wallet.mapper.js";

export interface WithdrawalAdminRoutesDeps {
  readonly review: ReviewWithdrawal;
  readonly assets: AssetRegistry;
  readonly gate: OperatorGate;
  readonly audit: AuditLog;
}

/** exchange.admin.v1.WithdrawalAdminService: the operator first (auth decides), then one use case. */
export function withdrawalAdminRoutes(deps: WithdrawalAdminRoutesDeps) {
  const { review, assets, gate } = deps;
  return (router: ConnectRouter) =>
    router.service(WithdrawalAdminService, {
      async listPendingWithdrawals(request, context) {
        await operatorOf(gate, context);
        const found = await review.pending({ size: request.page?.pageSize ?? 0, token: request.page?.pageToken ?? "" });
        return { withdrawals: found.items.map((withdrawal) => toWithdrawalMessage(assets, withdrawal)), page: { nextPageToken: found.next } };
      },
      async approveWithdrawal(request, context) {
        const operator = await operatorOf(gate, context);
        const { withdrawal, audit } = await review.approve(operator, request.withdrawalId, request.reason);
        return { withdrawal: toWithdrawalMessage(assets, withdrawal), audit: toAuditMessage(audit) };
      },
      async rejectWithdrawal(request, context) {
        const operator = await operatorOf(gate, context);
        const { withdrawal, audit } = await review.reject(operator, request.withdrawalId, request.reason);
        return { withdrawal: toWithdrawalMessage(assets, withdrawal), audit: toAuditMessage(audit) };
      },
      async listWalletAudit(request, context) {
        await operatorOf(gate, context);
        const entries = await deps.audit.list({ beforeId: Number(request.beforeId), limit: auditLimit(request.limit) });
        return { entries: entries.map(toAuditMessage) };
      },
    });
}
