import type { HandlerContext } from "@connectrpc/connect";
import type { AuditEntry } from "../ports/audit-log.port.js";
import type { Operator, OperatorGate } from "../ports/operator-gate.port.js";

/** The bearer token of a request's `Authorization` header, if it has one. */
export function bearerOf(context: HandlerContext): string | undefined {
  return bearerIn(context.requestHeader);
}

/** The bearer token of an `Authorization` header among `headers`, if there is one. */
export function bearerIn(headers: Headers): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "");
  return match?.[1];
}

/** The operator calling, or the gate's refusal (before anything is read or changed). */
export function operatorOf(gate: OperatorGate, context: HandlerContext): Promise<Operator> {
  return gate.authorize(bearerOf(context));
}

/** An audit entry as exchange.admin.v1.AuditEntry's fields. */
export function toAuditMessage(entry: AuditEntry) {
  return {
    id: BigInt(entry.id),
    time: BigInt(entry.time),
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    reason: entry.reason,
    beforeJson: entry.beforeJson,
    afterJson: entry.afterJson,
  };
}

/** ListXAudit's limit: 0 is 100. */
export function auditLimit(limit: number): number {
  return limit === 0 ? 100 : Math.min(limit, 1000);
}
