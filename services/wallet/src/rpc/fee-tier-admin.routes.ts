import type { ConnectRouter } from "@connectrpc/connect";
import { FeeTierAdminService } from "#gen/exchange/admin/v1/fee_tier_pb.js";
import { formatUnits } from "#kit/money/decimal.js";
import type { OperatorGate } from "#kit/ports/operator-gate.port.js";
import { operatorOf, toAuditMessage } from "#kit/rpc/operator.js";
import type { AccountFeeTierView } from "../domain/account-fee-tier.js";
import type { AssetRegistry } from "../domain/assets.js";
import type { AssignFeeTiers } from "../domain/assign-fee-tiers.use-case.js";
import { VOLUME_WINDOW_DAYS } from "../domain/fee-tier-assignment.js";
import type { FeeSchedule } from "../domain/fees.js";
import type { OverrideFeeTier } from "../domain/override-fee-tier.use-case.js";

export interface FeeTierAdminRoutesDeps {
  readonly schedule: FeeSchedule;
  readonly overrides: OverrideFeeTier;
  readonly assign: AssignFeeTiers;
  readonly assets: AssetRegistry;
  readonly gate: OperatorGate;
}

/** exchange.admin.v1.FeeTierAdminService: the operator first (auth decides), then one use case. */
export function feeTierAdminRoutes(deps: FeeTierAdminRoutesDeps) {
  const { schedule, overrides, assign, gate } = deps;
  const volume = (units: bigint) => {
    const spec = deps.assets.get(schedule.volumeAsset);
    return spec ? formatUnits(units, spec.scale) : units.toString();
  };
  const toMessage = (view: AccountFeeTierView) => ({
    accountId: view.account,
    tier: view.tier,
    makerBps: view.makerBps,
    takerBps: view.takerBps,
    volumeTier: view.volumeTier,
    volume30d: volume(view.volume),
    volumeAsset: view.volumeAsset,
    overridden: view.override !== undefined,
    override: view.override ? { tier: view.override.tier, reason: view.override.reason, actor: view.override.actor, time: BigInt(view.override.time) } : undefined,
  });
  return (router: ConnectRouter) =>
    router.service(FeeTierAdminService, {
      async listFeeSchedule(_request, context) {
        await operatorOf(gate, context);
        return {
          tiers: schedule.list().map((tier) => ({ tier: tier.tier, makerBps: tier.makerBps, takerBps: tier.takerBps, minVolume: tier.minVolume < 0n ? "" : volume(tier.minVolume) })),
          volumeAsset: schedule.volumeAsset,
          windowDays: VOLUME_WINDOW_DAYS,
        };
      },
      async getAccountFeeTier(request, context) {
        await operatorOf(gate, context);
        return { account: toMessage(await overrides.view(request.accountId)) };
      },
      async setFeeTierOverride(request, context) {
        const operator = await operatorOf(gate, context);
        const { account, audit } = await overrides.set(operator, request.accountId, request.tier, request.reason);
        return { account: toMessage(account), audit: toAuditMessage(audit) };
      },
      async clearFeeTierOverride(request, context) {
        const operator = await operatorOf(gate, context);
        const { account, audit } = await overrides.clear(operator, request.accountId, request.reason);
        return { account: toMessage(account), audit: toAuditMessage(audit) };
      },
      async recomputeFeeTiers(request, context) {
        const operator = await operatorOf(gate, context);
        const { changed, audit } = await assign.byOperator(operator, request.reason);
        return { changed, audit: toAuditMessage(audit) };
      },
    });
}
