import { formatUnits } from "#kit/money/decimal.js";
import type { ColumnSpec, Row } from "#kit/archive/parquet.js";
import type { ArchivedEntry } from "../ports/ledger-archive-source.port.js";
import type { AssetRegistry } from "./assets.js";

/** The archived ledger table, one row per entry: amounts as signed decimal strings in the asset's scale. */
export const LEDGER_TABLE = "ledger";

export const LEDGER_COLUMNS: readonly ColumnSpec[] = [
  { name: "seq", type: "INT64" },
  { name: "entry_index", type: "INT64" },
  { name: "time", type: "TIMESTAMP" },
  { name: "account", type: "STRING" },
  { name: "transfer_id", type: "STRING" },
  { name: "kind", type: "STRING" },
  { name: "asset", type: "STRING" },
  { name: "available", type: "STRING" },
  { name: "locked", type: "STRING" },
  { name: "pending", type: "STRING" },
];

export function ledgerRow(entry: ArchivedEntry, assets: AssetRegistry): Row {
  const scale = assets.get(entry.asset)?.scale ?? 0;
  return {
    seq: BigInt(entry.seq),
    entry_index: BigInt(entry.index),
    time: entry.time,
    account: entry.account,
    transfer_id: entry.transferId,
    kind: entry.kind,
    asset: entry.asset,
    available: formatUnits(entry.available, scale),
    locked: formatUnits(entry.locked, scale),
    pending: formatUnits(entry.pending, scale),
  };
}
