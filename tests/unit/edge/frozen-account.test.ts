import { describe, expect, it } from "vitest";
import { FrozenAccountCheck } from "../../../edge/src/connect/frozen-account.js";

// The order-entry stream's freeze check: each request is answered by a lookup that started after it was
// read (never a stale "not frozen"), and requests read while a lookup runs share the next one.

/** auth's GetAccountSecurity, answering each call when the test says so, with the account's state then. */
class ControlledAuth {
  frozenAt = 0n;
  readonly calls: (() => void)[] = [];

  getAccountSecurity = (): Promise<{ frozenAt: bigint }> =>
    new Promise((resolve) => {
      this.calls.push(() => resolve({ frozenAt: this.frozenAt }));
    });

  /** Answers the oldest unanswered call. */
  answer(): void {
    this.calls.shift()!();
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("FrozenAccountCheck", () => {
  it("answers requests read during a lookup with the next lookup, one for the whole burst", async () => {
    const auth = new ControlledAuth();
    const check = new FrozenAccountCheck(auth as never, "carol");
    const first = check.assertNotFrozen();
    const burst = [check.assertNotFrozen(), check.assertNotFrozen(), check.assertNotFrozen()];
    await flush();
    expect(auth.calls.length).toBe(1);
    auth.answer();
    auth.frozenAt = 1_700_000_000_000n; // frozen after the first lookup read the state
    await expect(first).resolves.toBeUndefined();
    await flush();
    expect(auth.calls.length).toBe(1); // the burst's one lookup, started after the first ended
    auth.answer();
    for (const request of burst) await expect(request).rejects.toMatchObject({ key: "ACCOUNT_FROZEN", metadata: { frozenAt: "1700000000000" } });
  });

  it("starts a new lookup for a request read after the last one ended", async () => {
    const auth = new ControlledAuth();
    const check = new FrozenAccountCheck(auth as never, "carol");
    const first = check.assertNotFrozen();
    await flush();
    auth.answer();
    await first;
    const second = check.assertNotFrozen();
    await flush();
    expect(auth.calls.length).toBe(1);
    auth.answer();
    await expect(second).resolves.toBeUndefined();
  });
});
