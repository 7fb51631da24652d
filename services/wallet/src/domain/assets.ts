import { parseUnits } from "#kit/money/decimal.js";

// The asset registry wallet owns: each asset's scale (digits of its smallest unit) and the
// networks it moves on. Amounts everywhere inside are bigint counts of the smallest unit.

export interface NetworkSpec {
  readonly network: string;
  /** Charged on each withdrawal, in the asset's smallest unit, taken out of the amount sent. */
  readonly withdrawFee: bigint;
  readonly withdrawMin: bigint;
  /** A deposit is credited once it has this many confirmations; pending before. */
  readonly confirmations: number;
  readonly memoRequired: boolean;
}

export interface AssetSpec {
  readonly asset: string;
  readonly scale: number;
  readonly networks: readonly NetworkSpec[];
  /** Per account and UTC day (of the ledger's clock): the sum of withdrawal requests not rejected. */
  readonly dailyWithdrawLimit: bigint;
  /** Withdrawals above this amount wait in the approval queue. */
  readonly approvalThreshold: bigint;
}

/**
 * Largest amount a single request may carry, in smallest units (10^36 - 1). DynamoDB numbers hold
 * 38 significant digits exactly, so balances stay exact there with room for sums; PostgreSQL's
 * NUMERIC(78,0) and SQLite's decimal TEXT hold more.
 */
export const MAX_UNITS = 10n ** 36n - 1n;

function network(asset: { scale: number }, spec: { network: string; fee: string; min: string; confirmations: number; memo?: boolean }): NetworkSpec {
  return {
    network: spec.network,
    withdrawFee: parseUnits(spec.fee, asset.scale),
    withdrawMin: parseUnits(spec.min, asset.scale),
    confirmations: spec.confirmations,
    memoRequired: spec.memo ?? false,
  };
}

function asset(name: string, scale: number, limit: string, approval: string, networks: Parameters<typeof network>[1][]): AssetSpec {
  return {
    asset: name,
    scale,
    networks: networks.map((spec) => network({ scale }, spec)),
    dailyWithdrawLimit: parseUnits(limit, scale),
    approvalThreshold: parseUnits(approval, scale),
  };
}

/**
 * USDT uses scale 8, not its on-chain 6: order's symbol registry quotes BTCUSDT and ETHUSDT with
 * quote precision 8, and price x quantity must land on a unit of the quote asset without rounding.
 */
export const DEFAULT_ASSETS: readonly AssetSpec[] = [
  asset("BTC", 8, "100", "10", [{ network: "BTC", fee: "0.0002", min: "0.001", confirmations: 2 }]),
  asset("ETH", 18, "2000", "200", [{ network: "ETH", fee: "0.002", min: "0.01", confirmations: 12 }]),
  asset("USDT", 8, "10000000", "1000000", [
    { network: "ETH", fee: "5", min: "10", confirmations: 12 },
    { network: "TRX", fee: "1", min: "10", confirmations: 20 },
  ]),
  asset("XRP", 6, "10000000", "1000000", [{ network: "XRP", fee: "0.25", min: "20", confirmations: 1, memo: true }]),
];

export class AssetRegistry {
  private readonly byName: Map<string, AssetSpec>;

  constructor(readonly assets: readonly AssetSpec[] = DEFAULT_ASSETS) {
    this.byName = new Map(assets.map((spec) => [spec.asset, spec]));
  }

  get(asset: string): AssetSpec | undefined {
    return this.byName.get(asset);
  }

  network(asset: string, network: string): NetworkSpec | undefined {
    const spec = this.byName.get(asset);
    if (!spec) return undefined;
    return network === "" ? spec.networks[0] : spec.networks.find((candidate) => candidate.network === network);
  }
}
