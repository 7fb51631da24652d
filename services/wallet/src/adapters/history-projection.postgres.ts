import { sql, type Kysely, type Migration } from "kysely";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { decodeHistoryCursor, encodeHistoryCursor } from "../domain/history-cursor.js";
import type { BalanceRow, CommandKind, LedgerEntry, Page } from "../domain/ledger.js";
import { balanceChanges, mergePositions } from "../domain/projection.js";
import type { HistoryProjection } from "../ports/history-projection.port.js";
import type { FeedPosition, LedgerEvent } from "../ports/ledger-events.port.js";
import type { PageRequest } from "../ports/ledger-store.port.js";

// The ledger's history and per-account balances in PostgreSQL, built only from the store of
// record's events (never from commands). Rows are keyed by transfer id and entry index, so an
// event applied twice changes nothing; balances move only for transfers new to the projection;
// the feed position is stored in the same transaction as the rows it covers.

// Transfer ids sort as bytes (COLLATE "C"), the order DynamoDB's sort keys use, so both serve
// history in the same order and one cursor fits both.
export const projectionMigrations: Record<string, Migration> = {
  "001_projection": {
    up: async (db: Kysely<unknown>) => {
      await sql`
        create table if not exists wallet_projection_transfers (
          transfer_id text collate "C" primary key,
          kind text not null,
          fingerprint text not null,
          result text not null,
          time bigint not null
        )`.execute(db);
      await sql`
        create table if not exists wallet_projection_entries (
          transfer_id text collate "C" not null,
          idx integer not null,
          kind text not null,
          account text not null,
          asset text not null,
          available numeric(78,0) not null,
          locked numeric(78,0) not null,
          pending numeric(78,0) not null,
          time bigint not null,
          primary key (transfer_id, idx)
        )`.execute(db);
      await sql`create index if not exists wallet_projection_entries_history on wallet_projection_entries (account, time, transfer_id, idx)`.execute(db);
      // Derived from entries; no >= 0 check: shards applied in different orders may pass through one.
      await sql`
        create table if not exists wallet_projection_balances (
          account text not null,
          asset text not null,
          available numeric(78,0) not null,
          locked numeric(78,0) not null,
          pending numeric(78,0) not null,
          primary key (account, asset)
        )`.execute(db);
      await sql`create table if not exists wallet_projection_position (feed text primary key, position text not null)`.execute(db);
    },
  },
};

const FEED = "transfers";

interface EntryRow {
  transfer_id: string;
  idx: number;
  kind: string;
  account: string;
  asset: string;
  available: string;
  locked: string;
  pending: string;
  time: string;
}

export class PostgresHistoryProjection implements HistoryProjection {
  private constructor(
    private readonly db: Kysely<unknown>,
    private readonly closeDb: () => Promise<void>,
  ) {}

  /** Migrates (idempotently) and returns the projection. */
  static async open(url: string): Promise<PostgresHistoryProjection> {
    const database = openDatabase<unknown>(url);
    if (database.engine !== "postgres") throw new Error("the history projection needs PostgreSQL");
    // The migration tables live in the connection's own schema (a search_path per deployment or test).
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(database.db);
    await migrate(database.db, "wallet_projection", projectionMigrations, { schema: rows[0]?.schema });
    return new PostgresHistoryProjection(database.db, () => database.close());
  }

  async position(): Promise<FeedPosition> {
    const { rows } = await sql<{ position: string }>`select position from wallet_projection_position where feed = ${FEED}`.execute(this.db);
    return rows[0] ? (JSON.parse(rows[0].position) as FeedPosition) : {};
  }

