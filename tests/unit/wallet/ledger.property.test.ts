import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "#kit/db/database.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { feeFor } from "../../../services/wallet/src/domain/fees.js";
import { checkFundsInvariant } from "../../integration/wallet/ledger.property.js";

const dir = mkdtempSync(join(tmpdir(), "wallet-prop-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("fees", () => {
  it("round up to the smallest unit, never exceed the amount, and are exact for multiples", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 36n }), fc.integer({ min: 0, max: 10_000 }), (amount, bps) => {
        const fee = feeFor(amount, bps);
        expect(fee * 10_000n >= amount * BigInt(bps)).toBe(true);
        expect((fee - 1n) * 10_000n < amount * BigInt(bps) || fee === 0n).toBe(true);
        expect(fee <= amount).toBe(true);
      }),
    );
    expect(feeFor(1n, 1)).toBe(1n);
    expect(feeFor(10_000n, 10)).toBe(10n);
    expect(feeFor(10_001n, 10)).toBe(11n);
  });
});

describe("funds invariant under random concurrent load (SQLite)", () => {
  for (const batching of [false, true]) {
    it(`holds for 2000 operations, 16 concurrent callers${batching ? ", group commit" : ""}`, async () => {
      const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${join(dir, `prop-${batching}.sqlite`)}`));
      try {
        const result = await checkFundsInvariant(store, { operations: 2000, concurrency: 16, seed: batching ? 7 : 42, batching });
        expect(result.settled).toBeGreaterThan(20);
        expect(result.refused).toBeGreaterThan(0);
      } finally {
        await store.close();
      }
    });
  }
});
