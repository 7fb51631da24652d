import { formatUnits } from "#kit/money/decimal.js";
import type { ArchivedEntry } from "../ports/ledger-archive-source.port.js";
import type { AssetRegistry } from "./assets.js";

const HEADER = "time,transfer_id,kind,asset,available,locked,pending";

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** An account statement: one line per ledger entry, oldest first, amounts as signed decimal strings. */
export function statementCsv(entries: readonly ArchivedEntry[], assets: AssetRegistry): string {
  const lines = [HEADER];
  for (const e of entries) {
    const scale = assets.get(e.asset)?.scale ?? 0;
    lines.push(
      [new Date(e.time).toISOString(), e.transferId, e.kind, e.asset, formatUnits(e.available, scale), formatUnits(e.locked, scale), formatUnits(e.pending, scale)]
        .map(field)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
