import { compareRows, dayBounds, partitionPrefix, readPartition, type Comparison } from "#kit/archive/daily-partition.js";
import type { LedgerArchiveDeps } from "./archive-ledger-day.use-case.js";
import { LEDGER_COLUMNS, LEDGER_TABLE, ledgerRow } from "./ledger-archive.js";

/** The restore check: the archived day, read back from the object store, equals the ledger's entries of that day. */
export class VerifyLedgerArchive {
  constructor(private readonly deps: Omit<LedgerArchiveDeps, "clock">) {}

  async execute(date: string): Promise<Comparison & { archived: boolean }> {
    const { from, to } = dayBounds(date);
    const database = (await this.deps.source.entriesBetween(from, to)).map((e) => ledgerRow(e, this.deps.assets));
    const archived = await readPartition(this.deps.objects, partitionPrefix(LEDGER_TABLE, date), LEDGER_COLUMNS);
    if (!archived) return { ...compareRows(LEDGER_COLUMNS, [], database), equal: false, archived: false };
    return { ...compareRows(LEDGER_COLUMNS, archived, database), archived: true };
  }
}
