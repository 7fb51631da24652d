import { auditAppendOnlySuite } from "../../support/audit-append-only.js";
import { freshPgSchema } from "../../support/postgres.js";

auditAppendOnlySuite("postgres", () => freshPgSchema("audit_append"));
