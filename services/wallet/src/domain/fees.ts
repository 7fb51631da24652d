import { divCeil } from "#kit/money/decimal.js";

// Fees are basis points of the amount received, per user tier, rounded UP to the asset's
// smallest unit: ceil(amount x bps / 10_000). The exchange never rounds in the payer's favour,
// and since bps <= 10_000 the fee never exceeds the amount.

export interface FeeTier {
  readonly tier: number;
  readonly makerBps: number;
  readonly takerBps: number;
}

/** A tier of the schedule: its rates, and the 30-day quote volume (volume asset's smallest units) that earns it. */
export interface FeeTierSpec extends FeeTier {
  readonly minVolume: bigint;
}

const USDT = 10n ** 8n;

/** Binance-like VIP levels, by 30-day volume in USDT (scale 8). */
export const DEFAULT_FEE_TIERS: readonly FeeTierSpec[] = [
  { tier: 0, makerBps: 10, takerBps: 10, minVolume: 0n },
  { tier: 1, makerBps: 9, takerBps: 10, minVolume: 1_000_000n * USDT },
  { tier: 2, makerBps: 8, takerBps: 10, minVolume: 5_000_000n * USDT },
  { tier: 3, makerBps: 4, takerBps: 6, minVolume: 20_000_000n * USDT },
  { tier: 4, makerBps: 0, takerBps: 5, minVolume: 100_000_000n * USDT },
];

/** The quote asset whose traded volume earns tiers by default. */
export const DEFAULT_VOLUME_ASSET = "USDT";

/** BigInt(bps) for the rates in use, made once each (two per settlement otherwise). */
const BPS: bigint[] = [];

export function feeFor(amount: bigint, bps: number): bigint {
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError(`fee bps out of range: ${bps}`);
  return divCeil(amount * (BPS[bps] ??= BigInt(bps)), 10_000n);
}

export class FeeSchedule {
  private readonly tiers: Map<number, FeeTierSpec>;
  /** By minVolume, highest first (ties: the higher tier). */
  private readonly byVolume: readonly FeeTierSpec[];

  /**
   * `tiers` each with the 30-day volume (in `volumeAsset`'s smallest units) that earns it; a tier without one is
   * only reached by an operator's override.
   */
  constructor(
    tiers: readonly (FeeTier & { readonly minVolume?: bigint })[] = DEFAULT_FEE_TIERS,
    readonly volumeAsset: string = DEFAULT_VOLUME_ASSET,
  ) {
    const specs = tiers.map((tier) => ({ tier: tier.tier, makerBps: tier.makerBps, takerBps: tier.takerBps, minVolume: tier.minVolume ?? -1n }));
    this.tiers = new Map(specs.map((tier) => [tier.tier, tier]));
    this.byVolume = specs.filter((tier) => tier.minVolume >= 0n).sort((a, b) => (a.minVolume === b.minVolume ? b.tier - a.tier : a.minVolume > b.minVolume ? -1 : 1));
  }

  /** Every tier, lowest first; minVolume -1n: by override only. */
  list(): FeeTierSpec[] {
    return [...this.tiers.values()].sort((a, b) => a.tier - b.tier);
  }

  has(tier: number): boolean {
    return this.tiers.has(tier);
  }

  /** The tier a 30-day volume earns: the highest threshold it reaches (at the threshold counts), else 0. */
  tierForVolume(volume: bigint): number {
    for (const spec of this.byVolume) if (volume >= spec.minVolume) return spec.tier;
    return 0;
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
