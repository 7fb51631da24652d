import type { Clock } from "#kit/clock/clock.js";
import type { ReplayCache } from "../ports/replay-cache.port.js";

/**
 * Embedded replay cache: signatures seen within their recvWindow (at most 60 s). Per process;
 * replicas behind a load balancer need a shared adapter (Redis SET NX PX) with this contract.
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly seen = new Map<string, number>();
  private nextSweep = 0;

  constructor(private readonly clock: Clock) {}

  async firstSeen(key: string, expiresAt: number): Promise<boolean> {
    const now = this.clock.now();
    if (now >= this.nextSweep) {
      for (const [k, until] of this.seen) if (until <= now) this.seen.delete(k);
      this.nextSweep = now + 10_000;
    }
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.seen.set(key, expiresAt);
    return true;
  }
}
