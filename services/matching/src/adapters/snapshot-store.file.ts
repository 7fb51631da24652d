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

  /** The file name of the snapshot at `seq`. */
  static fileName(seq: number): string {
    return `snapshot-${String(seq).padStart(16, "0")}.json`;
  }

  /** The seqs of the snapshots on disk, newest first. */
  async list(): Promise<number[]> {
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
      const state = await this.load(s);
      if (state) return state; // else unreadable: fall back to an older one
    }
    return null;
  }

  /** The oldest readable snapshot at or after `seq` (where a replay of a journal that starts at seq + 1 can begin). */
  async loadOldestFrom(seq: number): Promise<BookState | null> {
    for (const s of (await this.list()).reverse()) {
      if (s < seq) continue;
      const state = await this.load(s);
      if (state) return state;
    }
    return null;
  }

  async load(seq: number): Promise<BookState | null> {
    try {
      return JSON.parse(await fsp.readFile(path.join(this.dir, FileSnapshotStore.fileName(seq)), "utf8")) as BookState;
    } catch {
      return null;
    }
  }
}
