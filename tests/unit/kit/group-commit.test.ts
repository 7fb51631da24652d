// Group commit on SQLite: a write's caller goes on only once a WAL datasync begun after its commit is done; callers
// waiting together share datasyncs; reads and relaxed commits wait for none.
import { afterEach, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { openDatabase } from "#kit/db/database.js";
import { relaxedCommit } from "#kit/db/relaxed-commit.js";
import { WalSync, type SyncTarget } from "#kit/db/wal-sync.js";

/** A sync target whose datasyncs finish when the test says. */
function gatedTarget() {
  const pending: (() => void)[] = [];
  let started = 0;
  const target: SyncTarget = {
    datasync: () => {
      started += 1;
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    close: async () => {},
  };
  return { target, started: () => started, finishOne: () => pending.shift()?.() };
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe("WalSync", () => {
  it("answers a flush after a datasync begun after it; flushes during one share the next", async () => {
    const gate = gatedTarget();
    const wal = new WalSync("unused", async () => gate.target);
    const first = wal.flush();
    await vi.waitFor(() => expect(gate.started()).toBe(1));
    const during = [wal.flush(), wal.flush(), wal.flush()];
    expect(await settled(first)).toBe(false);
    gate.finishOne();
    expect(await settled(first)).toBe(true);
    // The three arrived while the first datasync ran: it may have begun before their commits, so they wait.
    expect(await settled(Promise.all(during))).toBe(false);
    await vi.waitFor(() => expect(gate.started()).toBe(2));
    gate.finishOne();
    expect(await settled(Promise.all(during))).toBe(true);
    expect(gate.started()).toBe(2);
  });

  it("fails the callers of a failed datasync, and the next flush syncs again", async () => {
    let calls = 0;
    const wal = new WalSync("unused", async () => ({
      datasync: async () => {
        calls += 1;
        if (calls === 1) throw new Error("EIO");
      },
      close: async () => {},
    }));
    await expect(wal.flush()).rejects.toThrow("EIO");
    await wal.flush();
    expect(calls).toBe(2);
  });
});

describe("a durable SQLite database (group commit)", () => {
  let dir: string;
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a write once the WAL's datasync after it is done; a read or a relaxed commit waits for none", async () => {
    dir = mkdtempSync(join(tmpdir(), "group-commit-"));
    const database = openDatabase<{ items: { id: number } }>(`sqlite:${join(dir, "db.sqlite")}`);
    try {
      await sql`create table items (id integer primary key)`.execute(database.db);
      // Every FileHandle's datasync, held until released.
      const probe = await open(join(dir, "probe"), "w");
      const prototype = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
      await probe.close();
      const real = prototype.datasync;
      const gates: (() => void)[] = [];
      const datasync = vi.spyOn(prototype, "datasync").mockImplementation(function (this: unknown) {
        return new Promise<void>((resolve) => gates.push(() => resolve(real.call(this))));
      });
      const baseline = datasync.mock.calls.length;

      const write = database.db.transaction().execute((tx) => tx.insertInto("items").values({ id: 1 }).execute());
      await vi.waitFor(() => expect(datasync.mock.calls.length).toBe(baseline + 1));
      // Committed (another connection's reads would see it), but not answered before the disk has it.
      expect(await settled(write)).toBe(false);
      expect(await database.db.selectFrom("items").selectAll().execute()).toEqual([{ id: 1 }]);
      gates.shift()!();
      await write;

      const reads = datasync.mock.calls.length;
      await database.db.selectFrom("items").selectAll().execute();
      await relaxedCommit(database.db, (tx) => tx.insertInto("items").values({ id: 2 }).execute());
      expect(datasync.mock.calls.length).toBe(reads);
      expect((await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(database.db)).rows[0]!.synchronous).toBe(1);
    } finally {
      await database.close();
    }
  });
});
