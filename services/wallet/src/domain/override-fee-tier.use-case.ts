import type { Clock } from "#kit/clock/clock.js";
import type { AuditEntry, AuditLog } from "#kit/ports/audit-log.port.js";
import type { Operator } from "#kit/ports/operator-gate.port.js";
import type { FeeTierStore } from "../ports/fee-tier.port.js";
import { accountFeeTier, type AccountFeeTierView } from "./account-fee-tier.js";
import type { FeeTierBook } from "./fee-tier-book.js";
import type { FeeSchedule } from "./fees.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { invalidField } from "./wallet.errors.js";

export interface OverrideFeeTierDeps {
  readonly store: FeeTierStore;
  readonly book: FeeTierBook;
  readonly schedule: FeeSchedule;
  readonly clock: Clock;
  readonly audit: AuditLog;
}

/**
 * An operator puts an account on a tier whatever its volume (a VIP deal, a market maker), or returns it to its
 * volume tier. Bad input (an exchange account, a tier not in the schedule, clearing no override) changes nothing.
 * The change is written to the store, takes effect in this wallet's settlements at once, and is then appended to
 * wallet's audit log with the account's tier before and after.
 */
export class OverrideFeeTier {
  constructor(private readonly deps: OverrideFeeTierDeps) {}

  view(account: string): Promise<AccountFeeTierView> {
    requireUserAccount(account);
    return accountFeeTier(this.deps, account, this.deps.clock.now());
  }

  async set(operator: Operator, account: string, tier: number, reason: string): Promise<{ account: AccountFeeTierView; audit: AuditEntry }> {
    requireUserAccount(account);
    if (!this.deps.schedule.has(tier)) throw invalidField("tier", `not a tier of the fee schedule (${this.deps.schedule.list().map((t) => t.tier).join(", ")})`);
    const now = this.deps.clock.now();
    return this.change(operator, account, reason, "fee-tier.override.set", { tier, reason, actor: operator.userId, time: now });
  }

  async clear(operator: Operator, account: string, reason: string): Promise<{ account: AccountFeeTierView; audit: AuditEntry }> {
    requireUserAccount(account);
    return this.change(operator, account, reason, "fee-tier.override.clear", undefined);
  }

  private async change(operator: Operator, account: string, reason: string, action: string, override: AccountFeeTierView["override"]) {
    const { store, book, clock, audit } = this.deps;
    const before = await this.view(account);
    if (!override && !before.override) throw new DomainError("INVALID_STATE", `Account ${account} has no fee tier override.`, [{ field: "account_id", description: "has no override" }]);
    const now = clock.now();
    await store.setOverride(account, override, now);
    // Cleared: back on the tier its volume earns now, not the one of the last recompute.
    const volumeTier = override ? before.volumeTier : this.deps.schedule.tierForVolume(before.volume);
    if (volumeTier !== before.volumeTier) await store.setVolumeTiers([{ account, volumeTier }], now);
    book.apply({ account, volumeTier, override });
    const after = await this.view(account);
    const entry = await audit.append({ time: now, actor: operator.userId, action, target: account, reason, before: auditView(before), after: auditView(after) });
    return { account: after, audit: entry };
  }
}

function auditView(view: AccountFeeTierView) {
  return { tier: view.tier, volumeTier: view.volumeTier, volume: view.volume, volumeAsset: view.volumeAsset, override: view.override ?? null };
}

function requireUserAccount(account: string): void {
  if (account === "" || account.startsWith("@")) throw invalidField("account_id", "not a user account");
}
