import type { Command, Outcome } from "./ledger.js";

/** Something that applies a batch of commands atomically per command, durably. */
export interface CommandExecutor {
  execute(commands: readonly Command[]): Promise<Outcome[]>;
  /** One command, when the executor queues commands one by one (the batcher). */
  submit?(command: Command): Promise<Outcome>;
  /** True when concurrent execute() calls are applied in call order, so batches may overlap. */
  readonly appliesInCallOrder?: boolean;
}

export interface BatcherOptions {
  /** Largest batch handed to the store at once. */
  readonly maxBatch?: number;
  /** Batches handed to the store before the first is acknowledged (only if it applies them in call order). */
  readonly maxInFlight?: number;
}

/**
 * Group commit: commands submitted while a batch is being written wait for the next one, and a
 * batch is applied in one store transaction (one fsync / one commit), with balances netted per
 * row. Each caller is acknowledged only after its batch committed. Commands are applied in
 * submission order: one batch is in flight at a time, or two when the store keeps the order of
 * overlapping batches (it then plans the next batch while the previous one commits).
 */
export class CommandBatcher implements CommandExecutor {
  private queue: { command: Command; resolve: (outcome: Outcome) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private inFlight = 0;
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  batches = 0;
  commands = 0;

  constructor(
    private readonly store: CommandExecutor,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 4096;
    this.maxInFlight = store.appliesInCallOrder ? Math.max(1, options.maxInFlight ?? 2) : 1;
  }

  execute(commands: readonly Command[]): Promise<Outcome[]> {
    return Promise.all(commands.map((command) => this.submit(command)));
  }

  submit(command: Command): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.queue.push({ command, resolve, reject });
      if (!this.scheduled && this.inFlight < this.maxInFlight) {
        this.scheduled = true;
        // Let every caller of this tick enqueue before the batch leaves.
        setImmediate(() => {
          this.scheduled = false;
          this.drain();
        });
      }
    });
  }

  private drain(): void {
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      void this.send(batch).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }

  private async send(batch: CommandBatcher["queue"]): Promise<void> {
    try {
      const outcomes = await this.store.execute(batch.map((item) => item.command));
      this.batches += 1;
      this.commands += batch.length;
      batch.forEach((item, index) => item.resolve(outcomes[index]!));
    } catch (error) {
      for (const item of batch) item.reject(error);
    }
  }
}
