import BetterSqlite3 from "better-sqlite3";
import { openDatabase } from "#kit/db/database.js";
import { SqlLedgerStore, type SqlLedgerStoreOptions, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import type { LedgerStoreFixture } from "../../integration/wallet/ledger-store.contract.js";

/** A SQLite ledger in `file`, and a way around the store to write a negative balance straight into the engine. */
export async function sqliteLedgerFixture(file: string, options: SqlLedgerStoreOptions = {}): Promise<LedgerStoreFixture & { store: SqlLedgerStore }> {
  const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${file}`), options);
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
