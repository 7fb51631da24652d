import type { Clock } from "#kit/clock/clock.js";
import type { LedgerStore } from "../ports/ledger-store.port.js";
import type { AssetRegistry } from "./assets.js";
import type { CommandExecutor } from "./command-batcher.js";
import { docIds, makeCommand, type HoldDoc } from "./ledger.js";
import { requireAmount, requireUserAccount } from "./request-checks.js";
import { invalidField, notFound } from "./wallet.errors.js";
import type { Wallet } from "./wallet.use-case.js";

export interface HoldsDeps {
  readonly wallet: Pick<Wallet, "run">;
  readonly store: Pick<LedgerStore, "doc" | "dueDocs">;
  readonly executor: CommandExecutor;
  readonly assets: AssetRegistry;
  readonly clock: Clock;
}

/**
 * Holds: funds moved from available to locked for an order, consumed by its settlements, returned in part when the
 * order is reduced and in whole (what remains) when it ends or its timeout passes.
 */
export class Holds {
  constructor(private readonly deps: HoldsDeps) {}

  /**
   * A hold of zero is allowed: a cancel-replace's new order paid for entirely by the order it cancels holds nothing
   * until that order's void moves its funds in (see void).
   */
  async create(request: { holdId: string; account: string; asset: string; amount: bigint; timeoutMs: number }): Promise<HoldDoc> {
    if (!this.deps.assets.get(request.asset)) throw invalidField("asset", `unknown asset ${request.asset}`);
    requireUserAccount(request.account, "account_id");
    if (request.amount !== 0n) requireAmount(request.amount, "amount");
    await this.deps.wallet.run(`hold:${request.holdId}`, { kind: "hold", ...request });
    return this.get(request.holdId);
  }

  async void(holdId: string): Promise<HoldDoc> {
    await this.deps.wallet.run(`void:${holdId}`, { kind: "void", holdId, expire: false });
    return this.get(holdId);
  }

  /**
   * Ends a pending hold as void does, but `amount` of what remains goes to another pending hold of the same account
   * and asset (a cancel-replace's new order taking the funds of the order it cancels) and only the rest returns to
   * available, in the same command. Once per hold whichever way it ends: the command id is the hold's void.
   */
  async move(holdId: string, toHoldId: string, amount: bigint): Promise<{ hold: HoldDoc; to: HoldDoc }> {
    requireAmount(amount, "amount");
    await this.deps.wallet.run(`void:${holdId}`, { kind: "void", holdId, expire: false, moveTo: { holdId: toHoldId, amount } });
    return { hold: await this.get(holdId), to: await this.get(toHoldId) };
  }

  /** Releases `amount` of a pending hold (an order reduced in place); the rest stays held. */
  async reduce(holdId: string, requestId: string, amount: bigint): Promise<HoldDoc> {
    requireAmount(amount, "amount");
    await this.deps.wallet.run(`reduce:${holdId}:${requestId}`, { kind: "reduce", holdId, amount });
    return this.get(holdId);
  }

  async get(holdId: string): Promise<HoldDoc> {
    const found = await this.deps.store.doc(docIds.hold(holdId));
    if (!found || found.doc.type !== "hold") throw notFound("hold", holdId);
    return found.doc;
  }

  /** Voids every pending hold whose timeout has passed on the ledger's clock. Returns how many. */
  async expire(limit = 1000): Promise<number> {
    const due = await this.deps.store.dueDocs("hold", this.deps.clock.now(), limit);
    let expired = 0;
    for (const doc of due) {
      if (doc.type !== "hold") continue;
      const [outcome] = await this.deps.executor.execute([makeCommand(`expire:${doc.id}`, this.deps.clock.now(), { kind: "void", holdId: doc.id.slice("hold:".length), expire: true })]);
      if (outcome!.ok && !outcome!.duplicate) expired += 1;
    }
    return expired;
  }
}
