import type { Command, Outcome } from "./ledger.js";

/** Something that applies a batch of commands atomically per command, durably. */
export interface CommandExecutor {
  execute(commands: readonly Command[]): Promise<Outcome[]>;
  /** One command, when the executor queues commands one by one (the batcher). */
  submit?(command: Command): Promise<Outcome>;
  /** Commands that travel together (a batch of trades): one promise for all of them, outcomes in order. */
  submitAll?(commands: readonly Command[]): Promise<Outcome[]>;
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
/** Commands submitted together, acknowledged together. */
interface Group {
  readonly commands: readonly Command[];
  readonly resolve: (outcomes: Outcome[]) => void;
  readonly reject: (error: unknown) => void;
}

export class CommandBatcher implements CommandExecutor {
  private queue: Group[] = [];
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
    return this.submitAll(commands);
  }

  async submit(command: Command): Promise<Outcome> {
    return (await this.submitAll([command]))[0]!;
  }

  submitAll(commands: readonly Command[]): Promise<Outcome[]> {
    if (commands.length === 0) return Promise.resolve([]);
    return new Promise<Outcome[]>((resolve, reject) => {
      this.queue.push({ commands, resolve, reject });
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
      // Whole groups, up to maxBatch commands (a larger group goes alone).
      let take = 0;
      let size = 0;
      while (take < this.queue.length && (take === 0 || size + this.queue[take]!.commands.length <= this.maxBatch)) {
        size += this.queue[take]!.commands.length;
        take += 1;
      }
      const batch = this.queue.splice(0, take);
      this.inFlight += 1;
      void this.send(batch, size).finally(() => {
        this.inFlight -= 1;
        this.drain();
      });
    }
  }

  private async send(batch: Group[], size: number): Promise<void> {
    try {
      const commands: Command[] = batch.length === 1 ? (batch[0]!.commands as Command[]) : new Array<Command>(size);
      if (batch.length > 1) {
        let at = 0;
        for (const group of batch) for (const command of group.commands) commands[at++] = command;
      }
      const outcomes = await this.store.execute(commands);
      this.batches += 1;
      this.commands += size;
      let at = 0;
      for (const group of batch) {
        group.resolve(batch.length === 1 ? outcomes : outcomes.slice(at, at + group.commands.length));
        at += group.commands.length;
      }
    } catch (error) {
      for (const group of batch) group.reject(error);
    }
  }
}
