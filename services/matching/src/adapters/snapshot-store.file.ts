/**
 * Snapshots as JSON files `snapshot-<seq>.json` written atomically (tmp file, fsync, rename, fsync dir). The latest
 * readable one wins; older ones beyond `keep` are deleted.
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import type { BookState } from "../domain/rules.js";
import type { SnapshotStore } from "../ports/snapshot-store.port.js";

export class FileSnapshotStore implements SnapshotStore {
  constructor(
    readonly dir: string,
    private readonly keep = 2,
  ) {}

  private async list(): Promise<number[]> {
    await fsp.mkdir(this.dir, { recursive: true });
    const names = await fsp.readdir(this.dir);
    return names
      .map((n) => /^snapshot-(\d+)\.json$/.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a);
  }

  async save(state: BookState): Promise<void> {
    await fsp.mkdir(this.dir, { recursive: true });
    const name = `snapshot-${String(state.seq).padStart(16, "0")}.json`;
    const tmp = path.join(this.dir, name + ".tmp");
    const fh = await fsp.open(tmp, "w");
    try {
      await fh.writeFile(JSON.stringify(state));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path.join(this.dir, name));
    const d = await fsp.open(this.dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
    const seqs = await this.list();
    for (const s of seqs.slice(this.keep)) await fsp.rm(path.join(this.dir, `snapshot-${String(s).padStart(16, "0")}.json`), { force: true });
  }

  async loadLatest(): Promise<BookState | null> {
    for (const s of await this.list()) {
      try {
        const text = await fsp.readFile(path.join(this.dir, `snapshot-${String(s).padStart(16, "0")}.json`), "utf8");
        return JSON.parse(text) as BookState;
      } catch {
        // unreadable: fall back to an older one
      }
    }
    return null;
  }
}
