import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { ledgerStoreContract } from "../../integration/wallet/ledger-store.contract.js";
import { sqliteLedgerFixture } from "./sqlite-ledger.fixture.js";

// The LedgerStore contract on the embedded engine: SQLite files in a temp dir.

const dir = mkdtempSync(join(tmpdir(), "wallet-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
const sqliteFixture = () => sqliteLedgerFixture(join(dir, `ledger-${(n += 1)}.sqlite`));

ledgerStoreContract("SQLite", sqliteFixture);
ledgerStoreContract("SQLite", sqliteFixture, { batching: true });
