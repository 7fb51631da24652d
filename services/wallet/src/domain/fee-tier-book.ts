import type { FeeTierSource, FeeTierStore } from "../ports/fee-tier.port.js";
import { effectiveTier, type FeeTierAssignment } from "./fee-tier-assignment.js";

/**
 * The tier each account is charged, held in memory: settlement asks it once per account per batch, and it answers
 * from a Map (no store read). Loaded from the store on first use; every change made through this wallet updates it
 * at once (`apply`, `reload`), and `reload` on a timer picks up changes made by other replicas.
 */
export class FeeTierBook implements FeeTierSource {
  private tiers = new Map<string, number>();
  private loaded = false;
  private loading: Promise<void> | undefined;

  constructor(private readonly store: Pick<FeeTierStore, "assignments">) {}

  async tier(account: string): Promise<number> {
    if (!this.loaded) await this.ready();
    return this.tiers.get(account) ?? 0;
  }

  /** The first load (shared by every caller that waits for it; retried after a failure). */
  ready(): Promise<void> {
    return (this.loading ??= this.reload().catch((error: unknown) => {
      this.loading = undefined;
      throw error;
    }));
  }

  /** Reads every assignment again. */
  async reload(): Promise<void> {
    const tiers = new Map<string, number>();
    for (const assignment of await this.store.assignments()) {
      const tier = effectiveTier(assignment);
      if (tier !== 0) tiers.set(assignment.account, tier);
    }
    this.tiers = tiers;
    this.loaded = true;
  }

  /** One account's assignment changed (it was just written to the store). */
  apply(assignment: Pick<FeeTierAssignment, "account" | "volumeTier" | "override">): void {
    const tier = effectiveTier(assignment);
    if (tier === 0) this.tiers.delete(assignment.account);
    else this.tiers.set(assignment.account, tier);
  }
}
