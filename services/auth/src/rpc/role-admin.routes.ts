import type { ConnectRouter } from "@connectrpc/connect";
import { RoleAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import type { Role as PbRole } from "#gen/exchange/auth/v1/auth_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { auditLimit, bearerOf, toAuditMessage } from "#kit/rpc/operator.js";
import type { Authenticator } from "../domain/authenticate.use-case.js";
import type { ManageRoles } from "../domain/manage-roles.use-case.js";
import type { Principal, Role } from "../domain/principal.js";
import { roleFromPb, roleToPb } from "./auth.mapper.js";

export interface RoleAdminRoutesDeps {
  readonly roles: ManageRoles;
  readonly authenticator: Authenticator;
}

/** exchange.admin.v1.RoleAdminService: the caller from its bearer token (the use case requires admin), then one use case. */
export function roleAdminRoutes(deps: RoleAdminRoutesDeps) {
  const { roles, authenticator } = deps;
  const caller = async (context: Parameters<typeof bearerOf>[0]): Promise<Principal> => {
    const token = bearerOf(context);
    if (!token) throw new DomainError("UNAUTHORIZED", "An admin's bearer token is required.");
    return authenticator.bearer(token);
  };
  const role = (value: PbRole): Role => {
    const found = roleFromPb(value);
    if (!found) throw new DomainError("INVALID_PARAMETER", "role: unknown role.", [{ field: "role", description: "unknown role" }]);
    return found;
  };
  return (router: ConnectRouter) =>
    router.service(RoleAdminService, {
      async grantRole(request, context) {
        const change = await roles.grant(await caller(context), request.userId, role(request.role), request.reason);
        return { roles: change.roles.map(roleToPb), audit: toAuditMessage(change.audit) };
      },
      async revokeRole(request, context) {
        const change = await roles.revoke(await caller(context), request.userId, role(request.role), request.reason);
        return { roles: change.roles.map(roleToPb), audit: toAuditMessage(change.audit) };
      },
      async listAuthAudit(request, context) {
        const entries = await roles.list(await caller(context), { beforeId: Number(request.beforeId), limit: auditLimit(request.limit) });
        return { entries: entries.map(toAuditMessage) };
      },
    });
}
