import { describe, expect, it } from "vitest";
import { checkFundsInvariant } from "./ledger.property.js";
import { dynamoFixture, pgFixture } from "./support.js";

// The funds invariant under 10k random operations with concurrent callers, against the real
// engines. WALLET_PROPERTY_OPS overrides the count (e.g. for a longer soak).

const OPERATIONS = Number(process.env.WALLET_PROPERTY_OPS ?? 10_000);
// moto deep-copies every table a TransactWriteItems touches, once per item of the transaction
// (its rollback copy), so a write costs O(items in the tables it touches). The store keeps the
// table that grows with the ledger (transfers) to one item per transaction, which leaves a
// run quadratic but ~4x cheaper than one table: 2000 operations take ~1.5 min here, 10 000 about
// 40 min (docs/wallet.md). WALLET_PROPERTY_DDB_OPS=10000 runs the full count.
const DDB_OPERATIONS = Number(process.env.WALLET_PROPERTY_DDB_OPS ?? 2000);
const progress = (engine: string) => (done: number) => {
  if (done % 1000 === 0) process.stdout.write(`[wallet property] ${engine}: ${done} done (${new Date().toISOString()})\n`);
};

describe("funds invariant under random concurrent load", () => {
  it(`PostgreSQL, group commit: ${OPERATIONS} operations, 32 concurrent callers`, async () => {
    const { store } = await pgFixture();
    try {
      const result = await checkFundsInvariant(store, { operations: OPERATIONS, concurrency: 32, seed: 2024, batching: true, progress: progress("postgres") });
      expect(result.settled).toBeGreaterThan(100);
    } finally {
      await store.close();
    }
  }, 300_000);

  it(`PostgreSQL, one transaction per command (row locks contended): ${Math.round(OPERATIONS / 5)} operations`, async () => {
    const { store } = await pgFixture();
    try {
      const result = await checkFundsInvariant(store, { operations: Math.round(OPERATIONS / 5), concurrency: 16, seed: 99, batching: false });
      expect(result.settled).toBeGreaterThan(20);
    } finally {
      await store.close();
    }
  }, 300_000);

  it(`DynamoDB (moto): ${DDB_OPERATIONS} operations, 16 concurrent callers`, async () => {
    const { store } = await dynamoFixture();
    try {
      const result = await checkFundsInvariant(store, { operations: DDB_OPERATIONS, concurrency: 16, seed: 77, progress: progress("dynamodb") });
      process.stdout.write(`[wallet property] dynamodb: ${DDB_OPERATIONS} operations: ${result.ok} ok, ${result.refused} refused, ${result.settled} settled\n`);
      expect(result.settled).toBeGreaterThan(DDB_OPERATIONS >= 1000 ? 5 : 0);
    } finally {
      await store.close();
    }
  }, Math.max(600_000, DDB_OPERATIONS * 600));
});
