import type { Command, Outcome } from "./ledger.js";

/** Something that applies a batch of commands atomically per command, durably. */
export interface CommandExecutor {
  execute(commands: readonly Command[]): Promise<Outcome[]>;
}

export interface BatcherOptions {
  /** Largest batch handed to the store at once. */
  readonly maxBatch?: number;
}

/**
 * Group commit: commands submitted while a batch is being written wait for the next one, and a
 * batch is applied in one store transaction (one fsync / one commit), with balances netted per
 * row. Each caller is acknowledged only after its batch committed. One batch is in flight at a
 * time, so commands are applied in submission order.
 */
export class CommandBatcher implements CommandExecutor {
  private queue: { command: Command; resolve: (outcome: Outcome) => void; reject: (error: unknown) => void }[] = [];
  private running = false;
  private readonly maxBatch: number;
  batches = 0;
  commands = 0;

  constructor(
    private readonly store: CommandExecutor,
    options: BatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 4096;
  }

  execute(commands: readonly Command[]): Promise<Outcome[]> {
    return Promise.all(commands.map((command) => this.submit(command)));
  }

  submit(command: Command): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.queue.push({ command, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let every caller of this tick enqueue before the first batch leaves.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outcomes = await this.store.execute(batch.map((item) => item.command));
        this.batches += 1;
        this.commands += batch.length;
        batch.forEach((item, index) => item.resolve(outcomes[index]!));
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
    this.running = false;
  }
}
