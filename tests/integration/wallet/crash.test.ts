import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";

// Bank-style crash check: a child process runs random concurrent transfers on a SQLite ledger;
// we SIGKILL it every ~2 s and restart it, several times. After each kill: the sum of balances is
// what was deposited, no balance is negative, and every transfer acknowledged before the kill is
// in the ledger exactly once (one transfer row, two entries).

const ACCOUNTS = 20;
const KILLS = 5;
const dir = mkdtempSync(join(tmpdir(), "wallet-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function start(file: string, tag: string): { child: ChildProcess; acked: Set<string>; ready: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "crash-child.ts"), file, String(ACCOUNTS), tag], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const acked = new Set<string>();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (line === "ready") markReady();
    else if (line.startsWith("ack ")) acked.add(line.slice(4));
  });
  return { child, acked, ready };
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

describe("crash safety (SIGKILL + restart)", () => {
  it(`keeps every acknowledged transfer exactly once and funds conserved across ${KILLS} kills`, async () => {
    const file = join(dir, "ledger.sqlite");
    let totalAcked = 0;
    for (let round = 0; round < KILLS; round += 1) {
      const { child, acked, ready } = start(file, `r${round}`);
      await ready;
      await new Promise((resolve) => setTimeout(resolve, 1500 + Math.random() * 1000));
      // Snapshot the acknowledgements we saw before the kill: only those are promised.
      const promised = [...acked];
      await killHard(child);
      expect(promised.length).toBeGreaterThan(0);
      totalAcked += promised.length;

      const db = new BetterSqlite3(file);
      try {
        const balances = db.prepare("SELECT account, available, locked, pending FROM wallet_balances WHERE asset = 'USDT'").all() as { account: string; available: string; locked: string; pending: string }[];
        const sum = balances.reduce((total, row) => total + BigInt(row.available) + BigInt(row.locked) + BigInt(row.pending), 0n);
        expect(sum).toBe(BigInt(ACCOUNTS) * 1_000_000n);
        expect(balances.filter((row) => row.available.startsWith("-") || row.locked.startsWith("-") || row.pending.startsWith("-"))).toEqual([]);
        const present = new Set((db.prepare("SELECT id FROM wallet_transfers WHERE kind = 'transfer'").all() as { id: string }[]).map((row) => row.id));
        expect(promised.filter((id) => !present.has(id))).toEqual([]);
        const wrongEntries = db.prepare("SELECT transfer_id, count(*) AS n FROM wallet_entries WHERE kind = 'transfer' GROUP BY transfer_id HAVING count(*) <> 2").all();
        expect(wrongEntries).toEqual([]);
        // Entries replay to the balances: nothing applied twice or half.
        const replayed = db.prepare("SELECT account, available FROM wallet_entries WHERE asset = 'USDT'").all() as { account: string; available: string }[];
        const byAccount = new Map<string, bigint>();
        for (const row of replayed) byAccount.set(row.account, (byAccount.get(row.account) ?? 0n) + BigInt(row.available));
        for (const row of balances) expect([row.account, BigInt(row.available)]).toEqual([row.account, byAccount.get(row.account) ?? 0n]);
      } finally {
        db.close();
      }
    }
    expect(totalAcked).toBeGreaterThan(KILLS * 100);
  }, 120_000);
});
