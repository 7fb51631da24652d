import type { Clock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { AuditEntry, AuditLog, AuditQuery } from "#kit/ports/audit-log.port.js";
import type { UserStore } from "../ports/user-store.port.js";
import { ROLES, assertRole, type Principal, type Role } from "./principal.js";

export interface ManageRolesDeps {
  readonly store: Pick<UserStore, "findUserById" | "setRoles">;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

/** A role change and its record. */
export interface RoleChange {
  readonly roles: readonly Role[];
  readonly audit: AuditEntry;
}

/**
 * Who may run the back office: an admin grants or revokes a role (operator, support, admin) on an account. Only an
 * admin may (an operator may not grant roles): anyone else is FORBIDDEN before anything is read. The change takes
 * effect at once (a session's roles are read from the store on every authentication) and is appended to auth's
 * audit log with the roles before and after. Every account keeps "user". (In Cognito mode roles come from Cognito's
 * groups instead, and these changes do not reach its tokens.)
 */
export class ManageRoles {
  constructor(private readonly deps: ManageRolesDeps) {}

  async grant(admin: Principal, userId: string, role: Role, reason: string): Promise<RoleChange> {
    return this.change(admin, userId, role, reason, "role.grant", (roles) => (roles.includes(role) ? roles : [...roles, role]));
  }

  async revoke(admin: Principal, userId: string, role: Role, reason: string): Promise<RoleChange> {
    assertRole(admin, "admin");
    if (role === "user") throw new DomainError("INVALID_PARAMETER", "role: every account keeps the user role.", [{ field: "role", description: "user cannot be revoked" }]);
    return this.change(admin, userId, role, reason, "role.revoke", (roles) => roles.filter((held) => held !== role));
  }

  async list(admin: Principal, query: AuditQuery): Promise<AuditEntry[]> {
    assertRole(admin, "admin");
    return this.deps.audit.list(query);
  }

  private async change(admin: Principal, userId: string, role: Role, reason: string, action: string, next: (roles: readonly Role[]) => readonly Role[]): Promise<RoleChange> {
    assertRole(admin, "admin");
    if (!ROLES.includes(role)) throw new DomainError("INVALID_PARAMETER", `role: unknown role ${String(role)}.`, [{ field: "role", description: "unknown role" }]);
    if (reason.trim() === "") throw new DomainError("INVALID_PARAMETER", "reason: required.", [{ field: "reason", description: "required" }]);
    const user = await this.deps.store.findUserById(userId);
    if (!user) throw new DomainError("NOT_FOUND", `Unknown account ${userId}.`, [{ field: "user_id", description: "unknown account" }]);
    const before = [...user.roles];
    const after = ROLES.filter((known) => known === "user" || next(before).includes(known));
    await this.deps.store.setRoles(userId, after);
    const audit = await this.deps.audit.append({ time: this.deps.clock.now(), actor: admin.userId, action, target: `${userId}:${role}`, reason, before: { roles: before }, after: { roles: after } });
    return { roles: after, audit };
  }
}
