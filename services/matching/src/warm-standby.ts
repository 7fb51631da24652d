/**
 * A warm standby for one symbol: while another replica leads, it follows the symbol's command log and hands each
 * command to its owner (who applies it to a book in memory), so taking over costs the lease, a fence and the records
 * in between, not a replay of the log from the start.
 *
 * Promotion: take the lease and append a fence at its epoch (LeasedJournal.lead), then wait until the follower reads
 * that fence. The partition's order puts every record the old leader landed before it, and the epoch rule drops
 * whatever the old leader appends after it, so once the fence is read the book holds exactly the log; the follower
 * stops and the book goes to an engine appending under the new epoch (MatchingEngine.resume).
 */
import { Wakeups } from "#kit/lifecycle/wakeups.js";
import type { JournalRecord } from "./ports/journal.port.js";

/** A log that can be followed live (KafkaJournal.follow). */
export interface FollowableLog {
  follow(handlers: { onRecord(record: JournalRecord): void; onFence(epoch: number): void; onError(error: unknown): void }): { stop(): Promise<void> };
}

/** The leader side of promotion (LeasedJournal.lead): lease taken, fence appended, its epoch answered. */
export interface Leadership {
  lead(): Promise<number>;
}

/** A standby that cannot take over with its book: its reader failed or never reached its fence. */
export class StandbyFailedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StandbyFailedError";
  }
}

export class WarmStandby {
  private fenced = 0;
  private failure: unknown = undefined;
  private readonly changed = new Wakeups();
  private readonly follower: { stop(): Promise<void> };
  private stopped: Promise<void> | null = null;

  constructor(
    log: FollowableLog,
    onRecord: (record: JournalRecord) => void,
    private readonly name: string,
  ) {
    this.follower = log.follow({
      onRecord,
      onFence: (epoch) => {
        this.fenced = Math.max(this.fenced, epoch);
        this.changed.wakeAll();
      },
      onError: (error) => {
        this.failure ??= error;
        this.changed.wakeAll();
      },
    });
  }

  /**
   * Leads (lease and fence through `leadership`), waits up to `timeoutMs` for the follower to read its own fence,
   * then stops following: the owner's book is then current with the log. The lease held by another replica is
   * `leadership`'s NotLeaderError, with the follower still following; a follower that failed (a gap) or did not reach
   * the fence in time is stopped and refuses the promotion with StandbyFailedError (the lease, taken, is the
   * caller's to give up).
   */
  async promote(leadership: Leadership, timeoutMs: number): Promise<number> {
    const epoch = await leadership.lead();
    const deadline = performance.now() + timeoutMs;
    while (this.fenced < epoch && this.failure === undefined && performance.now() < deadline) await this.changed.wait({ ms: Math.max(1, deadline - performance.now()) });
    await this.stop();
    if (this.failure !== undefined) throw new StandbyFailedError(`${this.name}: the standby's log reader failed`, { cause: this.failure });
    if (this.fenced < epoch) throw new StandbyFailedError(`${this.name}: the standby did not read its own fence in ${timeoutMs} ms`);
    return epoch;
  }

  stop(): Promise<void> {
    this.stopped ??= this.follower.stop();
    return this.stopped;
  }
}
