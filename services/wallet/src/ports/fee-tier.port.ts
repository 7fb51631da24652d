/** The fee tier of an account (from trading volume or VIP status; owned outside wallet). */
export interface FeeTierSource {
  tier(account: string): Promise<number>;
}
