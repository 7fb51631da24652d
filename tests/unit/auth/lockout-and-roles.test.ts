import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DomainError } from "#kit/errors/domain-error.js";
import { ACCOUNT_LOCKOUT, lockedUntil, NO_FAILURES, recordFailure, type FailureRecord } from "../../../services/auth/src/domain/lockout.js";
import { assertCanAct, canAct, PERMISSIONS, type Principal, type Role } from "../../../services/auth/src/domain/principal.js";

describe("lockout policy", () => {
  it("locks on the 5th failure for 1 min, then doubles per failure up to 1 h", () => {
    let record: FailureRecord = NO_FAILURES;
    const now = 1_000_000;
    const locks: number[] = [];
    for (let i = 1; i <= 12; i++) {
      record = recordFailure(ACCOUNT_LOCKOUT, record, now);
      locks.push(lockedUntil(record, now) === 0 ? 0 : record.lockedUntil - now);
    }
    expect(locks).toEqual([0, 0, 0, 0, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
    expect(lockedUntil(record, now + 3_600_000)).toBe(0);
  });

  it("forgets failures after 15 quiet minutes", () => {
    let record: FailureRecord = NO_FAILURES;
    for (let i = 0; i < 4; i++) record = recordFailure(ACCOUNT_LOCKOUT, record, 0);
    record = recordFailure(ACCOUNT_LOCKOUT, record, 900_000);
    expect(record.failures).toBe(1);
    expect(record.lockedUntil).toBe(0);
  });

  it("never shortens a lock and never exceeds the cap (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1, maxLength: 40 }), (gaps) => {
        let record: FailureRecord = NO_FAILURES;
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          const next = recordFailure(ACCOUNT_LOCKOUT, record, now);
          expect(next.lockedUntil - now).toBeLessThanOrEqual(ACCOUNT_LOCKOUT.maxLockMs);
          if (next.failures > record.failures) expect(next.lockedUntil).toBeGreaterThanOrEqual(record.lockedUntil);
          record = next;
        }
      }),
    );
  });
});

describe("assertCanAct (no BOLA)", () => {
  const principal = (userId: string, roles: Role[]): Principal => ({ userId, roles, permissions: PERMISSIONS, withdrawalLockedUntil: 0, mfaEnabled: false });

  it("lets owners act, support read, admin do both; nobody else", () => {
    const cases: [Role[], string, boolean, boolean][] = [
      [["user"], "alice", false, true],
      [["user"], "alice", true, true],
      [["user"], "bob", false, false],
      [["user"], "bob", true, false],
      [["user", "support"], "bob", false, true],
      [["user", "support"], "bob", true, false],
      [["user", "admin"], "bob", true, true],
    ];
    for (const [roles, target, write, allowed] of cases) expect(canAct(principal("alice", roles), target, write), `${roles} ${target} ${write}`).toBe(allowed);
  });

  it("throws FORBIDDEN (-2015, PermissionDenied) for another user's account and UNAUTHORIZED without a principal", () => {
    const forbidden = (() => {
      try {
        assertCanAct(principal("alice", ["user"]), "bob", false);
      } catch (error) {
        return error as DomainError;
      }
    })();
    expect(forbidden?.key).toBe("FORBIDDEN");
    expect(forbidden?.spec.binance).toBe(-2015);
    expect(() => assertCanAct(undefined, "bob", false)).toThrow(expect.objectContaining({ key: "UNAUTHORIZED" }));
  });
});
