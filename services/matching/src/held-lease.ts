/**
 * A lease this process holds (or tries to): one per partition of the command log, shared by the journals of every
 * symbol in it, so a partition has one leader at a time. It is renewed every ttl/3 and counted valid until ttl after
 * the START of its last successful renewal (so never beyond the store's expiry); taking it again while it is still
 * ours costs nothing and keeps its epoch.
 */
import type { LeaseStore } from "./ports/lease.port.js";

export interface HeldLeaseOptions {
  /** the lease's name: the partition (or symbol) it covers. */
  readonly name: string;
  /** this replica's name (stable across restarts: a restarted leader takes its own lease back at once). */
  readonly holder: string;
  readonly ttlMs: number;
  /** hears that the lease was lost (renewal refused). */
  readonly onLost?: (name: string) => void;
}

export class HeldLease {
  private currentEpoch = 0;
  /** performance.now() until which the lease is ours. */
  private validUntil = 0;
  private timer: NodeJS.Timeout | null = null;
  private taking: Promise<boolean> | null = null;
  /** journals using it; the last to close gives it up. */
  private users = 0;
  /** whether anything was appended under it (a lease only replayed under is kept for the engine that follows). */
  private used = false;

  constructor(
    private readonly leases: LeaseStore,
    readonly options: HeldLeaseOptions,
  ) {}

  get name(): string {
    return this.options.name;
  }

  /** The epoch it is held under (0 before it was taken). */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** True while the lease is ours by this process's monotonic clock. */
  holds(): boolean {
    return this.currentEpoch > 0 && performance.now() < this.validUntil;
  }

  /** One attempt: true when the lease is ours (already, or now under a new epoch). Concurrent callers share it. */
  tryTake(): Promise<boolean> {
    if (this.holds()) return Promise.resolve(true);
    this.taking ??= this.take().finally(() => (this.taking = null));
    return this.taking;
  }

  private async take(): Promise<boolean> {
    const { name, holder, ttlMs } = this.options;
    const started = performance.now();
    const taken = await this.leases.acquire(name, holder, ttlMs);
    if (!taken) return false;
    this.currentEpoch = taken.epoch;
    this.validUntil = started + ttlMs;
    if (this.timer) clearInterval(this.timer);
    this.timer = setInterval(() => void this.renew(), Math.max(10, Math.floor(ttlMs / 3)));
    this.timer.unref();
    return true;
  }

  private async renew(): Promise<void> {
    const started = performance.now();
    const { name, holder, ttlMs } = this.options;
    try {
      if (await this.leases.renew(name, holder, this.currentEpoch, ttlMs)) {
        this.validUntil = Math.max(this.validUntil, started + ttlMs);
        return;
      }
    } catch {
      return; // the store did not answer: the lease runs out on its own unless a later renewal succeeds
    }
    this.validUntil = 0;
    this.stopRenewing();
    this.options.onLost?.(name);
  }

  private stopRenewing(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** A journal starts using it. */
  join(): void {
    this.users++;
  }

  /** Something was appended under it. */
  markUsed(): void {
    this.used = true;
  }

  /**
   * A journal is done with it. The last one stops renewing and, when anything was appended under a lease still
   * ours, gives it up: a standby takes over at once instead of waiting out the ttl (a rolling restart).
   */
  async leave(): Promise<void> {
    this.users = Math.max(0, this.users - 1);
    if (this.users > 0) return;
    const release = this.used && this.holds();
    this.stopRenewing();
    const epoch = this.currentEpoch;
    this.currentEpoch = 0;
    this.validUntil = 0;
    this.used = false;
    if (release) await this.leases.release(this.options.name, this.options.holder, epoch).catch(() => undefined);
  }
}

/** The leases of one process, by name: the journals of a partition's symbols share one. */
export class HeldLeases {
  private readonly held = new Map<string, HeldLease>();

  constructor(
    private readonly leases: LeaseStore,
    private readonly defaults: Omit<HeldLeaseOptions, "name">,
  ) {}

  lease(name: string): HeldLease {
    let lease = this.held.get(name);
    if (!lease) {
      lease = new HeldLease(this.leases, { ...this.defaults, name });
      this.held.set(name, lease);
    }
    return lease;
  }
}
