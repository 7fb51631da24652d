/**
 * A journal only the leader may append to. replay() first takes the lease (waiting up to `waitMs` for a holder that
 * stops renewing to expire), then appends a fence at the lease's epoch, then replays: the new leader's state holds
 * everything before its fence, and every reader drops what a deposed leader appends after it.
 *
 * The lease is renewed every ttl/3. The leader counts its lease valid until `ttl` after the START of its last
 * successful renewal (so never beyond the store's expiry), and checks it before and after every append: a leader
 * paused past its lease (GC, SIGSTOP, a partition) refuses to append when it wakes up, and an append that was in
 * flight while it was paused is not acknowledged (the engine fails; the commands' senders retry on the new leader,
 * where a retried placement is a duplicate if its record made it before the fence).
 */
import { DomainError } from "#kit/errors/domain-error.js";
import { JournalFencedError, type Journal, type JournalRecord, type ReplayResult } from "./ports/journal.port.js";
import { HeldLease, type HeldLeaseOptions } from "./held-lease.js";
import type { LeaseStore } from "./ports/lease.port.js";

export interface LeasedJournalOptions extends HeldLeaseOptions {
  /** how long replay() and lead() wait for the lease (default 3 x ttl; 0: one attempt). */
  readonly waitMs?: number;
  /** the lease, when journals share one (a partition's symbols: HeldLeases); by default the journal's own. */
  readonly lease?: HeldLease;
}

export interface Fenceable extends Journal {
  fence(epoch: number): Promise<void>;
}

/**
 * This replica does not lead the journal (yet, or any more). Callers retry; ErrorInfo's `notLeader` metadata (the
 * lease's name) tells a routing client to try another replica at once (kit/rpc/leader-routing.ts).
 */
export class NotLeaderError extends DomainError {
  constructor(name: string) {
    super("DISCONNECTED", `this matching replica is not the leader of ${name}; try again`, [], { notLeader: name });
  }
}

export class LeasedJournal implements Journal {
  readonly pipelined?: boolean;
  private readonly lease: HeldLease;
  /** the lease's epoch this journal fenced and appends under (0 before it led). */
  private epoch = 0;
  private joined = false;

  constructor(
    private readonly inner: Fenceable,
    leases: LeaseStore,
    private readonly options: LeasedJournalOptions,
  ) {
    this.pipelined = inner.pipelined;
    this.lease = options.lease ?? new HeldLease(leases, options);
  }

  /** The epoch this journal appends under (0 before it took the lease). */
  get leaderEpoch(): number {
    return this.epoch;
  }

  /** True while the lease is ours, under the epoch this journal fenced at. */
  holds(): boolean {
    return this.epoch > 0 && this.lease.epoch === this.epoch && this.lease.holds();
  }

  private async acquire(): Promise<void> {
    const deadline = performance.now() + (this.options.waitMs ?? 3 * this.options.ttlMs);
    for (;;) {
      if (await this.lease.tryTake()) return;
      if (performance.now() >= deadline) throw new NotLeaderError(this.options.name);
      await new Promise((resolve) => setTimeout(resolve, Math.max(20, this.options.ttlMs / 10)));
    }
  }

  async replay(afterSeq: number, onRecord: (r: JournalRecord) => void): Promise<ReplayResult> {
    await this.lead();
    return this.inner.replay(afterSeq, onRecord);
  }

  /**
   * Takes the lease (waiting as replay() does) and appends the fence at its epoch, without reading the log: a warm
   * standby that follows the log knows everything before the fence once its reader reaches it (warm-standby.ts).
   */
  async lead(): Promise<number> {
    if (!this.joined) {
      this.lease.join();
      this.joined = true;
    }
    if (!this.holds()) {
      await this.acquire();
      await this.inner.fence(this.lease.epoch);
      this.epoch = this.lease.epoch;
    }
    return this.epoch;
  }

  append(records: readonly JournalRecord[]): Promise<void> {
    if (!this.holds()) return Promise.reject(new NotLeaderError(this.options.name));
    return this.inner.append(records).then(
      () => {
        if (!this.holds()) throw new NotLeaderError(this.options.name);
        this.lease.markUsed();
      },
      (error: unknown) => {
        throw error instanceof JournalFencedError ? new NotLeaderError(this.options.name) : error;
      },
    );
  }

  roll(): Promise<unknown> {
    return this.inner.roll ? this.inner.roll() : Promise.resolve(null);
  }

  /**
   * Closes the journal, then leaves the lease: the last journal of a lease under which something was appended gives
   * it up while still ours, so a standby takes over at once instead of waiting out the ttl (a rolling restart). A
   * journal that only replayed (a scan before the engine opens) keeps nothing from being taken again.
   */
  async close(): Promise<void> {
    await this.inner.close();
    if (this.joined) await this.lease.leave();
    this.joined = false;
  }
}
