import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import BetterSqlite3 from "better-sqlite3";
import { openDatabase } from "#kit/db/database.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { ledgerStoreContract } from "../../integration/wallet/ledger-store.contract.js";

// The LedgerStore contract on the embedded engine: SQLite files in a temp dir.

const dir = mkdtempSync(join(tmpdir(), "wallet-sqlite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
async function sqliteFixture() {
  const file = join(dir, `ledger-${(n += 1)}.sqlite`);
  const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${file}`));
  return {
    store,
    forceNegative: async (account: string, asset: string) => {
      const raw = new BetterSqlite3(file);
      try {
        raw.prepare("UPDATE wallet_balances SET available = '-1' WHERE account = ? AND asset = ?").run(account, asset);
      } finally {
        raw.close();
      }
    },
  };
}

ledgerStoreContract("SQLite", sqliteFixture);
ledgerStoreContract("SQLite", sqliteFixture, { batching: true });
