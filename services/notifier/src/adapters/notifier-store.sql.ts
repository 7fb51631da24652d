/**
 * The notifier's own tables, on SQLite (embedded) or PostgreSQL (distributed) through Kysely: each account's
 * preferences with its webhook secret, and the delivery log that deduplicates by (event id, channel).
 */
import type { Kysely, Migration } from "kysely";
import { preparedQuery } from "#kit/db/prepared-query.js";
import type { Claim, DeliveryLog } from "../ports/delivery-log.port.js";
import type { PreferenceStore, StoredPreferences } from "../ports/preference-store.port.js";
import type { Channel, Preferences } from "../domain/preferences.js";

export interface NotifierTables {
  notifier_preferences: { account_id: string; body: string; webhook_secret: string; updated_at: number | string };
  notifier_deliveries: { event_id: string; channel: string; state: string; at: number | string };
}

export const notifierMigrations: Record<string, Migration> = {
  "001_notifier": {
    up: async (db: Kysely<unknown>) => {
      await db.schema
        .createTable("notifier_preferences")
        .ifNotExists()
        .addColumn("account_id", "text", (c) => c.primaryKey())
        .addColumn("body", "text", (c) => c.notNull())
        .addColumn("webhook_secret", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      // state: claimed (at = lease end) or delivered (at = when).
      await db.schema
        .createTable("notifier_deliveries")
        .ifNotExists()
        .addColumn("event_id", "text", (c) => c.notNull())
        .addColumn("channel", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("notifier_deliveries_pk", ["event_id", "channel"])
        .execute();
      await db.schema.createIndex("notifier_deliveries_at").ifNotExists().on("notifier_deliveries").columns(["state", "at"]).execute();
    },
  },
};

export class SqlNotifierStore implements PreferenceStore, DeliveryLog {
  constructor(private readonly db: Kysely<NotifierTables>) {}

  /** Read once per notification delivered: compiled once. */
  private readonly preferencesOf = preparedQuery(1, (accountId: string) =>
    this.db.selectFrom("notifier_preferences").select(["body", "webhook_secret"]).where("account_id", "=", accountId),
  );

  async get(accountId: string): Promise<StoredPreferences | undefined> {
    const [row] = (await this.preferencesOf(this.db, accountId)).rows;
    return row ? { preferences: JSON.parse(row.body) as Preferences, webhookSecret: row.webhook_secret } : undefined;
  }

  async put(stored: StoredPreferences, updatedAt: number): Promise<void> {
    const values = { account_id: stored.preferences.accountId, body: JSON.stringify(stored.preferences), webhook_secret: stored.webhookSecret, updated_at: updatedAt };
    await this.db
      .insertInto("notifier_preferences")
      .values(values)
      .onConflict((c) => c.column("account_id").doUpdateSet({ body: values.body, webhook_secret: values.webhook_secret, updated_at: values.updated_at }))
      .execute();
  }

  async claim(eventId: string, channel: Channel, now: number, leaseMs: number): Promise<Claim> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const inserted = await this.db
        .insertInto("notifier_deliveries")
        .values({ event_id: eventId, channel, state: "claimed", at: now + leaseMs })
        .onConflict((c) => c.columns(["event_id", "channel"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return "claimed";
      const row = await this.db.selectFrom("notifier_deliveries").select(["state", "at"]).where("event_id", "=", eventId).where("channel", "=", channel).executeTakeFirst();
      if (!row) continue; // unclaimed meanwhile: try to insert again
      if (row.state === "delivered") return "delivered";
      if (Number(row.at) > now) return "busy";
      // An expired lease (its holder died or gave up): take it over, unless someone else just did.
      const taken = await this.db
        .updateTable("notifier_deliveries")
        .set({ at: now + leaseMs })
        .where("event_id", "=", eventId)
        .where("channel", "=", channel)
        .where("state", "=", "claimed")
        .where("at", "=", row.at)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return "claimed";
    }
    return "busy";
  }

  async delivered(eventId: string, channel: Channel, now: number): Promise<void> {
    await this.db.updateTable("notifier_deliveries").set({ state: "delivered", at: now }).where("event_id", "=", eventId).where("channel", "=", channel).execute();
  }

  async unclaim(eventId: string, channel: Channel): Promise<void> {
    await this.db.deleteFrom("notifier_deliveries").where("event_id", "=", eventId).where("channel", "=", channel).where("state", "=", "claimed").execute();
  }

  async prune(before: number): Promise<number> {
    const out = await this.db.deleteFrom("notifier_deliveries").where("state", "=", "delivered").where("at", "<", before).executeTakeFirst();
    return Number(out.numDeletedRows);
  }
}
