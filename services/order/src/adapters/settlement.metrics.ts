import { Histogram, type Registry } from "prom-client";
import { registered } from "#kit/telemetry/metrics.js";

/**
 * exchange_settlement_lag_seconds: from matching's timestamp on a batch of trades to wallet having settled them
 * and order having stored them (one observation per batch, by the replica that stored it).
 */
export function settlementLag(registry: Registry | undefined, now: () => number): ((symbol: string, batchTimes: readonly number[]) => void) | undefined {
  if (!registry) return undefined;
  const histogram = registered(registry, "exchange_settlement_lag_seconds", (registers) =>
    new Histogram({
      name: "exchange_settlement_lag_seconds",
      help: "Time from a trade's execution in matching to its settlement in wallet and storage in order",
      labelNames: ["symbol"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
  );
  return (symbol, batchTimes) => {
    const at = now();
    const child = histogram.labels(symbol);
    for (const time of batchTimes) child.observe(Math.max(0, at - time) / 1000);
  };
}
