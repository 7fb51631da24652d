import { describe, expect, it } from "vitest";
import { openDatabase } from "#kit/db/database.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import type { Command, Outcome } from "../../../services/wallet/src/domain/ledger.js";
import type { LedgerStore } from "../../../services/wallet/src/ports/ledger-store.port.js";
import { checkFundsInvariant } from "./ledger.property.js";
import { pgDatabase } from "./support.js";

// The SQL store's two write paths under real PostgreSQL concurrency. By default a store plans on
// its in-memory working set and writes by compare-and-set; a row changed behind it (another
// replica) refuses the batch, which then runs under SELECT ... FOR UPDATE. Here: the locking path
// alone with contended row locks, and two cached replicas writing the same accounts at once.

const OPERATIONS = Number(process.env.WALLET_WRITERS_OPS ?? 2000);

async function database() {
  const { url, drop } = await pgDatabase();
  const stores: SqlLedgerStore[] = [];
  return {
    open: async (options: { cached: boolean }) => {
      const store = await SqlLedgerStore.open(openDatabase<WalletDb>(url), options);
      stores.push(store);
      return store;
    },
    close: async () => {
      for (const store of stores) await store.close();
      await new Promise((resolve) => setTimeout(resolve, 250));
      await drop();
    },
  };
}

/** Two replicas behind one LedgerStore: commands alternate between them, reads go to the first. */
function alternating(first: SqlLedgerStore, second: SqlLedgerStore): LedgerStore {
  let turn = 0;
  return Object.assign(Object.create(first) as LedgerStore, {
    execute: (commands: readonly Command[]): Promise<Outcome[]> => ((turn += 1) % 2 === 0 ? first : second).execute(commands),
  });
}

describe("SQL ledger writers on PostgreSQL", () => {
  it(`row locks only (no working-set cache), one transaction per command, 16 callers: ${OPERATIONS} operations`, async () => {
    const db = await database();
    try {
      const store = await db.open({ cached: false });
      const result = await checkFundsInvariant(store, { operations: OPERATIONS, concurrency: 16, seed: 4242, batching: false });
      expect(result.settled).toBeGreaterThan(20);
    } finally {
      await db.close();
    }
  }, 300_000);

  it(`two cached replicas writing the same accounts, 16 callers: ${OPERATIONS} operations, refused batches re-run under locks`, async () => {
    const db = await database();
    try {
      const first = await db.open({ cached: true });
      const second = await db.open({ cached: true });
      const result = await checkFundsInvariant(alternating(first, second), { operations: OPERATIONS, concurrency: 16, seed: 777, batching: false });
      expect(result.settled).toBeGreaterThan(20);
      // The replicas did step on each other, and every such batch was answered through the locking path.
      expect(first.fallbacks + second.fallbacks).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
  }, 300_000);
});
