import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MatchingEngine } from "../../../services/matching/src/engine.js";
import { FileJournal } from "../../../services/matching/src/adapters/journal.file.js";
import { FileSnapshotStore } from "../../../services/matching/src/adapters/snapshot-store.file.js";
import { OrderBook } from "../../../services/matching/src/domain/order-book.js";
import { NullSink } from "../../../services/matching/src/domain/events.js";
import { stateHash } from "../../../services/matching/src/domain/state-hash.js";
import { seededCommands } from "../../unit/matching/support/seeded.js";

/** JSON with sorted keys (the codec does not preserve key order). */
const canon = (v: unknown): string =>
  JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "support", "engine-child.ts");
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Runs the child until it has acknowledged at least `killAfter` commands, then SIGKILLs it. */
function runAndKill(dir: string, seed: number, n: number, killAfter: number): Promise<{ maxAck: number; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", child, dir, String(seed), String(n)], { stdio: ["ignore", "pipe", "pipe"] });
    let maxAck = 0;
    let buf = "";
    let err = "";
    let killed = false;
    p.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const m = /^ACK (\d+)$/.exec(line);
        if (m) maxAck = Math.max(maxAck, Number(m[1]));
        if (maxAck >= killAfter && !killed) {
          killed = true;
          p.kill("SIGKILL");
        }
      }
    });
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", reject);
    p.on("exit", (code, signal) => {
      if (signal !== "SIGKILL" && code !== 0) reject(new Error(`child exited ${code}: ${err}`));
      else resolve({ maxAck, killed });
    });
  });
}

describe("matching engine survives kill -9", () => {
  it("every acknowledged command is recovered and the state equals an uninterrupted replay", async () => {
    const seed = 20240601;
    const cmds = seededCommands(seed, 30_000);
    for (const killAfter of [1_500, 6_000]) {
      const dir = mkdtempSync(path.join(tmpdir(), "matching-kill9-"));
      dirs.push(dir);
      const { maxAck, killed } = await runAndKill(dir, seed, 30_000, killAfter);
      expect(killed).toBe(true);
      expect(maxAck).toBeGreaterThanOrEqual(killAfter);

      const engine = await MatchingEngine.open({ symbol: "T", journal: new FileJournal(dir), snapshots: new FileSnapshotStore(dir) });
      const last = engine.lastSeq;
      // nothing acknowledged was lost (the tail beyond the last ack may or may not have been written)
      expect(last).toBeGreaterThanOrEqual(maxAck);
      expect(last).toBeLessThan(cmds.length); // killed mid-run
      // the journal holds exactly the stream's prefix, in order
      const seen: number[] = [];
      await new FileJournal(dir).replay(0, (r) => {
        seen.push(r.seq);
        expect(canon(r.cmd)).toBe(canon(cmds[r.seq - 1]));
      });
      expect(seen).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      const fresh = new OrderBook();
      const sink = new NullSink();
      for (const c of cmds.slice(0, last)) fresh.apply(c, sink);
      expect(engine.stateHash()).toBe(stateHash(fresh.state()));
      await engine.close();

      // restarting the child resumes from the journal and finishes the stream; the result equals one full run
      const done = await runAndKill(dir, seed, 30_000, Number.MAX_SAFE_INTEGER);
      expect(done.killed).toBe(false);
      const final = await MatchingEngine.open({ symbol: "T", journal: new FileJournal(dir), snapshots: new FileSnapshotStore(dir) });
      const full = new OrderBook();
      for (const c of cmds) full.apply(c, sink);
      expect(final.lastSeq).toBe(cmds.length);
      expect(final.stateHash()).toBe(stateHash(full.state()));
      await final.close();
    }
  });
});
