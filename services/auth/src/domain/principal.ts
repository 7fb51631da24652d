import { DomainError } from "#kit/errors/domain-error.js";

// Who is calling, and what they may do. Other services reuse assertCanAct so every RPC that
// names an account checks that the caller may act on it (no BOLA).

/** operator: may run the back office (exchange.admin.v1); admin holds every role. */
export type Role = "user" | "support" | "admin" | "operator";
export type Permission = "read" | "trade" | "withdraw";

export const ROLES: readonly Role[] = ["user", "support", "admin", "operator"];
export const PERMISSIONS: readonly Permission[] = ["read", "trade", "withdraw"];

export interface Principal {
  readonly userId: string;
  readonly roles: readonly Role[];
  /** What this credential may do: every permission for a session, the key's for an API key. */
  readonly permissions: readonly Permission[];
  /** Set when the caller signed with an API key. */
  readonly apiKey?: string;
  /** Set when the caller holds a session's access token. */
  readonly sessionId?: string;
  /** Milliseconds since the epoch until which withdrawals are locked (0: not locked). */
  readonly withdrawalLockedUntil: number;
  readonly mfaEnabled: boolean;
}

/**
 * Throws FORBIDDEN unless `principal` may act on `userId`'s account: its owner always, support
 * only to read, admin always. Callers pass write=true for anything that changes state.
 */
export function assertCanAct(principal: Principal | undefined, userId: string, write: boolean): asserts principal is Principal {
  if (!principal) throw new DomainError("UNAUTHORIZED", "Authentication required.");
  if (canAct(principal, userId, write)) return;
  throw new DomainError("FORBIDDEN", `Not allowed to ${write ? "change" : "read"} account ${userId}.`, [], { userId });
}

export function canAct(principal: Principal, userId: string, write: boolean): boolean {
  if (principal.userId === userId) return true;
  if (principal.roles.includes("admin")) return true;
  return !write && principal.roles.includes("support");
}

/** Throws REJECTED_MBX_KEY (-2015) unless the credential carries `permission`. */
export function assertPermission(principal: Principal, permission: Permission): void {
  if (!principal.permissions.includes(permission)) {
    throw new DomainError("REJECTED_MBX_KEY", `Invalid API-key, IP, or permissions for action (needs ${permission}).`, [], { permission });
  }
}

/** admin holds every role. */
export function hasRole(principal: Principal, role: Role): boolean {
  return principal.roles.includes(role) || principal.roles.includes("admin");
}

/** Throws FORBIDDEN (PermissionDenied) unless the principal holds `role`. */
export function assertRole(principal: Principal, role: Role): void {
  if (!hasRole(principal, role)) throw new DomainError("FORBIDDEN", `The ${role} role is required.`, [], { role });
}
