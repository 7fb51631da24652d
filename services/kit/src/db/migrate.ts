import { Migrator, PostgresAdapter, sql, type Kysely, type Migration } from "kysely";

/**
 * Applies a service's migrations idempotently. Each service keeps its own migration table,
 * so services sharing one embedded database never step on each other.
 */
export async function migrate(db: Kysely<unknown>, service: string, migrations: Record<string, Migration>, options: { schema?: string } = {}): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: `migrations_${service}`,
    migrationLockTableName: `migrations_${service}_lock`,
    // Without a schema Kysely takes a migration table in ANY schema of the database for its own
    // (another service's, or another test run's): on PostgreSQL the connection's current schema.
    migrationTableSchema: options.schema ?? (await currentSchema(db)),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === "Error")?.migrationName ?? "?";
    throw new Error(`migration ${service}/${failed} failed: ${String(error)}`, { cause: error });
  }
}

/** The schema unqualified tables go to on PostgreSQL (the search_path's first); none on SQLite. */
async function currentSchema(db: Kysely<unknown>): Promise<string | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  return rows[0]?.schema ?? undefined;
}
