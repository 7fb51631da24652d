import type { BalanceUpdateSource } from "../ports/balance-update-source.port.js";
import { decodeBalanceCursor, type BalanceCursor, type BalanceUpdate } from "./balance-updates.js";
import { CommitSignal } from "./commit-signal.js";

export interface BalanceStreamMessage {
  /** Where this message leaves the stream. */
  readonly cursor: BalanceCursor;
  /** Absent in the first message (the starting position). */
  readonly update?: BalanceUpdate;
}

export interface FollowBalanceUpdatesDeps {
  readonly source: BalanceUpdateSource;
  /** Commits of this process wake followers at once; others are found by polling. */
  readonly commits?: CommitSignal;
  /** How often a follower reads history when nothing woke it (ms, default 200). */
  readonly pollMs?: number;
  /** History rows per read (default 200). */
  readonly rowsPerRead?: number;
}

/**
 * StreamBalanceUpdates: an account's balance updates in commit order, from a cursor (after it) or
 * from now, until `signal` aborts. Each message carries its cursor; the first carries only the
 * starting position, so a subscriber that loses the stream before any update still resumes without
 * a gap. Delivery is at least once per subscription and exactly once across resumptions by cursor.
 */
export class FollowBalanceUpdates {
  private readonly commits: CommitSignal;
  private readonly following = new Map<string, number>();

  constructor(private readonly deps: FollowBalanceUpdatesDeps) {
    this.commits = deps.commits ?? new CommitSignal();
  }

  /** Streams of `account` past their starting position (tests wait for it before committing). */
  followers(account: string): number {
    return this.following.get(account) ?? 0;
  }

  async *follow(account: string, cursorText: string, signal: AbortSignal): AsyncGenerator<BalanceStreamMessage> {
    const start = decodeBalanceCursor(cursorText) ?? (await this.deps.source.head());
    let cursor = start;
    this.following.set(account, this.followers(account) + 1);
    try {
      yield { cursor };
      const pollMs = this.deps.pollMs ?? 200;
      const rows = this.deps.rowsPerRead ?? 200;
      while (!signal.aborted) {
        // Taken before the read: a commit during the read wakes the next wait at once.
        const woken = this.commits.wait(pollMs, signal);
        const { updates, position, more } = await this.deps.source.read(account, cursor, rows);
        for (const update of updates) {
          if (signal.aborted) return;
          cursor = update.cursor;
          yield { cursor, update };
        }
        cursor = position;
        if (!more) await woken;
      }
    } finally {
      const left = this.followers(account) - 1;
      if (left > 0) this.following.set(account, left);
      else this.following.delete(account);
    }
  }
}
