import type { FeeTierStore } from "../ports/fee-tier.port.js";
import { effectiveTier, volumeInWindow, windowStart, type FeeTierOverride } from "./fee-tier-assignment.js";
import type { FeeSchedule } from "./fees.js";

/** An account's fee tier as operators see it: what it pays, what its volume earns, and why. */
export interface AccountFeeTierView {
  readonly account: string;
  /** The tier charged. */
  readonly tier: number;
  readonly makerBps: number;
  readonly takerBps: number;
  /** The tier its volume earned at the last recompute. */
  readonly volumeTier: number;
  /** Its volume over the window now, in the schedule's volume asset's smallest units. */
  readonly volume: bigint;
  readonly volumeAsset: string;
  readonly override?: FeeTierOverride;
}

export interface AccountFeeTierDeps {
  readonly store: Pick<FeeTierStore, "assignment" | "dailyVolumes">;
  readonly schedule: FeeSchedule;
}

/** Reads one account's tier, volume and override from the store. */
export async function accountFeeTier(deps: AccountFeeTierDeps, account: string, now: number): Promise<AccountFeeTierView> {
  const { store, schedule } = deps;
  const [assignment, daily] = await Promise.all([store.assignment(account), store.dailyVolumes(account, schedule.volumeAsset, windowStart(now))]);
  const tier = effectiveTier(assignment);
  const rates = schedule.rates(tier);
  return {
    account,
    tier,
    makerBps: rates.makerBps,
    takerBps: rates.takerBps,
    volumeTier: assignment?.volumeTier ?? 0,
    volume: volumeInWindow(daily, now),
    volumeAsset: schedule.volumeAsset,
    ...(assignment?.override ? { override: assignment.override } : {}),
  };
}
