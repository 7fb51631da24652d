import { divCeil } from "#kit/money/decimal.js";

// Fees are basis points of the amount received, per user tier, rounded UP to the asset's
// smallest unit: ceil(amount x bps / 10_000). The exchange never rounds in the payer's favour,
// and since bps <= 10_000 the fee never exceeds the amount.

export interface FeeTier {
  readonly tier: number;
  readonly makerBps: number;
  readonly takerBps: number;
}

export const DEFAULT_FEE_TIERS: readonly FeeTier[] = [
  { tier: 0, makerBps: 10, takerBps: 10 },
  { tier: 1, makerBps: 9, takerBps: 10 },
  { tier: 2, makerBps: 8, takerBps: 10 },
  { tier: 3, makerBps: 4, takerBps: 6 },
  { tier: 4, makerBps: 0, takerBps: 5 },
];

/** BigInt(bps) for the rates in use, made once each (two per settlement otherwise). */
const BPS: bigint[] = [];

export function feeFor(amount: bigint, bps: number): bigint {
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError(`fee bps out of range: ${bps}`);
  return divCeil(amount * (BPS[bps] ??= BigInt(bps)), 10_000n);
}

export class FeeSchedule {
  private readonly tiers: Map<number, FeeTier>;

  constructor(tiers: readonly FeeTier[] = DEFAULT_FEE_TIERS) {
    this.tiers = new Map(tiers.map((tier) => [tier.tier, tier]));
  }

  /** The tier's maker and taker rates (an unknown tier's are tier 0's). */
  rates(tier: number): FeeTier {
    return { tier, makerBps: this.bps(tier, true), takerBps: this.bps(tier, false) };
  }

  /** Basis points for one side of a trade; an unknown tier pays tier 0's rates. */
  bps(tier: number, maker: boolean): number {
    const spec = this.tiers.get(tier) ?? this.tiers.get(0) ?? { tier: 0, makerBps: 10, takerBps: 10 };
    return maker ? spec.makerBps : spec.takerBps;
  }
}
