/**
 * Matching's book keys accounts by small integers (self-trade prevention compares them, trade
 * events carry them); the rest of the exchange names accounts by string. This port keeps the
 * two-way mapping durable, so replaying the journal after a restart yields the same names.
 */
export interface AccountIds {
  /** The number for an account, assigned (durably) on first use. */
  numberOf(accountId: string): Promise<number>;
  /** The account a number stands for. */
  nameOf(accountNumber: number): string;
}