  async apply(events: readonly LedgerEvent[], position: FeedPosition): Promise<number> {
    return this.db.transaction().execute(async (tx) => {
      // The position row is the projector's lock: concurrent projectors take turns.
      await sql`insert into wallet_projection_position (feed, position) values (${FEED}, '{}') on conflict do nothing`.execute(tx);
      const { rows: locked } = await sql<{ position: string }>`select position from wallet_projection_position where feed = ${FEED} for update`.execute(tx);
      const stored = JSON.parse(locked[0]!.position) as FeedPosition;

      const unique = [...new Map(events.map((event) => [event.transfer.id, event])).values()];
      let fresh: LedgerEvent[] = [];
      if (unique.length > 0) {
        const transfers = unique.map((event) => event.transfer);
        const { rows } = await sql<{ transfer_id: string }>`
          insert into wallet_projection_transfers (transfer_id, kind, fingerprint, result, time)
          select * from unnest(${transfers.map((t) => t.id)}::text[], ${transfers.map((t) => t.kind)}::text[], ${transfers.map((t) => t.fingerprint)}::text[],
                               ${transfers.map((t) => JSON.stringify(t.result))}::text[], ${transfers.map((t) => String(t.time))}::bigint[])
          on conflict do nothing
          returning transfer_id`.execute(tx);
        const inserted = new Set(rows.map((row) => row.transfer_id));
        fresh = unique.filter((event) => inserted.has(event.transfer.id));
      }
      if (fresh.length > 0) {
        const entries = fresh.flatMap((event) => event.entries.map((entry, idx) => ({ entry, idx })));
        await sql`
          insert into wallet_projection_entries (transfer_id, idx, kind, account, asset, available, locked, pending, time)
          select * from unnest(${entries.map((e) => e.entry.transferId)}::text[], ${entries.map((e) => e.idx)}::int[], ${entries.map((e) => e.entry.kind)}::text[],
                               ${entries.map((e) => e.entry.account)}::text[], ${entries.map((e) => e.entry.asset)}::text[],
                               ${entries.map((e) => e.entry.available.toString())}::numeric[], ${entries.map((e) => e.entry.locked.toString())}::numeric[],
                               ${entries.map((e) => e.entry.pending.toString())}::numeric[], ${entries.map((e) => String(e.entry.time))}::bigint[])
          on conflict do nothing`.execute(tx);
        const changes = balanceChanges(fresh).sort((a, b) => (a.account === b.account ? (a.asset < b.asset ? -1 : 1) : a.account < b.account ? -1 : 1));
        if (changes.length > 0) {
          await sql`
            insert into wallet_projection_balances as b (account, asset, available, locked, pending)
            select * from unnest(${changes.map((c) => c.account)}::text[], ${changes.map((c) => c.asset)}::text[], ${changes.map((c) => c.available.toString())}::numeric[],
                                 ${changes.map((c) => c.locked.toString())}::numeric[], ${changes.map((c) => c.pending.toString())}::numeric[])
            on conflict (account, asset) do update set available = b.available + excluded.available, locked = b.locked + excluded.locked, pending = b.pending + excluded.pending`.execute(tx);
        }
      }
      await sql`update wallet_projection_position set position = ${JSON.stringify(mergePositions(stored, position))} where feed = ${FEED}`.execute(tx);
      return fresh.length;
    });
  }

  async entries(account: string, asset: string, page: PageRequest): Promise<Page<LedgerEntry>> {
    const size = page.size > 0 ? Math.min(page.size, 1000) : 100;
    const after = decodeHistoryCursor(page.token);
    const { rows } = await sql<EntryRow>`
      select transfer_id, idx, kind, account, asset, available::text, locked::text, pending::text, time::text
      from wallet_projection_entries
      where account = ${account}
        ${asset === "" ? sql`` : sql`and asset = ${asset}`}
        ${after ? sql`and (time, transfer_id, idx) < (${String(after.time)}::bigint, ${after.transferId}, ${after.index})` : sql``}
      order by time desc, transfer_id desc, idx desc
      limit ${size + 1}`.execute(this.db);
    const items = rows.slice(0, size).map(toEntry);
    const last = rows[size - 1];
    return { items, next: rows.length > size && last ? encodeHistoryCursor({ time: Number(last.time), transferId: last.transfer_id, index: last.idx }) : "" };
  }

  async balances(): Promise<{ rows: BalanceRow[]; position: FeedPosition }> {
    // One snapshot for both reads: the rows are exactly what the position covers.
    return this.db.transaction().setIsolationLevel("repeatable read").execute(async (tx) => {
      const { rows: positions } = await sql<{ position: string }>`select position from wallet_projection_position where feed = ${FEED}`.execute(tx);
      const { rows } = await sql<{ account: string; asset: string; available: string; locked: string; pending: string }>`
        select account, asset, available::text, locked::text, pending::text from wallet_projection_balances`.execute(tx);
      return {
        position: positions[0] ? (JSON.parse(positions[0].position) as FeedPosition) : {},
        rows: rows.map((row) => ({ account: row.account, asset: row.asset, available: BigInt(row.available), locked: BigInt(row.locked), pending: BigInt(row.pending) })),
      };
    });
  }

  async close(): Promise<void> {
    await this.closeDb();
  }
}

function toEntry(row: EntryRow): LedgerEntry {
  return {
    transferId: row.transfer_id,
    kind: row.kind as CommandKind,
    account: row.account,
    asset: row.asset,
    available: BigInt(row.available),
    locked: BigInt(row.locked),
    pending: BigInt(row.pending),
    time: Number(row.time),
  };
}
