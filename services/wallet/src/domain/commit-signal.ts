import type { CommandExecutor } from "./command-batcher.js";
import type { Command, CommandKind } from "./ledger.js";

/**
 * An in-process wake-up after the ledger committed something: a follower waiting for its next poll
 * looks again at once. Only a shortcut: followers poll the shared history anyway, so commits made by
 * another replica arrive within a poll interval.
 */
export class CommitSignal {
  private waiters = new Set<() => void>();

  notify(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves at the next notify, after `ms`, or when `signal` aborts, whichever comes first. */
  wait(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref?.();
      signal.addEventListener("abort", done);
      this.waiters.add(done);
    });
  }
}

/** The command kinds that can make a balance update (balanceUpdateOf). */
const UPDATING: ReadonlySet<CommandKind> = new Set<CommandKind>(["deposit", "transfer", "withdraw_request", "withdraw_reject", "adjustment"]);

/** `executor`, notifying `commits` after each call that carried a command that can make a balance update. */
export function signallingCommits(executor: CommandExecutor, commits: CommitSignal): CommandExecutor {
  const updating = (commands: readonly Command[]) => commands.some((command) => UPDATING.has(command.body.kind));
  const after = <T>(commands: readonly Command[], done: Promise<T>): Promise<T> =>
    updating(commands)
      ? done.finally(() => commits.notify())
      : done;
  return {
    execute: (commands) => after(commands, executor.execute(commands)),
    submit: executor.submit ? (command) => after([command], executor.submit!(command)) : undefined,
    submitAll: executor.submitAll ? (commands) => after(commands, executor.submitAll!(commands)) : undefined,
    appliesInCallOrder: executor.appliesInCallOrder,
  };
}
