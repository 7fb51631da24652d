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
import type { LeaseStore } from "./ports/lease.port.js";

export interface LeasedJournalOptions {
  /** the lease's name: the partition (or symbol) this journal writes. */
  readonly name: string;
  /** this replica's name (stable across restarts: a restarted leader takes its own lease back at once). */
  readonly holder: string;
  readonly ttlMs: number;
  /** how long replay() and lead() wait for the lease (default 3 x ttl; 0: one attempt). */
  readonly waitMs?: number;
  /** hears that the lease was lost (renewal refused). */
  readonly onLost?: (name: string) => void;
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
  private epoch = 0;
  /** performance.now() until which the lease is ours. */
  private validUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  /** whether an append succeeded (this journal led, not only replayed). */
  private appended = false;

  constructor(
    private readonly inner: Fenceable,
    private readonly leases: LeaseStore,
    private readonly options: LeasedJournalOptions,
  ) {
    this.pipelined = inner.pipelined;
  }

  /** The epoch this journal appends under (0 before it took the lease). */
  get leaderEpoch(): number {
    return this.epoch;
  }

  /** True while the lease is ours by this process's monotonic clock. */
  holds(): boolean {
    return this.epoch > 0 && performance.now() < this.validUntil;
  }

  private async acquire(): Promise<void> {
    const { name, holder, ttlMs } = this.options;
    const deadline = performance.now() + (this.options.waitMs ?? 3 * ttlMs);
    for (;;) {
      const started = performance.now();
      const taken = await this.leases.acquire(name, holder, ttlMs);
      if (taken) {
        this.epoch = taken.epoch;
        this.validUntil = started + ttlMs;
        break;
      }
      if (performance.now() >= deadline) throw new NotLeaderError(name);
      await new Promise((resolve) => setTimeout(resolve, Math.max(20, ttlMs / 10)));
    }
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(ttlMs / 3)));
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    const started = performance.now();
    try {
      if (await this.leases.renew(this.options.name, this.options.holder, this.epoch, this.options.ttlMs)) {
        this.validUntil = Math.max(this.validUntil, started + this.options.ttlMs);
        return;
      }
    } catch {
      return; // the store did not answer: the lease runs out on its own unless a later renewal succeeds
    }
    this.validUntil = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.options.onLost?.(this.options.name);
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
    if (this.epoch === 0) await this.acquire();
    await this.inner.fence(this.epoch);
    return this.epoch;
  }

  append(records: readonly JournalRecord[]): Promise<void> {
    if (!this.holds()) return Promise.reject(new NotLeaderError(this.options.name));
    return this.inner.append(records).then(
      () => {
        if (!this.holds()) throw new NotLeaderError(this.options.name);
        this.appended = true;
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
   * Stops renewing and, when this journal appended under a lease still ours, gives the lease up once the journal is
   * closed (every append finished): a standby takes over at once instead of waiting out the ttl (a rolling restart).
   * A journal that only replayed (a scan before the engine opens) keeps it for the engine's.
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const held = this.appended && this.holds();
    await this.inner.close();
    if (held) await this.leases.release(this.options.name, this.options.holder, this.epoch).catch(() => undefined);
  }
}
