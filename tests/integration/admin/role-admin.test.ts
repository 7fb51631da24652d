import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rmSync } from "node:fs";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { AdjustmentAdminService, RoleAdminService } from "#gen/exchange/admin/v1/admin_pb.js";
import { Role } from "#gen/exchange/auth/v1/auth_pb.js";
import { failure, startEmbedded, type Embedded, type Person } from "./support.js";

// Granting the operator role (exchange.admin.v1.RoleAdminService on auth's internal port): only an admin may;
// an operator may not; every change is in auth's audit log; a grant or a revocation takes effect on the holder's
// very next call, with the token they already hold.

let env: Embedded;
let admin: Person;
let operator: Person;
let candidate: Person;
let roles: Client<typeof RoleAdminService>;

beforeAll(async () => {
  env = await startEmbedded("role-admin-");
  admin = await env.signUp("admin@example.com", ["user", "admin"]);
  operator = await env.signUp("operator@example.com", ["user", "operator"]);
  candidate = await env.signUp("candidate@example.com");
  roles = createClient(RoleAdminService, admin.internal);
}, 60_000);

afterAll(async () => {
  await env?.exchange.stop();
  if (env) rmSync(env.dataDir, { recursive: true, force: true });
});

const backOffice = (person: Person) => createClient(AdjustmentAdminService, person.internal).listAdjustments({});

describe("granting and revoking roles", () => {
  it("refuses anyone but an admin, operators included, and changes nothing", async () => {
    const grant = { userId: candidate.userId, role: Role.OPERATOR, reason: "please" };
    expect((await failure(createClient(RoleAdminService, env.anonymous).grantRole(grant))).code).toBe(Code.Unauthenticated);
    expect((await failure(createClient(RoleAdminService, candidate.internal).grantRole(grant))).code).toBe(Code.PermissionDenied);
    expect((await failure(createClient(RoleAdminService, operator.internal).grantRole(grant))).code).toBe(Code.PermissionDenied);
    expect((await failure(createClient(RoleAdminService, operator.internal).listAuthAudit({}))).code).toBe(Code.PermissionDenied);
    expect((await failure(backOffice(candidate))).code).toBe(Code.PermissionDenied);
    expect((await roles.listAuthAudit({})).entries).toEqual([]);
  });

  it("an admin grants operator: the new operator reaches the back office at once; revoking takes effect at once", async () => {
    const granted = await roles.grantRole({ userId: candidate.userId, role: Role.OPERATOR, reason: "joins the ops rota, ticket 7" });
    expect(granted.roles).toEqual([Role.USER, Role.OPERATOR]);
    expect(granted.audit).toMatchObject({ actor: admin.userId, action: "role.grant", target: `${candidate.userId}:operator`, reason: "joins the ops rota, ticket 7" });
    expect([JSON.parse(granted.audit!.beforeJson), JSON.parse(granted.audit!.afterJson)]).toEqual([{ roles: ["user"] }, { roles: ["user", "operator"] }]);
    // The token signed in before the grant: roles are read on every authentication.
    expect((await backOffice(candidate)).adjustments).toEqual([]);

    const revoked = await roles.revokeRole({ userId: candidate.userId, role: Role.OPERATOR, reason: "left the rota" });
    expect(revoked.roles).toEqual([Role.USER]);
    expect((await failure(backOffice(candidate))).code).toBe(Code.PermissionDenied);

    expect((await failure(roles.revokeRole({ userId: candidate.userId, role: Role.USER, reason: "x" }))).code).toBe(Code.InvalidArgument);
    expect((await failure(roles.grantRole({ userId: "no-such-account", role: Role.OPERATOR, reason: "x" }))).code).toBe(Code.NotFound);
    const { entries } = await roles.listAuthAudit({});
    expect(entries.map((e) => [e.action, e.actor, e.target])).toEqual([
      ["role.revoke", admin.userId, `${candidate.userId}:operator`],
      ["role.grant", admin.userId, `${candidate.userId}:operator`],
    ]);
  });
});
