import type { Clock } from "#kit/clock/clock.js";
import type { ChainGateway } from "../ports/chain-gateway.port.js";
import type { LedgerStore } from "../ports/ledger-store.port.js";
import type { MfaVerifier } from "../ports/mfa-verifier.port.js";
import type { WithdrawalDoc } from "./ledger.js";
import { accountFrozen } from "./wallet.errors.js";
import type { Wallet } from "./wallet.use-case.js";

export interface SendWithdrawalDeps {
  readonly wallet: Pick<Wallet, "run" | "withdrawal">;
  readonly store: Pick<LedgerStore, "dueDocs">;
  readonly chain: ChainGateway;
  /** auth's account security: whether the account is frozen, asked before approving and before each broadcast. */
  readonly security: Pick<MfaVerifier, "security">;
  readonly clock: Clock;
}

/**
 * A withdrawal from `pending` to the chain: approval of one awaiting review, the broadcast (idempotent at the
 * gateway by withdrawal id) and its completion in the ledger, and the sweep that drives again the ones left pending.
 *
 * A frozen account's withdrawals are held, as an exchange holds them during an investigation: approving one is
 * refused (ACCOUNT_FROZEN, nothing changed), and a pending one is not broadcast (it stays pending, its amount in
 * the account's pending balance) until the account is unfrozen, when the sweep sends it; an operator may reject it
 * meanwhile (funds back to the account, which stays frozen).
 */
export class SendWithdrawal {
  constructor(private readonly deps: SendWithdrawalDeps) {}

  async approve(withdrawalId: string): Promise<WithdrawalDoc> {
    // Checked before the command, so a refusal changes nothing; a withdrawal already decided is the command's to answer.
    const withdrawal = await this.deps.wallet.withdrawal(withdrawalId);
    const frozenAt = withdrawal.status === "awaiting_approval" ? await this.frozenAt(withdrawal.account) : 0;
    if (frozenAt > 0) throw accountFrozen(withdrawalId, frozenAt);
    await this.deps.wallet.run(`withdraw-approve:${withdrawalId}`, { kind: "withdraw_approve", withdrawalId });
    return this.process(withdrawalId);
  }

  /**
   * Broadcasts a pending withdrawal (idempotent at the gateway) and completes it in the ledger; one of a frozen
   * account stays pending, untouched.
   */
  async process(withdrawalId: string): Promise<WithdrawalDoc> {
    const withdrawal = await this.deps.wallet.withdrawal(withdrawalId);
    if (withdrawal.status !== "pending") return withdrawal;
    if ((await this.frozenAt(withdrawal.account)) > 0) return withdrawal;
    const { txId } = await this.deps.chain.send({
      withdrawalId,
      network: withdrawal.network,
      asset: withdrawal.asset,
      address: withdrawal.address,
      memo: withdrawal.memo,
      amount: withdrawal.amount - withdrawal.fee,
    });
    await this.deps.wallet.run(`withdraw-complete:${withdrawalId}`, { kind: "withdraw_complete", withdrawalId, txId });
    return this.deps.wallet.withdrawal(withdrawalId);
  }

  /**
   * Drives again every withdrawal left `pending` for longer than `graceMs` (the process died
   * between broadcast and completion, or the chain was down): the broadcast is idempotent by
   * withdrawal id at the gateway, and completion is one command id. A frozen account's stay pending (and due: sent
   * by the first sweep after the unfreeze). Returns how many completed.
   */
  async resume(graceMs = 30_000, limit = 100): Promise<number> {
    const stuck = await this.deps.store.dueDocs("withdrawal", this.deps.clock.now() - graceMs, limit);
    let completed = 0;
    for (const doc of stuck) {
      if (doc.type !== "withdrawal" || doc.status !== "pending") continue;
      const withdrawalId = doc.id.slice("withdrawal:".length);
      // One stuck withdrawal (its chain still failing) must not hold up the others.
      const after = await this.process(withdrawalId).catch(() => undefined);
      if (after?.status === "completed") completed += 1;
    }
    return completed;
  }

  private async frozenAt(account: string): Promise<number> {
    return (await this.deps.security.security(account)).frozenAt;
  }
}
