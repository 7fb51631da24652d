/**
 * A symbol's journal lifecycle off the node: closed journal segments, snapshots and account numbers go to the object
 * store (S3 in distributed mode, a directory in embedded mode), each with its SHA-256 in the object's metadata, so a
 * brand-new node with an empty disk can restore the symbol's directory and replay the log's tail from there.
 *
 * Keys under `<prefix>/<symbol>/`:
 *   journal/<first seq>-<last seq>.seg     a closed segment (16-digit seqs), byte for byte as on disk
 *   snapshots/snapshot-<seq>.json          a snapshot, byte for byte as on disk
 *   accounts/<number>                      one account number's name (written before the number is used)
 *   accounts.tsv                           all numbers up to its `count` metadata (so a restore reads few objects)
 *
 * sync() uploads closed segments before snapshots (an archived snapshot always has the segments after it up to the
 * one being written), then deletes local closed segments that are archived and wholly before the oldest local
 * snapshot. restore() brings back the newest `keep` snapshots, every segment after the oldest of them, and the
 * account numbers, verifying every checksum; it refuses an object whose bytes do not match.
 */
import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import type { ObjectStore } from "#kit/ports/object-store.port.js";
import { listSegments, segmentName, syncDir } from "./adapters/journal.file.js";
import { FileSnapshotStore } from "./adapters/snapshot-store.file.js";

/** Where one symbol's files live on the node. */
export interface SymbolFiles {
  /** the file journal's directory (absent or empty with the Kafka journal) */
  readonly journalDir: string;
  readonly snapshotDir: string;
  readonly accountsFile: string;
}

export interface RestoreResult {
  readonly snapshots: number[];
  readonly segments: number;
  readonly accounts: number;
}

