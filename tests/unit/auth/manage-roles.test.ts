import { describe, expect, it } from "vitest";
import { ManualClock } from "#kit/clock/clock.js";
import { DomainError } from "#kit/errors/domain-error.js";
import type { AuditEntry, AuditRecord } from "#kit/ports/audit-log.port.js";
import { ManageRoles } from "../../../services/auth/src/domain/manage-roles.use-case.js";
import type { Principal, Role } from "../../../services/auth/src/domain/principal.js";

// Granting and revoking roles: an admin only (checked before anything is read), "user" stays, each change recorded.

const principal = (userId: string, roles: Role[]): Principal => ({ userId, roles, permissions: ["read", "trade", "withdraw"], withdrawalLockedUntil: 0, mfaEnabled: false });

function setup() {
  const held = new Map<string, Role[]>([["u1", ["user"]]]);
  const reads: string[] = [];
  const records: AuditRecord[] = [];
  const roles = new ManageRoles({
    store: {
      findUserById: async (id) => {
        reads.push(id);
        const found = held.get(id);
        return found && ({ id, roles: found } as never);
      },
      setRoles: async (id, next) => void held.set(id, [...next]),
    },
    audit: {
      append: async (record) => (records.push(record), { id: records.length, ...record, beforeJson: "", afterJson: "" }) as AuditEntry,
      list: async () => [],
    },
    clock: new ManualClock(5),
  });
  return { roles, held, reads, records };
}

async function key(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "none",
    (error: unknown) => (error instanceof DomainError ? error.key : String(error)),
  );
}

describe("ManageRoles", () => {
  it("refuses an operator or a plain user before reading anything", async () => {
    const { roles, reads, records } = setup();
    expect(await key(roles.grant(principal("op", ["user", "operator"]), "u1", "operator", "r"))).toBe("FORBIDDEN");
    expect(await key(roles.revoke(principal("u2", ["user"]), "u1", "operator", "r"))).toBe("FORBIDDEN");
    expect(await key(roles.list(principal("op", ["operator"]), { limit: 10 }))).toBe("FORBIDDEN");
    expect([reads, records]).toEqual([[], []]);
  });

  it("grants once (a second grant changes nothing but is recorded), revokes, and keeps user", async () => {
    const { roles, held, records } = setup();
    const admin = principal("root", ["user", "admin"]);
    expect((await roles.grant(admin, "u1", "operator", "rota")).roles).toEqual(["user", "operator"]);
    expect((await roles.grant(admin, "u1", "operator", "rota")).roles).toEqual(["user", "operator"]);
    expect((await roles.revoke(admin, "u1", "operator", "left")).roles).toEqual(["user"]);
    expect(held.get("u1")).toEqual(["user"]);
    expect(await key(roles.revoke(admin, "u1", "user", "x"))).toBe("INVALID_PARAMETER");
    expect(await key(roles.grant(admin, "nobody", "operator", "x"))).toBe("NOT_FOUND");
    expect(await key(roles.grant(admin, "u1", "operator", " "))).toBe("INVALID_PARAMETER");
    expect(records.map((r) => [r.action, r.actor, r.target, r.before, r.after])).toEqual([
      ["role.grant", "root", "u1:operator", { roles: ["user"] }, { roles: ["user", "operator"] }],
      ["role.grant", "root", "u1:operator", { roles: ["user", "operator"] }, { roles: ["user", "operator"] }],
      ["role.revoke", "root", "u1:operator", { roles: ["user", "operator"] }, { roles: ["user"] }],
    ]);
  });
});
