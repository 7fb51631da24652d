import { dayBounds, partitionPrefix, writePartition, type PartitionManifest } from "#kit/archive/daily-partition.js";
import type { Clock } from "#kit/clock/clock.js";
import type { ObjectStore } from "#kit/ports/object-store.port.js";
import type { LedgerArchiveSource } from "../ports/ledger-archive-source.port.js";
import type { AssetRegistry } from "./assets.js";
import { LEDGER_COLUMNS, LEDGER_TABLE, ledgerRow } from "./ledger-archive.js";

export interface LedgerArchiveDeps {
  readonly source: LedgerArchiveSource;
  readonly objects: ObjectStore;
  readonly assets: AssetRegistry;
  readonly clock: Clock;
}

/** Writes one UTC day of ledger entries to ledger/date=<day>/part-00000.parquet (replacing any earlier copy). */
export class ArchiveLedgerDay {
  constructor(private readonly deps: LedgerArchiveDeps) {}

  async execute(date: string): Promise<PartitionManifest & { key: string }> {
    const { from, to } = dayBounds(date);
    const entries = await this.deps.source.entriesBetween(from, to);
    const prefix = partitionPrefix(LEDGER_TABLE, date);
    const manifest = await writePartition(this.deps.objects, prefix, LEDGER_COLUMNS, entries.map((e) => ledgerRow(e, this.deps.assets)), {
      table: LEDGER_TABLE,
      date,
      writtenAt: this.deps.clock.now(),
    });
    return { ...manifest, key: `${prefix}/part-00000.parquet` };
  }
}
