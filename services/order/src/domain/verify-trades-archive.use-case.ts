import { compareRows, dayBounds, partitionPrefix, readPartition, type Comparison } from "#kit/archive/daily-partition.js";
import type { TradesArchiveDeps } from "./archive-trades-day.use-case.js";
import { TRADE_COLUMNS, TRADES_TABLE, tradeRow } from "./trades-archive.js";

/** The restore check: each symbol's archived day, read back, equals the stored trades of that symbol and day. */
export class VerifyTradesArchive {
  constructor(private readonly deps: Omit<TradesArchiveDeps, "clock">) {}

  async execute(date: string): Promise<(Comparison & { symbol: string; archived: boolean })[]> {
    const { from, to } = dayBounds(date);
    const out: (Comparison & { symbol: string; archived: boolean })[] = [];
    for (const { symbol, units } of this.deps.symbols()) {
      const database = (await this.deps.source.tradesBetween(symbol, from, to)).map((t) => tradeRow(t, units));
      const archived = await readPartition(this.deps.objects, partitionPrefix(TRADES_TABLE, date, [["symbol", symbol]]), TRADE_COLUMNS);
      out.push(archived ? { ...compareRows(TRADE_COLUMNS, archived, database), symbol, archived: true } : { ...compareRows(TRADE_COLUMNS, [], database), equal: false, symbol, archived: false });
    }
    return out;
  }
}
