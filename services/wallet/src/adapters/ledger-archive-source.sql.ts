/**
 * Ledger entries for archives and statements from wallet_history (SQLite or PostgreSQL). A day's entries are found
 * by scanning the history in seq order (entry times live inside the packed rows, with no index of their own); an
 * account's month through the (account, seq) index. Both are reads of committed rows only.
 */
import type { Kysely } from "kysely";
import type { CommandKind } from "../domain/ledger.js";
import type { ArchivedEntry, LedgerArchiveSource } from "../ports/ledger-archive-source.port.js";

interface HistoryTables {
  wallet_history: { seq: number | string; account: string; entries: string };
}

type PackedEntry = [string, CommandKind, string, string, string, string, number];

const PAGE = 2_000;

export class SqlLedgerArchiveSource implements LedgerArchiveSource {
  private readonly db: Kysely<HistoryTables>;

  constructor(db: Kysely<unknown>) {
    this.db = db as unknown as Kysely<HistoryTables>;
  }

  async entriesBetween(from: number, to: number): Promise<ArchivedEntry[]> {
    return this.scan(undefined, from, to);
  }

  async accountEntries(account: string, from: number, to: number): Promise<ArchivedEntry[]> {
    return this.scan(account, from, to);
  }

  private async scan(account: string | undefined, from: number, to: number): Promise<ArchivedEntry[]> {
    const out: ArchivedEntry[] = [];
    let after = 0;
    for (;;) {
      const rows = await this.db
        .selectFrom("wallet_history")
        .select(["seq", "account", "entries"])
        .where("seq", ">", after)
        .$if(account !== undefined, (q) => q.where("account", "=", account!))
        .orderBy("seq")
        .limit(PAGE)
        .execute();
      for (const row of rows) {
        const seq = Number(row.seq);
        (JSON.parse(row.entries) as PackedEntry[]).forEach(([transferId, kind, asset, available, locked, pending, time], index) => {
          if (time < from || time >= to) return;
          out.push({ seq, index, account: row.account, transferId, kind, asset, available: BigInt(available), locked: BigInt(locked), pending: BigInt(pending), time });
        });
        after = seq;
      }
      if (rows.length < PAGE) return out;
    }
  }
}
