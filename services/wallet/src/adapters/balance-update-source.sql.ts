/**
 * Balance updates read from the ledger's own history (wallet_history, SQLite or PostgreSQL), by account
 * through its (account, seq) index: every replica reads the same rows, so a cursor (seq, entry index)
 * means the same on each.
 *
 * What is served stops at a horizon below which history is final. SQLite has one writer at a time and
 * takes seq inside it, so history appears in seq order: the horizon is the highest seq. On PostgreSQL a
 * bigserial seq is taken before its transaction commits, so a lower seq can appear after a higher one
 * (two batches touching the same account's BTC and USDT rows do not wait for each other). The horizon
 * is therefore a mark taken earlier: the highest visible seq M, then the transaction ids running in this
 * database. A transaction holding a seq below M took it before M committed, after it had written (the
 * store writes balances and transfers before history, so it had its transaction id by then): it is in
 * that set, or has ended. Once every transaction of the set has ended, history up to M is final. A mark
 * whose set outlives `graceMs` (a long transaction of something else in this database) is taken as
 * final anyway, as the notice relay does with a hole.
 *
 * Followers poll, so the source remembers which accounts the recent advances of the horizon touched (one
 * query per advance, shared by every follower of the process): a follower whose account is not among them
 * moves to the horizon without a query of its own. The cost follows the ledger's write rate, not the number
 * of followers.
 */
import { sql, type Kysely } from "kysely";
import type { Engine } from "#kit/db/database.js";
import { balanceUpdateOf, type BalanceCursor, type BalanceUpdate } from "../domain/balance-updates.js";
import type { CommandKind } from "../domain/ledger.js";
import type { BalanceUpdateRead, BalanceUpdateSource } from "../ports/balance-update-source.port.js";

interface HistoryTables {
  wallet_history: { seq: number | string; account: string; entries: string };
}

type PackedEntry = [string, CommandKind, string, string, string, string, number];

/** The index of a position after every entry of its row. */
export const END_OF_ROW = 999_999_999;

/** The accounts with history rows in (from, to]. */
interface Window {
  readonly from: number;
  readonly to: number;
  readonly accounts: ReadonlySet<string>;
}

/** How many recent advances of the horizon are remembered (at one per 20 ms, a few seconds). */
const WINDOWS = 256;
/** The longest advance whose accounts are looked up (history rows). */
const MAX_WINDOW_ROWS = 50_000;

interface Mark {
  readonly seq: number;
  readonly xids: ReadonlySet<string>;
  readonly since: number;
}

export interface SqlBalanceUpdateSourceOptions {
  /** How long a mark may wait for the transactions it saw (ms, default 10 000). */
  readonly graceMs?: number;
  /** Horizons are looked up at most this often; callers in between share one (ms, default 20). */
  readonly refreshMs?: number;
  readonly now?: () => number;
}

export class SqlBalanceUpdateSource implements BalanceUpdateSource {
  private readonly db: Kysely<HistoryTables>;
  private readonly marks: Mark[] = [];
  private final = 0;
  /** Consecutive, oldest first; empty until the horizon has moved once. */
  private readonly windows: Window[] = [];
  /** History reads made for one account (skipped ones not counted). */
  reads = 0;
  private refreshed = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<number> | undefined;
  private readonly graceMs: number;
  private readonly refreshMs: number;
  private readonly now: () => number;

  /** `db`: a connection to the ledger's database, migrated already (wallet_history exists). */
  constructor(
    db: Kysely<unknown>,
    private readonly engine: Engine,
    options: SqlBalanceUpdateSourceOptions = {},
  ) {
    this.db = db as Kysely<HistoryTables>;
    this.graceMs = options.graceMs ?? 10_000;
    this.refreshMs = options.refreshMs ?? 20;
    this.now = options.now ?? Date.now;
  }

  async head(): Promise<BalanceCursor> {
    return { seq: await this.horizon(), index: END_OF_ROW };
  }