const pad = (n: number) => String(n).padStart(16, "0");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export class JournalArchive {
  private readonly root: string;
  /** keys known to be archived (saves a HEAD per object per sync). */
  private readonly archived = new Set<string>();

  constructor(
    private readonly objects: ObjectStore,
    readonly symbol: string,
    prefix = "matching",
    /** snapshots a restore brings back (the journal scan starts at the oldest). */
    private readonly keep = 2,
  ) {
    this.root = `${prefix}/${symbol}`;
  }

  private async putChecked(key: string, body: Uint8Array, metadata: Record<string, string> = {}): Promise<void> {
    await this.objects.put(key, body, { metadata: { ...metadata, sha256: sha256(body) } });
    this.archived.add(key);
  }

  private async isArchived(key: string): Promise<boolean> {
    if (this.archived.has(key)) return true;
    const head = await this.objects.head(key);
    if (head?.metadata.sha256 === undefined) return false;
    this.archived.add(key);
    return true;
  }

  /** An object's bytes, checked against its recorded SHA-256. */
  private async getChecked(key: string): Promise<Uint8Array> {
    const object = await this.objects.get(key);
    if (!object) throw new Error(`archive: ${key} is missing`);
    const expected = object.metadata.sha256;
    if (expected === undefined || sha256(object.body) !== expected) throw new Error(`archive: ${key} does not match its checksum; refusing to restore from it`);
    return object.body;
  }

  /** Archives account `number` (called before the number is first used by a journaled command). */
  async putAccount(number: number, name: string): Promise<void> {
    await this.putChecked(`${this.root}/accounts/${pad(number)}`, Buffer.from(name, "utf8"));
  }

  /** Uploads what is not archived yet, then trims local segments the archive and the local snapshots cover. */
  async sync(files: SymbolFiles): Promise<{ uploaded: number; deleted: number }> {
    let uploaded = 0;
    const segments = await listSegments(files.journalDir);
    const closed = segments.slice(0, -1).map((s, i) => ({ ...s, last: segments[i + 1].first - 1 }));
    for (const segment of closed) {
      const key = `${this.root}/journal/${pad(segment.first)}-${pad(segment.last)}.seg`;
      if (await this.isArchived(key)) continue;
      await this.putChecked(key, await fsp.readFile(path.join(files.journalDir, segment.name)), { first: String(segment.first), last: String(segment.last) });
      uploaded++;
    }
    const snapshots = new FileSnapshotStore(files.snapshotDir);
    const seqs = await snapshots.list();
    for (const seq of seqs) {
      const key = `${this.root}/snapshots/${FileSnapshotStore.fileName(seq)}`;
      if (await this.isArchived(key)) continue;
      let bytes: Buffer;
      try {
        bytes = await fsp.readFile(path.join(files.snapshotDir, FileSnapshotStore.fileName(seq)));
      } catch {
        continue; // replaced by a newer one meanwhile
      }
      await this.putChecked(key, bytes, { seq: String(seq) });
      uploaded++;
    }
    const accounts = await fsp.readFile(files.accountsFile).catch(() => Buffer.alloc(0));
    const count = accounts.toString("utf8").split("\n").filter(Boolean).length;
    const accountsKey = `${this.root}/accounts.tsv`;
    if (count > 0 && !this.archived.has(`${accountsKey}#${count}`)) {
      await this.putChecked(accountsKey, accounts.subarray(0, accounts.lastIndexOf("\n") + 1), { count: String(count) });
      this.archived.add(`${accountsKey}#${count}`);
    }
    // local retention: a closed segment wholly before the oldest local snapshot is needed only by the archive
    let deleted = 0;
    const oldest = seqs.length > 0 ? seqs[seqs.length - 1] : 0;
    for (const segment of closed) {
      if (segment.last > oldest) break;
      if (!this.archived.has(`${this.root}/journal/${pad(segment.first)}-${pad(segment.last)}.seg`)) break;
      await fsp.rm(path.join(files.journalDir, segment.name), { force: true });
      deleted++;
    }
    return { uploaded, deleted };
  }

  /** Every key under `prefix`, in key order. */
  private async keys(prefix: string, after?: string): Promise<string[]> {
    const out: string[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.objects.list(prefix, { cursor });
      for (const item of page.items) out.push(item.key);
      if (page.cursor === undefined) return out;
      cursor = page.cursor;
    }
  }

  /**
   * Writes the symbol's archived state into `files` (which must hold nothing yet): the newest snapshots, the segments
   * after the oldest of them, the account numbers. Resolves with what it restored (all empty when nothing is archived).
   */
  async restore(files: SymbolFiles): Promise<RestoreResult> {
    const snapshotKeys = (await this.keys(`${this.root}/snapshots/`)).filter((k) => /snapshot-\d{16}\.json$/.test(k));
    const chosen = snapshotKeys.slice(-this.keep);
    const snapshots: number[] = [];
    for (const key of chosen) {
      const name = key.slice(key.lastIndexOf("/") + 1);
      await writeDurably(files.snapshotDir, name, await this.getChecked(key));
      snapshots.push(Number(/(\d{16})/.exec(name)![1]));
    }
    const base = snapshots.length > 0 ? snapshots[0] : 0;
    let segments = 0;
    let expected = 0;
    for (const key of await this.keys(`${this.root}/journal/`)) {
      const m = /(\d{16})-(\d{16})\.seg$/.exec(key);
      if (!m) continue;
      const first = Number(m[1]);
      const last = Number(m[2]);
      if (last <= base) continue;
      if (expected !== 0 && first !== expected) throw new Error(`archive: ${this.symbol}'s segments jump from seq ${expected - 1} to ${first}`);
      if (expected === 0 && first > base + 1) throw new Error(`archive: ${this.symbol}'s segments start at seq ${first}, after snapshot ${base}`);
      await writeDurably(files.journalDir, segmentName(first), await this.getChecked(key));
      expected = last + 1;
      segments++;
    }
    const accounts = await this.restoreAccounts(files.accountsFile);
    return { snapshots, segments, accounts };
  }

  /** Writes the archived account numbers into `file` (replacing it: the archive holds every number handed out). */
  async restoreAccounts(file: string): Promise<number> {
    const lines: string[] = [];
    const consolidated = await this.objects.head(`${this.root}/accounts.tsv`);
    if (consolidated) {
      const text = Buffer.from(await this.getChecked(`${this.root}/accounts.tsv`)).toString("utf8");
      lines.push(...text.split("\n").filter(Boolean));
    }
    const after = lines.length > 0 ? `${this.root}/accounts/${pad(lines.length)}` : undefined;
    for (const key of await this.keys(`${this.root}/accounts/`, after)) {
      const number = Number(key.slice(key.lastIndexOf("/") + 1));
      if (number !== lines.length + 1) throw new Error(`archive: ${this.symbol}'s account ${lines.length + 1} is missing (found ${number})`);
      lines.push(`${number}\t${Buffer.from(await this.getChecked(key)).toString("utf8")}`);
    }
    if (lines.length > 0) await writeDurably(path.dirname(file), path.basename(file), Buffer.from(lines.join("\n") + "\n", "utf8"));
    return lines.length;
  }
}

/** True when the node holds nothing of the symbol: no journal segment, no snapshot, no account number. */
export async function isEmpty(files: SymbolFiles): Promise<boolean> {
  if ((await listSegments(files.journalDir)).length > 0) return false;
  if ((await new FileSnapshotStore(files.snapshotDir).list()).length > 0) return false;
  return (await fsp.stat(files.accountsFile).catch(() => null)) === null;
}

/** tmp file, fsync, rename, fsync of the directory. */
async function writeDurably(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  await fsp.mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `${name}.restore`);
  const fh = await fsp.open(tmp, "w");
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path.join(dir, name));
  await syncDir(dir);
}
