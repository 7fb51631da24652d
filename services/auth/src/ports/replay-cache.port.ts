/** Remembers signatures for their recvWindow span so a captured request cannot be replayed. */
export interface ReplayCache {
  /** True the first time `key` is seen before `expiresAt` (ms); false for a replay. */
  firstSeen(key: string, expiresAt: number): Promise<boolean>;
}
