import type { Clock } from "#kit/clock/clock.js";
import type { AssetRegistry } from "./assets.js";
import type { CommandExecutor } from "./command-batcher.js";
import { makeCommand, type Command, type Outcome } from "./ledger.js";
import { requireAmount, requireUserAccount } from "./request-checks.js";
import { invalidField } from "./wallet.errors.js";

/** One hold of a batch: taken (or voided), now or by an earlier call with the same id, or why not. */
export type HoldOutcome = { readonly ok: true } | { readonly ok: false; readonly error: Error };

export interface HoldRequest {
  readonly holdId: string;
  readonly account: string;
  readonly asset: string;
  readonly amount: bigint;
  readonly timeoutMs: number;
}

export interface BatchHoldsDeps {
  readonly executor: CommandExecutor;
  readonly assets: AssetRegistry;
  readonly clock: Clock;
}

/**
 * Holds taken and voided in batches (the orders of one group): every command of a batch goes to the batcher as one
 * unit, so they commit together, and each succeeds or fails on its own. The command ids are those of a lone
 * CreateHold or VoidHold (`hold:<id>`, `void:<id>`), so either path answers a retry of the other.
 */
export class BatchHolds {
  constructor(private readonly deps: BatchHoldsDeps) {}

  take(requests: readonly HoldRequest[]): Promise<HoldOutcome[]> {
    const now = this.deps.clock.now();
    return this.run(requests.map((request) => () => {
      if (!this.deps.assets.get(request.asset)) throw invalidField("asset", `unknown asset ${request.asset}`);
      requireUserAccount(request.account, "account_id");
      // zero, as CreateHold allows it (Holds.create)
      if (request.amount !== 0n) requireAmount(request.amount, "amount");
      return makeCommand(`hold:${request.holdId}`, now, { kind: "hold", ...request });
    }));
  }

  void(holdIds: readonly string[]): Promise<HoldOutcome[]> {
    const now = this.deps.clock.now();
    return this.run(holdIds.map((holdId) => () => makeCommand(`void:${holdId}`, now, { kind: "void", holdId, expire: false })));
  }

  /** Each item's command (or why it cannot be one), the valid ones submitted together, outcomes in item order. */
  private async run(items: readonly (() => Command)[]): Promise<HoldOutcome[]> {
    const outcomes: HoldOutcome[] = new Array(items.length);
    const commands: Command[] = [];
    const places: number[] = [];
    items.forEach((make, index) => {
      try {
        commands.push(make());
        places.push(index);
      } catch (error) {
        outcomes[index] = { ok: false, error: error as Error };
      }
    });
    if (commands.length > 0) {
      const executor = this.deps.executor;
      const done: Outcome[] = executor.submitAll ? await executor.submitAll(commands) : await executor.execute(commands);
      done.forEach((outcome, at) => (outcomes[places[at]!] = outcome.ok ? { ok: true } : { ok: false, error: outcome.error }));
    }
    return outcomes;
  }
}
