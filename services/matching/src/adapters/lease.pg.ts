/**
 * Leases as rows of `matching_leases` on PostgreSQL: (name, holder, epoch, expires_at). Taking a lease is one
 * upsert that succeeds only when the row is absent, expired by the database's clock, or held by the same holder, and
 * bumps the epoch; renewing succeeds only for the holder at its epoch before expiry.
 */
import pg from "pg";
import type { LeaseStore } from "../ports/lease.port.js";

export class PgLeaseStore implements LeaseStore {
  private readonly pool: pg.Pool;
  private ready: Promise<unknown> | null = null;

  constructor(url: string) {
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
    // An idle connection the server ends leaves the pool (the next query opens another) instead of ending the process.
    this.pool.on("error", () => undefined);
  }

  private migrate(): Promise<unknown> {
    this.ready ??= this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS matching_leases (
           name text PRIMARY KEY, holder text NOT NULL, epoch bigint NOT NULL, expires_at timestamptz NOT NULL);
         CREATE TABLE IF NOT EXISTS matching_lease_members (
           lease_group text NOT NULL, member text NOT NULL, PRIMARY KEY (lease_group, member))`,
      )
      .catch((error: unknown) => {
        this.ready = null;
        throw error;
      });
    return this.ready;
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<{ epoch: number } | null> {
    await this.migrate();
    const { rows } = await this.pool.query<{ epoch: string }>(
      `INSERT INTO matching_leases AS l (name, holder, epoch, expires_at)
         VALUES ($1, $2, 1, now() + $3 * interval '1 millisecond')
       ON CONFLICT (name) DO UPDATE SET holder = $2, epoch = l.epoch + 1, expires_at = now() + $3 * interval '1 millisecond'
         WHERE l.expires_at < now() OR l.holder = $2
       RETURNING epoch`,
      [name, holder, ttlMs],
    );
    return rows.length === 1 ? { epoch: Number(rows[0].epoch) } : null;
  }

  async renew(name: string, holder: string, epoch: number, ttlMs: number): Promise<boolean> {
    await this.migrate();
    const { rowCount } = await this.pool.query(
      `UPDATE matching_leases SET expires_at = now() + $4 * interval '1 millisecond'
        WHERE name = $1 AND holder = $2 AND epoch = $3 AND expires_at >= now()`,
      [name, holder, epoch, ttlMs],
    );
    return rowCount === 1;
  }

  async release(name: string, holder: string, epoch: number): Promise<void> {
    await this.migrate();
    await this.pool.query(`UPDATE matching_leases SET expires_at = now() - interval '1 millisecond' WHERE name = $1 AND holder = $2 AND epoch = $3`, [name, holder, epoch]);
  }

  async addMember(group: string, member: string): Promise<void> {
    await this.migrate();
    await this.pool.query(`INSERT INTO matching_lease_members (lease_group, member) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [group, member]);
  }

  async members(group: string): Promise<string[]> {
    await this.migrate();
    const { rows } = await this.pool.query<{ member: string }>(`SELECT member FROM matching_lease_members WHERE lease_group = $1 ORDER BY member`, [group]);
    return rows.map((row) => row.member);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
