import { createHash } from "node:crypto";
import type { ChainDeposit, ChainGateway, WithdrawalOrder } from "../ports/chain-gateway.port.js";

/**
 * A simulated chain for embedded mode and tests: deterministic addresses, deposits that gain a
 * confirmation per mined block, withdrawals that are broadcast once per withdrawal id.
 */
export class SimulatedChain implements ChainGateway {
  private height = 0;
  private sequence = 0;
  // The chain lives in memory, so a restarted process must not reuse tx ids the ledger already knows.
  private readonly epoch = Date.now().toString(36);
  private readonly deposits: { deposit: Omit<ChainDeposit, "confirmations">; block: number }[] = [];
  readonly sent = new Map<string, { order: WithdrawalOrder; txId: string }>();

  constructor(private readonly memoNetworks: ReadonlySet<string> = new Set(["XRP"])) {}

  async depositAddress(network: string, account: string): Promise<{ address: string; memo: string }> {
    const digest = createHash("sha256").update(`${network}\u0000${account}`).digest("hex");
    if (this.memoNetworks.has(network)) {
      // One shared exchange address; the memo tells accounts apart.
      return { address: `${network.toLowerCase()}-exchange-hot`, memo: String(BigInt(`0x${digest.slice(0, 12)}`)) };
    }
    return { address: `${network.toLowerCase()}1${digest.slice(0, 38)}`, memo: "" };
  }

  /** A transfer to one of our addresses, included in the next block. Returns its tx id. */
  receive(network: string, address: string, memo: string, asset: string, amount: bigint): string {
    this.sequence += 1;
    const txId = `${network.toLowerCase()}tx${this.epoch}${this.sequence.toString().padStart(8, "0")}`;
    this.deposits.push({ deposit: { network, txId, address, memo, asset, amount }, block: this.height + 1 });
    return txId;
  }

  mine(blocks = 1): void {
    this.height += blocks;
  }

  async observedDeposits(): Promise<ChainDeposit[]> {
    return this.deposits.map(({ deposit, block }) => ({ ...deposit, confirmations: Math.max(0, this.height - block + 1) }));
  }

  async send(order: WithdrawalOrder): Promise<{ txId: string }> {
    const previous = this.sent.get(order.withdrawalId);
    if (previous) return { txId: previous.txId };
    this.sequence += 1;
    const txId = `${order.network.toLowerCase()}out${this.epoch}${this.sequence.toString().padStart(8, "0")}`;
    this.sent.set(order.withdrawalId, { order, txId });
    return { txId };
  }
}
