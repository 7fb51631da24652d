import { AuthService } from "#gen/exchange/auth/v1/auth_pb.js";
import { callerPolicy } from "#kit/rpc/caller-policy.js";

/**
 * auth.v1's guarded RPCs (docs/auth.md, "Who may call internal RPCs"). A freeze comes from order's back office
 * alone, which cancels the account's orders and records it; operators go through AccountAdminService.
 */
export const AUTH_CALLERS = callerPolicy(AuthService, {
  setAccountFrozen: { services: ["order"], operators: false },
});
