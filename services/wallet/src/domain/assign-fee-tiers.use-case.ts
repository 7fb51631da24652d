import type { Clock } from "#kit/clock/clock.js";
import type { AuditEntry, AuditLog } from "#kit/ports/audit-log.port.js";
import type { Operator } from "#kit/ports/operator-gate.port.js";
import type { FeeTierStore } from "../ports/fee-tier.port.js";
import { dayOf, volumeTierChanges, windowStart, VOLUME_WINDOW_DAYS } from "./fee-tier-assignment.js";
import type { FeeTierBook } from "./fee-tier-book.js";
import type { FeeSchedule } from "./fees.js";

export interface AssignFeeTiersDeps {
  readonly store: FeeTierStore;
  readonly book: FeeTierBook;
  readonly schedule: FeeSchedule;
  readonly clock: Clock;
  readonly audit: AuditLog;
  /** Writes the trades settled but not yet recorded, so they count. */
  readonly flush?: () => Promise<void>;
}

/** Trade ids are kept a few days past the window, so a settlement replayed late is still recognised. */
const KEEP_DAYS = VOLUME_WINDOW_DAYS + 5;

/**
 * Puts every account on the tier its volume over the last 30 days (UTC, today included) earns: run daily on the
 * ledger's clock and on an operator's demand. An override is left in place (it wins until cleared); the volume
 * tier under it is still kept current. Days that left the window are forgotten.
 */
export class AssignFeeTiers {
  constructor(private readonly deps: AssignFeeTiersDeps) {}

  /** One recompute; answers the accounts whose volume tier changed. */
  async execute(): Promise<{ account: string; before: number; after: number }[]> {
    const { store, schedule, clock, book } = this.deps;
    await this.deps.flush?.();
    const now = clock.now();
    const [volumes, stored] = await Promise.all([store.volumes(schedule.volumeAsset, windowStart(now)), store.assignments()]);
    const before = new Map(stored.map((assignment) => [assignment.account, assignment.volumeTier]));
    const changes = volumeTierChanges(schedule, volumes, stored);
    await store.setVolumeTiers(changes, now);
    await store.forgetBefore(windowStart(now, KEEP_DAYS));
    await book.reload();
    return changes.map(({ account, volumeTier }) => ({ account, before: before.get(account) ?? 0, after: volumeTier }));
  }

  /** A recompute asked for by an operator, recorded in the audit log with the tiers that moved (the first 100). */
  async byOperator(operator: Operator, reason: string): Promise<{ changed: number; audit: AuditEntry }> {
    const changes = await this.execute();
    const audit = await this.deps.audit.append({
      time: this.deps.clock.now(),
      actor: operator.userId,
      action: "fee-tier.recompute",
      target: dayOf(this.deps.clock.now()),
      reason,
      before: { volumeTiers: Object.fromEntries(changes.slice(0, 100).map((c) => [c.account, c.before])) },
      after: { changed: changes.length, volumeTiers: Object.fromEntries(changes.slice(0, 100).map((c) => [c.account, c.after])) },
    });
    return { changed: changes.length, audit };
  }
}
