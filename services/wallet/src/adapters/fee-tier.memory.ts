import type { FeeTierSource } from "../ports/fee-tier.port.js";

/**
 * Fee tiers assigned by hand (VIP accounts, tests), every other account on tier 0: the default
 * source until one computed from trading volume exists.
 */
export class MemoryFeeTiers implements FeeTierSource {
  private readonly tiers = new Map<string, number>();

  assign(account: string, tier: number): void {
    if (!Number.isInteger(tier) || tier < 0) throw new RangeError(`fee tier must be a non-negative integer: ${tier}`);
    this.tiers.set(account, tier);
  }

  async tier(account: string): Promise<number> {
    return this.tiers.get(account) ?? 0;
  }
}
