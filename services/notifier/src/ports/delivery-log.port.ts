import type { Channel } from "../domain/preferences.js";

export type Claim = "claimed" | "delivered" | "busy";

/**
 * Which notifications went out on which channel: the deduplication record. A delivery is claimed before it is
 * sent (a lease, so two replicas handling duplicates of one event never both send), then marked delivered; a
 * failed send gives the claim back.
 */
export interface DeliveryLog {
  /** delivered: already sent; busy: another handler holds a live claim; claimed: this caller may send. */
  claim(eventId: string, channel: Channel, now: number, leaseMs: number): Promise<Claim>;
  delivered(eventId: string, channel: Channel, now: number): Promise<void>;
  /** The send failed: the next attempt may claim it at once. */
  unclaim(eventId: string, channel: Channel): Promise<void>;
  /** Forgets deliveries older than `before` (they are past any redelivery). Returns how many. */
  prune(before: number): Promise<number>;
}
