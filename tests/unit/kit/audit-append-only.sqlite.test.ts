import { auditAppendOnlySuite, scratchSqlite } from "../../support/audit-append-only.js";

auditAppendOnlySuite("sqlite", scratchSqlite);
