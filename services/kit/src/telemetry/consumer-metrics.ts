import { Gauge, type Registry } from "prom-client";
import { registered } from "./metrics.js";

/**
 * exchange_event_consumer_position{group, symbol}: the last sequence a consumer group applied, read at scrape
 * time (nothing on the event path). Its lag is matching's exchange_matching_sequence minus this: the chart's
 * recording rule exchange:event_consumer_lag:sequences.
 */
export function exportConsumerPositions(registry: Registry | undefined, group: string, symbols: () => Iterable<string>, position: (symbol: string) => number): void {
  if (!registry) return;
  const gauge = registered(registry, "exchange_event_consumer_position", (registers) =>
    new Gauge({
      name: "exchange_event_consumer_position",
      help: "The last matching event sequence a consumer group applied, by group and symbol",
      labelNames: ["group", "symbol"] as const,
      registers,
      // Every group in this process adds its reader; all run at each scrape.
      collect() {
        for (const read of readers.get(this) ?? []) read(this);
      },
    }),
  );
  const list = readers.get(gauge) ?? [];
  list.push((target) => {
    for (const symbol of symbols()) target.set({ group, symbol }, position(symbol));
  });
  readers.set(gauge, list);
}

const readers = new WeakMap<Gauge<"group" | "symbol">, ((gauge: Gauge<"group" | "symbol">) => void)[]>();
