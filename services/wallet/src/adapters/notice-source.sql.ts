/**
 * Wallet's notifications read from the ledger's own history (wallet_history, SQLite or PostgreSQL) rather than an
 * outbox: every committed command is already there, in commit order by `seq`, so nothing is written twice. A cursor
 * row (wallet_notice_cursor) remembers the last seq published.
 *
 * On PostgreSQL, a bigserial seq is taken before its transaction commits: a lower seq can become visible after a
 * higher one. The reader stops at a hole in the sequence until the hole has been there for `holeGraceMs` (a rolled
 * back transaction leaves a hole forever), so a slow commit is not skipped.
 */
import type { Kysely, Migration } from "kysely";
import { migrate } from "#kit/db/migrate.js";
import type { OutboxBatch, OutboxSource } from "#kit/outbox/outbox-relay.js";
import type { AssetRegistry } from "../domain/assets.js";
import type { CommandKind, LedgerEntry } from "../domain/ledger.js";
import { walletNotices } from "../domain/wallet-notices.js";

interface NoticeTables {
  wallet_history: { seq: number | string; account: string; entries: string };
  wallet_notice_cursor: { name: string; seq: number | string };
}

const migrations: Record<string, Migration> = {
  "001_notice_cursor": {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable("wallet_notice_cursor")
        .ifNotExists()
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .execute();
    },
  },
};

type PackedEntry = [string, CommandKind, string, string, string, string, number];

export class SqlLedgerNoticeSource implements OutboxSource {
  private hole: { after: number; since: number } | undefined;

  private constructor(
    private readonly db: Kysely<NoticeTables>,
    private readonly assets: AssetRegistry,
    private readonly options: { readonly holeGraceMs: number; readonly now: () => number },
  ) {}

  /** The ledger's database must be migrated already (wallet_history exists). */
  static async open(db: Kysely<unknown>, assets: AssetRegistry, options: { holeGraceMs?: number; now?: () => number } = {}): Promise<SqlLedgerNoticeSource> {
    await migrate(db, "wallet_notices", migrations);
    return new SqlLedgerNoticeSource(db as unknown as Kysely<NoticeTables>, assets, { holeGraceMs: options.holeGraceMs ?? 10_000, now: options.now ?? Date.now });
  }

  private async cursor(): Promise<number | undefined> {
    const row = await this.db.selectFrom("wallet_notice_cursor").select("seq").where("name", "=", "notifier").executeTakeFirst();
    return row ? Number(row.seq) : undefined;
  }

  private async save(seq: number): Promise<void> {
    await this.db
      .insertInto("wallet_notice_cursor")
      .values({ name: "notifier", seq })
      .onConflict((c) => c.column("name").doUpdateSet({ seq }))
      .execute();
  }

  async pending(limit: number): Promise<OutboxBatch> {
    let cursor = await this.cursor();
    if (cursor === undefined) {
      // First start: from now on (history before notifications existed is not announced).
      const last = await this.db.selectFrom("wallet_history").select((eb) => eb.fn.max("seq").as("seq")).executeTakeFirst();
      cursor = Number(last?.seq ?? 0);
      await this.save(cursor);
    }
    const rows = await this.db.selectFrom("wallet_history").select(["seq", "account", "entries"]).where("seq", ">", cursor).orderBy("seq").limit(limit).execute();
    const taken: typeof rows = [];
    let previous = cursor;
    let stopped = false;
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== previous + 1 && !this.holeExpired(previous)) {
        stopped = true;
        break;
      }
      taken.push(row);
      previous = seq;
    }
    if (!stopped) this.hole = undefined;
    const entries: LedgerEntry[] = taken.flatMap((row) =>
      (JSON.parse(row.entries) as PackedEntry[]).map(([transferId, kind, asset, available, locked, pending, time]) => ({
        transferId,
        kind,
        account: row.account,
        asset,
        available: BigInt(available),
        locked: BigInt(locked),
        pending: BigInt(pending),
        time,
      })),
    );
    const end = previous;
    return {
      events: walletNotices(entries, this.assets),
      done: async () => {
        if (end > cursor) await this.save(end);
      },
    };
  }

  /** A hole after `seq`: true once it has been seen for the grace period. */
  private holeExpired(seq: number): boolean {
    const now = this.options.now();
    if (!this.hole || this.hole.after !== seq) {
      this.hole = { after: seq, since: now };
      return this.options.holeGraceMs <= 0;
    }
    return now - this.hole.since >= this.options.holeGraceMs;
  }
}
