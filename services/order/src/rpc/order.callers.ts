import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { callerPolicy, OPS, type CallerRule } from "#kit/rpc/caller-policy.js";

const OPERATORS: CallerRule = { services: [OPS], operators: true };

/** order.v1's guarded RPCs (docs/auth.md, "Who may call internal RPCs"): operators' archive runs and checks. */
export const ORDER_CALLERS = callerPolicy(OrderService, {
  archiveTradesDay: OPERATORS,
  verifyTradesArchive: OPERATORS,
});
