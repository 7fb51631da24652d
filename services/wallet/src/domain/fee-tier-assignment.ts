import type { FeeSchedule } from "./fees.js";

// Which tier an account pays: its traded quote volume over a rolling window of UTC days (today included) earns a
// tier from the schedule's thresholds; an operator's override wins over it until cleared. Volume is kept per
// account per UTC day, so the window moves a day at a time.

export const VOLUME_WINDOW_DAYS = 30;
const DAY_MS = 86_400_000;

/** The UTC day (YYYY-MM-DD) of a ledger-clock time. */
export function dayOf(ms: number): string {
  return new Date(Math.floor(ms / DAY_MS) * DAY_MS).toISOString().slice(0, 10);
}

/** The first day the window ending today (`now`) counts: today and the 29 days before it. */
export function windowStart(now: number, days = VOLUME_WINDOW_DAYS): string {
  return dayOf(now - (days - 1) * DAY_MS);
}

/** Volume of the days inside the window ending at `now` (days are YYYY-MM-DD, so compared as strings). */
export function volumeInWindow(daily: Iterable<{ readonly day: string; readonly volume: bigint }>, now: number): bigint {
  const from = windowStart(now);
  const today = dayOf(now);
  let sum = 0n;
  for (const { day, volume } of daily) if (day >= from && day <= today) sum += volume;
  return sum;
}

export interface FeeTierOverride {
  readonly tier: number;
  readonly reason: string;
  readonly actor: string;
  readonly time: number;
}

/** An account's stored assignment: the tier its volume earned at the last recompute, and any override. */
export interface FeeTierAssignment {
  readonly account: string;
  readonly volumeTier: number;
  readonly override?: FeeTierOverride;
}

/** The tier charged: the override's, else the volume tier. */
export function effectiveTier(assignment: Pick<FeeTierAssignment, "volumeTier" | "override"> | undefined): number {
  if (!assignment) return 0;
  return assignment.override ? assignment.override.tier : assignment.volumeTier;
}

/** The volume tier each account should be on now, for those whose stored one differs. */
export function volumeTierChanges(schedule: FeeSchedule, volumes: ReadonlyMap<string, bigint>, stored: readonly FeeTierAssignment[]): { account: string; volumeTier: number }[] {
  const changes: { account: string; volumeTier: number }[] = [];
  const seen = new Set<string>();
  for (const assignment of stored) {
    seen.add(assignment.account);
    const volumeTier = schedule.tierForVolume(volumes.get(assignment.account) ?? 0n);
    if (volumeTier !== assignment.volumeTier) changes.push({ account: assignment.account, volumeTier });
  }
  for (const [account, volume] of volumes) {
    if (seen.has(account)) continue;
    const volumeTier = schedule.tierForVolume(volume);
    if (volumeTier !== 0) changes.push({ account, volumeTier });
  }
  return changes;
}
