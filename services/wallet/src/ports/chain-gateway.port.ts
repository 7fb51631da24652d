/** A deposit the chain has seen to one of our addresses, with its confirmations so far. */
export interface ChainDeposit {
  readonly network: string;
  readonly txId: string;
  readonly address: string;
  readonly memo: string;
  readonly asset: string;
  readonly amount: bigint;
  readonly confirmations: number;
}

export interface WithdrawalOrder {
  readonly withdrawalId: string;
  readonly network: string;
  readonly asset: string;
  readonly address: string;
  readonly memo: string;
  /** What the destination receives (the network fee already taken out). */
  readonly amount: bigint;
}

/** The blockchains, as wallet needs them: one adapter per network family (a simulated chain embedded). */
export interface ChainGateway {
  /** The deposit address (and memo, on memo networks) of an account on a network. Deterministic. */
  depositAddress(network: string, account: string): Promise<{ address: string; memo: string }>;
  /** Every deposit seen to our addresses with its current confirmations. */
  observedDeposits(): Promise<ChainDeposit[]>;
  /** Broadcasts a withdrawal; idempotent by withdrawal id (a retry returns the same tx id). */
  send(order: WithdrawalOrder): Promise<{ txId: string }>;
}
