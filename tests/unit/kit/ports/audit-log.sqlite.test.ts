import { auditLogMigration, SqlAuditLog } from "#kit/audit/audit-log.sql.js";
import { openDatabase } from "#kit/db/database.js";
import { migrate } from "#kit/db/migrate.js";
import { auditLogContract } from "#kit/ports/audit-log.contract.js";

auditLogContract("sqlite", () => ({
  open: async () => {
    const database = openDatabase<never>("sqlite::memory:");
    await migrate(database.db as never, "audit", { "001_audit": auditLogMigration("test_audit_log") });
    return { log: new SqlAuditLog(database.db, "test_audit_log"), close: () => database.close() };
  },
}));
