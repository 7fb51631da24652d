import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { OrderStatus } from "#gen/exchange/common/v1/common_pb.js";
import type { EventBatch } from "#gen/exchange/matching/v1/matching_pb.js";
import { registered } from "#kit/telemetry/metrics.js";

/** What an order's end is counted as, by the status matching reports. */
const OUTCOME_OF: Partial<Record<OrderStatus, string>> = {
  [OrderStatus.FILLED]: "filled",
  [OrderStatus.CANCELED]: "canceled",
  [OrderStatus.EXPIRED]: "expired",
  [OrderStatus.EXPIRED_IN_MATCH]: "expired_in_match",
};

/** Journal latency buckets: an fdatasync is 0.1-10 ms on SSDs, a Kafka acks=all produce a few ms. */
const JOURNAL_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Matching's series. Matching is the one writer of each symbol, so counting here counts every order
 * and trade once, whichever order replica placed it (consumers see every event once per replica).
 */
export class MatchingMetrics {
  readonly orders: Counter<"symbol" | "outcome">;
  readonly trades: Counter<"symbol">;
  readonly sequence: Gauge<"symbol">;
  readonly journalAppend: Histogram<"journal">;
  readonly journalFsync: Histogram;
  readonly journalRecords: Counter<"journal">;
  /** Per symbol and outcome, the counter's child: label lookups cost a string join each. */
  private readonly children = new Map<string, Map<string, Counter.Internal>>();

  constructor(registry?: Registry) {
    this.orders = registered(registry, "exchange_matching_orders_total", (registers) =>
      new Counter({ name: "exchange_matching_orders_total", help: "Orders matching decided, by symbol and outcome (accepted, rejected, filled, canceled, expired, expired_in_match)", labelNames: ["symbol", "outcome"] as const, registers }),
    );
    this.trades = registered(registry, "exchange_matching_trades_total", (registers) =>
      new Counter({ name: "exchange_matching_trades_total", help: "Trades executed, by symbol", labelNames: ["symbol"] as const, registers }),
    );
    this.sequence = registered(registry, "exchange_matching_sequence", (registers) =>
      new Gauge({ name: "exchange_matching_sequence", help: "The last sequence number journaled and applied, by symbol (consumers' lag is measured against it)", labelNames: ["symbol"] as const, registers }),
    );
    this.journalAppend = registered(registry, "exchange_matching_journal_append_duration_seconds", (registers) =>
      new Histogram({ name: "exchange_matching_journal_append_duration_seconds", help: "Time for one group of commands to become durable in the command log (write and sync, or produce acks=all)", labelNames: ["journal"] as const, buckets: JOURNAL_BUCKETS, registers }),
    );
    this.journalFsync = registered(registry, "exchange_matching_journal_fsync_duration_seconds", (registers) =>
      new Histogram({ name: "exchange_matching_journal_fsync_duration_seconds", help: "fdatasync of the file command log, once per group", buckets: JOURNAL_BUCKETS, registers }),
    );
    this.journalRecords = registered(registry, "exchange_matching_journal_records_total", (registers) =>
      new Counter({ name: "exchange_matching_journal_records_total", help: "Commands appended to the command log", labelNames: ["journal"] as const, registers }),
    );
  }

  private count(symbol: string, outcome: string): void {
    let bySymbol = this.children.get(symbol);
    if (!bySymbol) this.children.set(symbol, (bySymbol = new Map()));
    let child = bySymbol.get(outcome);
    if (!child) bySymbol.set(outcome, (child = this.orders.labels(symbol, outcome)));
    child.inc();
  }

  /** Counts the orders and trades of batches just journaled and applied. */
  applied(symbol: string, batches: readonly EventBatch[]): void {
    let trades = 0;
    let last = 0n;
    for (const batch of batches) {
      if (batch.sequence > last) last = batch.sequence;
      for (const event of batch.events) {
        const kind = event.kind;
        if (kind.case === "accepted") this.count(symbol, "accepted");
        else if (kind.case === "rejected") this.count(symbol, "rejected");
        else if (kind.case === "trade") trades++;
        else if (kind.case === "orderUpdated") {
          const outcome = OUTCOME_OF[kind.value.status];
          if (outcome) this.count(symbol, outcome);
        }
      }
    }
    if (trades > 0) this.trades.inc({ symbol }, trades);
    if (last > 0n) this.sequence.set({ symbol }, Number(last));
  }
}
