import { dayBounds, partitionPrefix, writePartition, type PartitionManifest } from "#kit/archive/daily-partition.js";
import type { Clock } from "#kit/clock/clock.js";
import type { ObjectStore } from "#kit/ports/object-store.port.js";
import type { TradeArchiveSource } from "../ports/trade-archive-source.port.js";
import type { SymbolUnits } from "./symbol-units.js";
import { TRADE_COLUMNS, TRADES_TABLE, tradeRow } from "./trades-archive.js";

export interface TradesArchiveDeps {
  readonly source: TradeArchiveSource;
  readonly objects: ObjectStore;
  /** The symbols to archive, with their units (decimal conversion). */
  readonly symbols: () => readonly { readonly symbol: string; readonly units: SymbolUnits }[];
  readonly clock: Clock;
}

/** Writes one UTC day of trades, one partition per symbol: trades/date=<day>/symbol=<S>/part-00000.parquet. */
export class ArchiveTradesDay {
  constructor(private readonly deps: TradesArchiveDeps) {}

  async execute(date: string): Promise<(PartitionManifest & { symbol: string; key: string })[]> {
    const { from, to } = dayBounds(date);
    const out: (PartitionManifest & { symbol: string; key: string })[] = [];
    for (const { symbol, units } of this.deps.symbols()) {
      const trades = await this.deps.source.tradesBetween(symbol, from, to);
      const prefix = partitionPrefix(TRADES_TABLE, date, [["symbol", symbol]]);
      const manifest = await writePartition(this.deps.objects, prefix, TRADE_COLUMNS, trades.map((t) => tradeRow(t, units)), { table: TRADES_TABLE, date, writtenAt: this.deps.clock.now() });
      out.push({ ...manifest, symbol, key: `${prefix}/part-00000.parquet` });
    }
    return out;
  }
}
