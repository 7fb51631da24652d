import type { HistoryProjection } from "../ports/history-projection.port.js";
import type { FeedPosition, LedgerEventFeed, RecordedBalances } from "../ports/ledger-events.port.js";
import { compareBalances, confirmMismatches, touchedAccounts, type BalanceMismatch } from "./projection.js";

// The two loops that keep the PostgreSQL projection honest when DynamoDB is the store of record.
// The projector reads the feed from the projection's own stored position and applies each batch
// with its new position in one transaction, so a crash re-reads at most one batch, which then
// changes nothing. The reconciler compares projected balances with the store of record's.

export class HistoryProjector {
  constructor(
    private readonly feed: LedgerEventFeed,
    private readonly projection: HistoryProjection,
    private readonly batchSize = 500,
  ) {}

  /** Applies what the feed holds now, batch by batch. Returns how many transfers were new. */
  async catchUp(maxBatches = 1000): Promise<number> {
    let applied = 0;
    for (let batch = 0; batch < maxBatches; batch += 1) {
      const position = await this.projection.position();
      const read = await this.feed.read(position, this.batchSize);
      if (read.events.length > 0 || JSON.stringify(read.position) !== JSON.stringify(position)) applied += await this.projection.apply(read.events, read.position);
      if (read.caughtUp) break;
    }
    return applied;
  }
}

export interface ReconcileRound {
  /** Differences found in this round. */
  readonly found: readonly BalanceMismatch[];
  /** Differences also found, identical, in the previous round: what is reported. */
  readonly confirmed: readonly BalanceMismatch[];
  /** Accounts left out because the projection had not applied all their transfers yet. */
  readonly skipped: number;
  /** false if the feed was too far ahead to tell which accounts are in flight (nothing compared). */
  readonly compared: boolean;
}

export class Reconciler {
  private previous: readonly BalanceMismatch[] = [];
  private last: readonly BalanceMismatch[] = [];

  constructor(
    private readonly feed: LedgerEventFeed,
    private readonly projection: HistoryProjection,
    private readonly recorded: RecordedBalances,
    private readonly onRound: (round: ReconcileRound) => void = () => undefined,
    private readonly maxLag = 10_000,
  ) {}

  /** The mismatches confirmed by the latest round. */
  mismatches(): readonly BalanceMismatch[] {
    return this.last;
  }

  async reconcile(): Promise<ReconcileRound> {
    // Order matters: projection first (rows and their position, read together), then the store of
    // record, then everything the feed holds past that position. Any transfer the projection lacks
    // but the store's balances may include is in that tail, so its accounts are skipped.
    const projected = await this.projection.balances();
    const recorded = await this.recorded.allBalances();
    const inFlight = await this.tail(projected.position);
    if (!inFlight) return this.finish({ found: [], confirmed: this.last, skipped: 0, compared: false }, false);
    const found = compareBalances(projected.rows, recorded, inFlight);
    const round = { found, confirmed: confirmMismatches(this.previous, found), skipped: inFlight.size, compared: true };
    this.previous = found;
    return this.finish(round, true);
  }

  private finish(round: ReconcileRound, compared: boolean): ReconcileRound {
    if (compared) this.last = round.confirmed;
    this.onRound(round);
    return round;
  }

  private async tail(from: FeedPosition): Promise<Set<string> | undefined> {
    const accounts = new Set<string>();
    let position = from;
    let seen = 0;
    for (;;) {
      const read = await this.feed.read(position, 1000);
      for (const account of touchedAccounts(read.events)) accounts.add(account);
      seen += read.events.length;
      position = read.position;
      if (read.caughtUp) return accounts;
      if (seen > this.maxLag) return undefined;
    }
  }
}
