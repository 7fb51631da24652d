import { mergePolicies } from "#kit/rpc/caller-policy.js";
import { AUTH_CALLERS } from "./auth/src/rpc/auth.callers.js";
import { ORDER_CALLERS } from "./order/src/rpc/order.callers.js";
import { WALLET_CALLERS } from "./wallet/src/rpc/wallet.callers.js";

/**
 * Every guarded internal RPC and who may call it, for both sides: the server's guard, and a client presenting
 * its service key only where its name is admitted (docs/auth.md, "Who may call internal RPCs").
 */
export const CALLER_POLICY = mergePolicies(WALLET_CALLERS, ORDER_CALLERS, AUTH_CALLERS);
