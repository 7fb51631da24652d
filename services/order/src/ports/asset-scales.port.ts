/** wallet's asset registry as order needs it to list a symbol: each asset's scale (digits of its smallest unit). */
export interface AssetScales {
  /** undefined: wallet has no such asset. */
  scaleOf(asset: string): Promise<number | undefined>;
}
