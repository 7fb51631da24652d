import { DomainError } from "#kit/errors/domain-error.js";
import type { LedgerArchiveDeps } from "./archive-ledger-day.use-case.js";
import { statementCsv } from "./statement-csv.js";

/** How long a statement's URL works. */
export const STATEMENT_URL_TTL_SEC = 15 * 60;

/**
 * Makes an account's statement of one UTC month from its ledger entries, stores it under
 * statements/account=<id>/month=<YYYY-MM>/statement.csv and returns a short-lived URL to it.
 */
export class AccountStatement {
  constructor(private readonly deps: LedgerArchiveDeps) {}

  async execute(account: string, month: string): Promise<{ url: string; expiresAt: number; entries: number }> {
    const match = /^(\d{4})-(\d{2})$/.exec(month);
    const m = match ? Number(match[2]) : 0;
    if (!match || m < 1 || m > 12) throw new DomainError("INVALID_PARAMETER", "month must be YYYY-MM.", [{ field: "month", description: "YYYY-MM" }]);
    const from = Date.UTC(Number(match[1]), m - 1, 1);
    const to = Date.UTC(Number(match[1]), m, 1);
    const entries = await this.deps.source.accountEntries(account, from, to);
    const key = `statements/account=${encodeURIComponent(account)}/month=${month}/statement.csv`;
    await this.deps.objects.put(key, statementCsv(entries, this.deps.assets), { contentType: "text/csv; charset=utf-8", metadata: { entries: String(entries.length) } });
    const url = await this.deps.objects.presign(key, { expiresInSec: STATEMENT_URL_TTL_SEC, downloadName: `statement-${month}.csv` });
    return { url, expiresAt: this.deps.clock.now() + STATEMENT_URL_TTL_SEC * 1000, entries: entries.length };
  }
}
