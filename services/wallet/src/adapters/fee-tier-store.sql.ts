import { sql, type Kysely, type Migration } from "kysely";
import type { Database, Engine } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import type { FeeTierAssignment } from "../domain/fee-tier-assignment.js";
import type { FeeTierStore, TradedVolume } from "../ports/fee-tier.port.js";

// Fee tiers in wallet's back-office database (beside the audit log: the PostgreSQL ledger's database, else
// <data dir>/wallet-audit.sqlite, or WALLET_AUDIT_DATABASE_URL). Volumes are decimal integers in smallest units:
// numeric on PostgreSQL (added in SQL, so replicas never lose each other's updates), text on SQLite (added here,
// inside the one writer's transaction).

interface FeeTierDb {
  fee_volume_trades: { trade_id: string; day: string };
  fee_volume_daily: { account: string; asset: string; day: string; volume: string };
  fee_tier_assignments: {
    account: string;
    volume_tier: number;
    override_tier: number | null;
    override_reason: string | null;
    override_actor: string | null;
    override_time: string | number | null;
    updated_at: string | number;
  };
}

export function feeTierMigrations(engine: Engine): Record<string, Migration> {
  const money = engine === "postgres" ? sql`numeric(78,0)` : sql`text`;
  return {
    "001_fee_tiers": {
      up: async (db: Kysely<unknown>) => {
        await db.schema
          .createTable("fee_volume_trades")
          .ifNotExists()
          .addColumn("trade_id", "text", (c) => c.primaryKey())
          .addColumn("day", "text", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("fee_volume_trades_day").ifNotExists().on("fee_volume_trades").column("day").execute();
        await db.schema
          .createTable("fee_volume_daily")
          .ifNotExists()
          .addColumn("account", "text", (c) => c.notNull())
          .addColumn("asset", "text", (c) => c.notNull())
          .addColumn("day", "text", (c) => c.notNull())
          .addColumn("volume", money, (c) => c.notNull())
          .addPrimaryKeyConstraint("fee_volume_daily_pk", ["account", "asset", "day"])
          .execute();
        await db.schema.createIndex("fee_volume_daily_asset_day").ifNotExists().on("fee_volume_daily").columns(["asset", "day"]).execute();
        await db.schema
          .createTable("fee_tier_assignments")
          .ifNotExists()
          .addColumn("account", "text", (c) => c.primaryKey())
          .addColumn("volume_tier", "integer", (c) => c.notNull())
          .addColumn("override_tier", "integer")
          .addColumn("override_reason", "text")
          .addColumn("override_actor", "text")
          .addColumn("override_time", "bigint")
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .execute();
      },
    },
  };
}

function toAssignment(row: FeeTierDb["fee_tier_assignments"]): FeeTierAssignment {
  const base = { account: row.account, volumeTier: Number(row.volume_tier) };
  if (row.override_tier === null) return base;
  return { ...base, override: { tier: Number(row.override_tier), reason: row.override_reason ?? "", actor: row.override_actor ?? "", time: Number(row.override_time ?? 0) } };
}

export class SqlFeeTierStore implements FeeTierStore {
  private constructor(private readonly database: Database<FeeTierDb>) {}

  static async open(database: Database<FeeTierDb>): Promise<SqlFeeTierStore> {
    await migrate(database.db as Kysely<unknown>, "wallet_fee_tiers", feeTierMigrations(database.engine));
    return new SqlFeeTierStore(database);
  }

  private get db(): Kysely<FeeTierDb> {
    return this.database.db;
  }

  async recordTrades(trades: readonly TradedVolume[]): Promise<void> {
    if (trades.length === 0) return;
    const postgres = this.database.engine === "postgres";
    await this.db.transaction().execute(async (tx) => {
      const added = new Map<string, { account: string; asset: string; day: string; volume: bigint }>();
      // Chunks keep each statement's parameters well under both engines' limits.
      for (let at = 0; at < trades.length; at += 500) {
        const chunk = trades.slice(at, at + 500);
        const fresh = await tx
          .insertInto("fee_volume_trades")
          .values(chunk.map((trade) => ({ trade_id: trade.tradeId, day: trade.day })))
          .onConflict((c) => c.column("trade_id").doNothing())
          .returning("trade_id")
          .execute();
        const ids = new Set(fresh.map((row) => row.trade_id));
        for (const trade of chunk) {
          if (!ids.delete(trade.tradeId)) continue; // seen before (or twice in this batch)
          for (const account of trade.accounts) {
            const key = `${account}\u0000${trade.quoteAsset}\u0000${trade.day}`;
            const row = added.get(key);
            if (row) row.volume += trade.quote;
            else added.set(key, { account, asset: trade.quoteAsset, day: trade.day, volume: trade.quote });
          }
        }
      }
      for (const row of added.values()) {
        if (postgres) {
          await tx
            .insertInto("fee_volume_daily")
            .values({ ...row, volume: row.volume.toString() })
            .onConflict((c) => c.columns(["account", "asset", "day"]).doUpdateSet({ volume: sql`fee_volume_daily.volume + excluded.volume` }))
            .execute();
          continue;
        }
        const existing = await tx.selectFrom("fee_volume_daily").select("volume").where("account", "=", row.account).where("asset", "=", row.asset).where("day", "=", row.day).executeTakeFirst();
        const volume = (existing ? BigInt(existing.volume) + row.volume : row.volume).toString();
        await tx
          .insertInto("fee_volume_daily")
          .values({ ...row, volume })
          .onConflict((c) => c.columns(["account", "asset", "day"]).doUpdateSet({ volume }))
          .execute();
      }
    });
  }

  async volumes(asset: string, from: string): Promise<Map<string, bigint>> {
    const rows = await this.db.selectFrom("fee_volume_daily").select(["account", "volume"]).where("asset", "=", asset).where("day", ">=", from).execute();
    const sums = new Map<string, bigint>();
    for (const row of rows) sums.set(row.account, (sums.get(row.account) ?? 0n) + BigInt(row.volume));
    return sums;
  }

  async dailyVolumes(account: string, asset: string, from: string): Promise<{ day: string; volume: bigint }[]> {
    const rows = await this.db.selectFrom("fee_volume_daily").select(["day", "volume"]).where("account", "=", account).where("asset", "=", asset).where("day", ">=", from).orderBy("day").execute();
    return rows.map((row) => ({ day: row.day, volume: BigInt(row.volume) }));
  }

  async assignments(): Promise<FeeTierAssignment[]> {
    return (await this.db.selectFrom("fee_tier_assignments").selectAll().orderBy("account").execute()).map(toAssignment);
  }

  async assignment(account: string): Promise<FeeTierAssignment | undefined> {
    const row = await this.db.selectFrom("fee_tier_assignments").selectAll().where("account", "=", account).executeTakeFirst();
    return row ? toAssignment(row) : undefined;
  }

  async setVolumeTiers(changes: readonly { account: string; volumeTier: number }[], now: number): Promise<void> {
    if (changes.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      for (const { account, volumeTier } of changes) {
        await tx
          .insertInto("fee_tier_assignments")
          .values({ account, volume_tier: volumeTier, override_tier: null, override_reason: null, override_actor: null, override_time: null, updated_at: now })
          .onConflict((c) => c.column("account").doUpdateSet({ volume_tier: volumeTier, updated_at: now }))
          .execute();
      }
    });
  }

  async setOverride(account: string, override: FeeTierAssignment["override"], now: number): Promise<void> {
    const fields = {
      override_tier: override?.tier ?? null,
      override_reason: override?.reason ?? null,
      override_actor: override?.actor ?? null,
      override_time: override?.time ?? null,
      updated_at: now,
    };
    await this.db
      .insertInto("fee_tier_assignments")
      .values({ account, volume_tier: 0, ...fields })
      .onConflict((c) => c.column("account").doUpdateSet(fields))
      .execute();
  }

  async forgetBefore(day: string): Promise<void> {
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom("fee_volume_trades").where("day", "<", day).execute();
      await tx.deleteFrom("fee_volume_daily").where("day", "<", day).execute();
    });
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
