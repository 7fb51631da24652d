import type { ConnectRouter } from "@connectrpc/connect";
import { AccountAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import type { OperatorGate } from "#kit/ports/operator-gate.port.js";
import { operatorOf, toAuditMessage } from "#kit/rpc/operator.js";
import type { FreezeAccount } from "../domain/freeze-account.use-case.js";

/** exchange.admin.v1.AccountAdminService: the operator first (auth decides), then one use case. */
export function accountAdminRoutes(deps: { readonly freezes: FreezeAccount; readonly gate: OperatorGate }) {
  const { freezes, gate } = deps;
  return (router: ConnectRouter) =>
    router.service(AccountAdminService, {
      async freezeAccount(request, context) {
        const operator = await operatorOf(gate, context);
        const { canceled, audit } = await freezes.freeze(operator, request.accountId, request.reason);
        return { canceledOrders: canceled, audit: toAuditMessage(audit) };
      },
      async unfreezeAccount(request, context) {
        const operator = await operatorOf(gate, context);
        return { audit: toAuditMessage(await freezes.unfreeze(operator, request.accountId, request.reason)) };
      },
    });
}