  async read(account: string, after: BalanceCursor, limit: number): Promise<BalanceUpdateRead> {
    const horizon = await this.horizon();
    if (after.seq > horizon || (after.seq === horizon && after.index >= END_OF_ROW)) return { updates: [], position: after, more: false };
    if (after.index >= END_OF_ROW && this.untouched(account, after.seq, horizon)) return { updates: [], position: { seq: horizon, index: END_OF_ROW }, more: false };
    this.reads += 1;
    const rows = await this.db
      .selectFrom("wallet_history")
      .select(["seq", "entries"])
      .where("account", "=", account)
      .where("seq", ">=", after.seq)
      .where("seq", "<=", horizon)
      .orderBy("seq")
      .limit(limit)
      .execute();
    const updates: BalanceUpdate[] = [];
    for (const row of rows) {
      const seq = Number(row.seq);
      const packed = JSON.parse(row.entries) as PackedEntry[];
      for (let index = seq === after.seq ? after.index + 1 : 0; index < packed.length; index += 1) {
        const [transferId, kind, asset, available, locked, pending, time] = packed[index]!;
        const entry = { transferId, kind, account, asset, available: BigInt(available), locked: BigInt(locked), pending: BigInt(pending), time };
        const update = balanceUpdateOf(entry, { seq, index });
        if (update) updates.push(update);
      }
    }
    // Fewer rows than asked: the account has nothing else up to the horizon.
    const position = rows.length < limit ? { seq: horizon, index: END_OF_ROW } : { seq: Number(rows[rows.length - 1]!.seq), index: END_OF_ROW };
    return { updates, position: position.seq < after.seq ? after : position, more: rows.length === limit };
  }

  /** True when the remembered windows cover (after, horizon] and none touched `account`. */
  private untouched(account: string, after: number, horizon: number): boolean {
    const oldest = this.windows[0];
    const newest = this.windows.at(-1);
    if (!oldest || !newest || oldest.from > after || newest.to < horizon) return false;
    for (let i = this.windows.length - 1; i >= 0 && this.windows[i]!.to > after; i -= 1) {
      if (this.windows[i]!.accounts.has(account)) return false;
    }
    return true;
  }

  /**
   * The horizon moved from `from` to `to`: remember which accounts that brought. A jump too long to scan (the
   * first one over an old ledger, a long stall) is not looked at: followers read for themselves past it.
   */
  private async advanced(from: number, to: number): Promise<void> {
    if (to <= from) return;
    if (to - from > MAX_WINDOW_ROWS) {
      this.windows.length = 0;
      return;
    }
    try {
      const rows = await this.db.selectFrom("wallet_history").select("account").distinct().where("seq", ">", from).where("seq", "<=", to).execute();
      this.windows.push({ from, to, accounts: new Set(rows.map((row) => row.account)) });
      if (this.windows.length > WINDOWS) this.windows.shift();
    } catch (error) {
      this.windows.length = 0; // a gap: every follower reads for itself until the windows cover it again
      throw error;
    }
  }

  /** The highest seq at or below which history is final. */
  private horizon(): Promise<number> {
    if (this.now() - this.refreshed < this.refreshMs) return Promise.resolve(this.final);
    this.refreshing ??= this.refresh().finally(() => {
      this.refreshing = undefined;
      this.refreshed = this.now();
    });
    return this.refreshing;
  }

  private async refresh(): Promise<number> {
    const last = await this.db.selectFrom("wallet_history").select("seq").orderBy("seq", "desc").limit(1).executeTakeFirst();
    const highest = Number(last?.seq ?? 0);
    const before = this.final;
    if (this.engine === "sqlite") {
      this.final = Math.max(this.final, highest);
      await this.advanced(before, this.final);
      return this.final;
    }
    const running = await this.runningTransactions();
    const now = this.now();
    const newest = this.marks.at(-1)?.seq ?? this.final;
    if (highest > newest) this.marks.push({ seq: highest, xids: running, since: now });
    while (this.marks.length > 0) {
      const mark = this.marks[0]!;
      const ended = [...mark.xids].every((xid) => !running.has(xid));
      if (!ended && now - mark.since < this.graceMs) break;
      this.final = Math.max(this.final, mark.seq);
      this.marks.shift();
    }
    await this.advanced(before, this.final);
    return this.final;
  }

  /** The transaction ids of this database's sessions with one (other than this connection's own). */
  private async runningTransactions(): Promise<Set<string>> {
    const { rows } = await sql<{ xid: string }>`SELECT backend_xid::text AS xid FROM pg_stat_activity
      WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()`.execute(this.db);
    return new Set(rows.map((row) => row.xid));
  }
}
