import { formatUnits } from "#kit/money/decimal.js";
import { NOTICE_TYPES } from "#kit/outbox/notice.js";
import type { NotificationEvent } from "#kit/ports/notifier.port.js";
import type { AssetRegistry } from "./assets.js";
import type { LedgerEntry } from "./ledger.js";

/**
 * The deposit and withdrawal notices of committed ledger entries, one per (transfer, account, asset). The id is
 * derived from the transfer, so re-reading the ledger after a crash yields the same ids (delivered once).
 * Accounts starting with `@` (the outside world, the fee account) hear nothing.
 */
export function walletNotices(entries: readonly LedgerEntry[], assets: AssetRegistry): NotificationEvent[] {
  const out: NotificationEvent[] = [];
  for (const entry of entries) {
    if (entry.account.startsWith("@")) continue;
    const scale = assets.get(entry.asset)?.scale;
    if (scale === undefined) continue;
    const notice = noticeOf(entry);
    if (!notice) continue;
    out.push({
      id: `wallet:${entry.transferId}:${entry.account}:${entry.asset}`,
      type: notice.type,
      payload: {
        accountId: entry.account,
        time: entry.time,
        data: { asset: entry.asset, amount: formatUnits(notice.amount, scale), status: notice.status, reference: entry.transferId },
      },
    });
  }
  return out;
}

function noticeOf(entry: LedgerEntry): { type: string; status: string; amount: bigint } | undefined {
  switch (entry.kind) {
    case "deposit":
      if (entry.available > 0n) return { type: NOTICE_TYPES.deposit, status: "CREDITED", amount: entry.available };
      if (entry.pending > 0n) return { type: NOTICE_TYPES.deposit, status: "PENDING", amount: entry.pending };
      return undefined;
    case "withdraw_request":
      return entry.available < 0n ? { type: NOTICE_TYPES.withdrawal, status: "REQUESTED", amount: -entry.available } : undefined;
    case "withdraw_complete":
      return entry.pending < 0n ? { type: NOTICE_TYPES.withdrawal, status: "COMPLETED", amount: -entry.pending } : undefined;
    case "withdraw_reject":
      return entry.available > 0n ? { type: NOTICE_TYPES.withdrawal, status: "REJECTED", amount: entry.available } : undefined;
    default:
      return undefined;
  }
}
