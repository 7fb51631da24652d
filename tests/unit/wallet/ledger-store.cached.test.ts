import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "#kit/db/database.js";
import { SqlLedgerStore, type WalletDb } from "../../../services/wallet/src/adapters/ledger-store.sql.js";
import { CommandBatcher } from "../../../services/wallet/src/domain/command-batcher.js";
import { makeCommand, type Command } from "../../../services/wallet/src/domain/ledger.js";
import { balanceOf, expectConserved, ledgerStoreContract } from "../../integration/wallet/ledger-store.contract.js";
import { sqliteLedgerFixture } from "./sqlite-ledger.fixture.js";

// The SQL store keeps its working set in memory and writes conditionally (compare-and-set on
// every balance, the version of every document). These tests change rows behind its back — a
// second writer on the same file — and expect the stale batch to be refused by the database,
// run again under row locks, and answered as if the cache had never existed. The contract also
// runs with the cache off, since the locking path is what a refused batch falls back to.

const dir = mkdtempSync(join(tmpdir(), "wallet-cached-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
const nextFile = () => join(dir, `ledger-${(files += 1)}.sqlite`);

ledgerStoreContract("SQLite, row locks (no working-set cache)", () => sqliteLedgerFixture(nextFile(), { cached: false }));

let ids = 0;
const command = (body: Parameters<typeof makeCommand>[2]): Command => makeCommand(`c${(ids += 1)}`, 1_700_000_000_000, body);
const deposit = (account: string, amount: bigint) =>
  command({ kind: "deposit", depositId: `d${ids}`, account, asset: "USDT", network: "internal", amount, txId: `tx${ids}-${account}`, confirmations: 0, required: 0 });
const transfer = (from: string, to: string, amount: bigint) => command({ kind: "transfer", from, to, asset: "USDT", amount });

async function twoWriters() {
  const file = nextFile();
  const cached = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${file}`));
  const other = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${file}`), { cached: false });
  return { cached, other, close: async () => Promise.all([cached.close(), other.close()]) };
}

describe("SQL ledger store: the SQLite writer thread", () => {
  it("keeps the ledger working when the writer thread is gone: batches run on the store's own connection", async () => {
    const store = await SqlLedgerStore.open(openDatabase<WalletDb>(`sqlite:${nextFile()}`));
    try {
      expect((await store.execute([deposit("alice", 100n)]))[0]!.ok).toBe(true);
      expect(store.fallbacks).toBe(0);
      await (store as unknown as { writer: { worker: { terminate(): Promise<number> } } }).writer.worker.terminate();
      expect((await store.execute([transfer("alice", "bob", 30n)]))[0]!.ok).toBe(true);
      expect((await store.execute([transfer("alice", "bob", 30n)]))[0]!.ok).toBe(true);
      expect(store.fallbacks).toBe(2);
      expect(await balanceOf(store, "bob", "USDT")).toEqual({ available: 60n, locked: 0n, pending: 0n });
      await expectConserved(store);
    } finally {
      await store.close();
    }
  });
});

describe("SQL ledger store: the working-set cache under a second writer", () => {
  it("refuses a batch planned on a balance another writer changed, and runs it again against the store", async () => {
    const { cached, other, close } = await twoWriters();
    try {
      const [funded] = await cached.execute([deposit("alice", 100n)]);
      expect(funded!.ok).toBe(true);
      // The cache now believes alice has 100. Another writer moves 80 away.
      expect((await other.execute([transfer("alice", "bob", 80n)]))[0]!.ok).toBe(true);
      // Planned against the cache, 50 would pass; the database refuses the stale write.
      const [spent] = await cached.execute([transfer("alice", "carol", 50n)]);
      expect(spent!.ok).toBe(false);
      if (!spent!.ok) expect((spent!.error as { key?: string }).key).toBe("INSUFFICIENT_BALANCE");
      expect(cached.fallbacks).toBe(1);
      expect(await balanceOf(cached, "alice", "USDT")).toEqual({ available: 20n, locked: 0n, pending: 0n });
      expect(await balanceOf(cached, "carol", "USDT")).toEqual({ available: 0n, locked: 0n, pending: 0n });
      // The cache started over: the next batch plans on what the store holds.
      expect((await cached.execute([transfer("alice", "carol", 20n)]))[0]!.ok).toBe(true);
      expect(cached.fallbacks).toBe(1);
      await expectConserved(cached);
    } finally {
      await close();
    }
  });

  it("refuses a transfer id another writer used meanwhile, and answers it as that writer's duplicate", async () => {
    const { cached, other, close } = await twoWriters();
    try {
      await cached.execute([deposit("alice", 100n)]);
      const move = transfer("alice", "bob", 30n);
      expect((await other.execute([move]))[0]).toMatchObject({ ok: true, duplicate: false });
      expect((await cached.execute([move]))[0]).toMatchObject({ ok: true, duplicate: true });
      expect(await balanceOf(cached, "bob", "USDT")).toEqual({ available: 30n, locked: 0n, pending: 0n });
      await expectConserved(cached);
    } finally {
      await close();
    }
  });

  it("keeps submission order when overlapping batches fall back: a later batch never runs before an earlier one", async () => {
    const { cached, other, close } = await twoWriters();
    try {
      await cached.execute([deposit("alice", 100n)]);
      await other.execute([transfer("alice", "bob", 1n)]); // the cache's 100 for alice is now stale
      // Three overlapping batches: the first is refused (stale), the next two were planned on top
      // of it, so they must be planned again after it, in order: 99 - 60 - 39 = 0, then 1 fails.
      const batcher = new CommandBatcher(cached, { maxBatch: 1, maxInFlight: 2 });
      const outcomes = await Promise.all([
        batcher.submit(transfer("alice", "carol", 60n)),
        batcher.submit(transfer("alice", "dave", 39n)),
        batcher.submit(transfer("alice", "erin", 1n)),
      ]);
      expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, true, false]);
      expect(cached.fallbacks).toBeGreaterThanOrEqual(1);
      expect(await balanceOf(cached, "alice", "USDT")).toEqual({ available: 0n, locked: 0n, pending: 0n });
      expect(await balanceOf(cached, "dave", "USDT")).toEqual({ available: 39n, locked: 0n, pending: 0n });
      await expectConserved(cached);
    } finally {
      await close();
    }
  });
});
