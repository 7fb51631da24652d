import type { FeeTierStore, TradedVolume } from "../ports/fee-tier.port.js";
import type { CommandExecutor } from "./command-batcher.js";
import { dayOf } from "./fee-tier-assignment.js";
import type { Command, Outcome } from "./ledger.js";

/**
 * Each settled trade's quote volume, for fee tiers. Settlements are seen as they leave the ledger (a decorator on
 * its executor, so every way in counts and the settlement path only pushes to an array); they are written to the
 * fee-tier store in the background, every `flush`, idempotently by trade id, on the day (UTC) of the ledger-clock
 * time the settlement was accepted. The ledger and this store are two stores: what was buffered but not yet
 * written when the process dies is lost (at most one flush interval of trades).
 */
export class TradeVolumeRecorder {
  private buffer: TradedVolume[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly store: Pick<FeeTierStore, "recordTrades">) {}

  /** Buffers the settlements among `commands` that succeeded (a duplicate too: recording is idempotent). */
  observe(commands: readonly Command[], outcomes: readonly Outcome[]): void {
    for (let index = 0; index < commands.length; index += 1) {
      const body = commands[index]!.body;
      if (body.kind !== "settle" || !outcomes[index]?.ok) continue;
      const trade = body.trade;
      this.buffer.push({ tradeId: trade.tradeId, day: dayOf(commands[index]!.time), quoteAsset: trade.quoteAsset, accounts: [trade.buyer, trade.seller], quote: trade.quote });
    }
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Writes what is buffered (after any write in progress); on failure it stays buffered for the next flush. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined);
    if (this.buffer.length === 0) return;
    const taken = this.buffer;
    this.buffer = [];
    this.flushing = this.store.recordTrades(taken).catch((error: unknown) => {
      this.buffer = taken.concat(this.buffer);
      throw error;
    });
    try {
      await this.flushing;
    } finally {
      this.flushing = undefined;
    }
  }
}

/** `executor`, with every batch's settlements shown to `recorder` once applied. */
export function recordingVolume(executor: CommandExecutor, recorder: TradeVolumeRecorder): CommandExecutor {
  const seen = (commands: readonly Command[]) => (outcomes: Outcome[]) => {
    recorder.observe(commands, outcomes);
    return outcomes;
  };
  const { submit, submitAll } = executor;
  return {
    appliesInCallOrder: executor.appliesInCallOrder,
    execute: (commands) => executor.execute(commands).then(seen(commands)),
    submit: submit
      ? (command) =>
          submit.call(executor, command).then((outcome) => {
            if (command.body.kind === "settle") recorder.observe([command], [outcome]);
            return outcome;
          })
      : undefined,
    submitAll: submitAll ? (commands) => submitAll.call(executor, commands).then(seen(commands)) : undefined,
  };
}
