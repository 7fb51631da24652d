/**
 * Leadership of one partition (or symbol): at most one holder at a time, for a bounded time, under an epoch that
 * grows with every change of holder. A holder that stops renewing loses the lease when it expires; the store's
 * clock decides expiry, never the holder's.
 */
export interface LeaseStore {
  /** Takes the lease when it is free, expired or already ours, under a new epoch; null when another holds it. */
  acquire(name: string, holder: string, ttlMs: number): Promise<{ epoch: number } | null>;
  /** Extends our lease at `epoch`; false when it is no longer ours (expired and taken, or a newer epoch). */
  renew(name: string, holder: string, epoch: number, ttlMs: number): Promise<boolean>;
  /** Gives our lease at `epoch` up (a clean stop): another replica may take it at once. No-op when not ours. */
  release(name: string, holder: string, epoch: number): Promise<void>;
  /** Records that `member` (a symbol) is led under leases of `group` (the command log): idempotent. */
  addMember(group: string, member: string): Promise<void>;
  /** Every member recorded in `group` (a standby follows the symbols others lead). */
  members(group: string): Promise<string[]>;
  close(): Promise<void>;
}
