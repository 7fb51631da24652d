import type { ConnectRouter } from "@connectrpc/connect";
import { AdjustmentAdminService, AdjustmentStatus } from "#gen/exchange/admin/v1/admin_pb.js";
import { DecimalFormatError, formatUnits, parseSignedUnits } from "#kit/money/decimal.js";
import type { OperatorGate } from "#kit/ports/operator-gate.port.js";
import { operatorOf, toAuditMessage } from "#kit/rpc/operator.js";
import type { AdjustBalance } from "../domain/adjust-balance.use-case.js";
import type { AssetRegistry } from "../domain/assets.js";
import type { AdjustmentDoc } from "../domain/ledger.js";
import { invalidField } from "../domain/wallet.errors.js";

export interface AdjustmentAdminRoutesDeps {
  readonly adjust: AdjustBalance;
  readonly assets: AssetRegistry;
  readonly gate: OperatorGate;
}

const STATUS: Record<AdjustmentDoc["status"], AdjustmentStatus> = {
  pending: AdjustmentStatus.PENDING,
  applied: AdjustmentStatus.APPLIED,
  rejected: AdjustmentStatus.REJECTED,
};

/** An adjustment as exchange.admin.v1.Adjustment's fields: the amount a signed decimal in the asset's precision. */
function toAdjustmentMessage(assets: AssetRegistry, adjustment: AdjustmentDoc) {
  return {
    adjustmentId: adjustment.id.slice("adjustment:".length),
    accountId: adjustment.target,
    asset: adjustment.asset,
    amount: formatUnits(adjustment.amount, assets.get(adjustment.asset)?.scale ?? 0),
    reason: adjustment.reason,
    status: STATUS[adjustment.status],
    requestedBy: adjustment.requestedBy,
    decidedBy: adjustment.decidedBy,
    decidedAt: BigInt(adjustment.decidedAt),
    decisionReason: adjustment.decisionReason,
    createdAt: BigInt(adjustment.createdAt),
  };
}

/** A signed decimal -> smallest units of the asset; a bad value is an InvalidArgument naming the field. */
function signedUnits(assets: AssetRegistry, asset: string, text: string): bigint {
  const spec = assets.get(asset);
  if (!spec) throw invalidField("asset", `unknown asset ${asset}`);
  try {
    return parseSignedUnits(text, spec.scale);
  } catch (error) {
    if (error instanceof DecimalFormatError) throw invalidField("amount", error.why, "BAD_PRECISION");
    throw error;
  }
}

/** exchange.admin.v1.AdjustmentAdminService: the operator first (auth decides), then one use case. */
export function adjustmentAdminRoutes(deps: AdjustmentAdminRoutesDeps) {
  const { adjust, assets, gate } = deps;
  const message = (adjustment: AdjustmentDoc) => toAdjustmentMessage(assets, adjustment);
  return (router: ConnectRouter) =>
    router.service(AdjustmentAdminService, {
      async requestAdjustment(request, context) {
        const operator = await operatorOf(gate, context);
        const { adjustment, duplicate, audit } = await adjust.request(operator, {
          adjustmentId: request.idempotencyKey,
          account: request.accountId,
          asset: request.asset,
          amount: signedUnits(assets, request.asset, request.amount),
          reason: request.reason,
        });
        return { adjustment: message(adjustment), duplicate, audit: audit && toAuditMessage(audit) };
      },
      async approveAdjustment(request, context) {
        const operator = await operatorOf(gate, context);
        const { adjustment, audit } = await adjust.approve(operator, request.adjustmentId, request.reason);
        return { adjustment: message(adjustment), audit: audit && toAuditMessage(audit) };
      },
      async rejectAdjustment(request, context) {
        const operator = await operatorOf(gate, context);
        const { adjustment, audit } = await adjust.reject(operator, request.adjustmentId, request.reason);
        return { adjustment: message(adjustment), audit: audit && toAuditMessage(audit) };
      },
      async listAdjustments(request, context) {
        await operatorOf(gate, context);
        const found = await adjust.list({ pendingOnly: request.pendingOnly }, { size: request.page?.pageSize ?? 0, token: request.page?.pageToken ?? "" });
        return { adjustments: found.items.map(message), page: { nextPageToken: found.next } };
      },
    });
}
