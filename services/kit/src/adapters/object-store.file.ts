/**
 * Embedded ObjectStore: a local directory. Each object is one file, written to `<dir>/.tmp/` and renamed into place
 * (atomic on one file system), holding a small JSON header (content type, metadata) and the body:
 *   u32 LE header length | header JSON | body
 * Key segments are percent-encoded; the object file of key `a/b` is `<dir>/objects/a/b@o`, so `a` and `a/b` can both
 * exist (`@` never appears in an encoded segment).
 */
import { promises as fsp } from "node:fs";
import path from "node:path";
import { randomBytes, randomUUID } from "node:crypto";
import { signDownload } from "./object-download.http.js";
import {
  assertObjectKey,
  compareKeys,
  DEFAULT_CONTENT_TYPE,
  type ListOptions,
  type ObjectHead,
  type ObjectInfo,
  type ObjectPage,
  type ObjectStore,
  type PutOptions,
  type StoredObject,
} from "../ports/object-store.port.js";

export interface FileObjectStoreOptions {
  readonly dir: string;
  /** fsync files and directories (default true) */
  readonly fsync?: boolean;
  /** Signs download URLs (objectDownloadRoute checks them); random per process when absent. */
  readonly urlSecret?: string;
  /** Prefixed to download URLs, e.g. http://127.0.0.1:8081; empty: URLs are paths on the process's HTTP port. */
  readonly publicBaseUrl?: string;
}

const SUFFIX = "@o";

interface Header {
  contentType: string;
  metadata: Record<string, string>;
}

export class FileObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly tmp: string;
  /** What download URLs are signed with (objectDownloadRoute is given the same). */
  readonly urlSecret: string;

  constructor(private readonly options: FileObjectStoreOptions) {
    this.root = path.join(options.dir, "objects");
    this.tmp = path.join(options.dir, ".tmp");
    this.urlSecret = options.urlSecret ?? randomBytes(32).toString("hex");
  }

  async presign(key: string, options: { expiresInSec: number; downloadName?: string }): Promise<string> {
    assertObjectKey(key);
    return (this.options.publicBaseUrl ?? "") + signDownload(this.urlSecret, key, Date.now() + options.expiresInSec * 1000, options.downloadName);
  }

  async ensure(): Promise<void> {
    await fsp.mkdir(this.root, { recursive: true });
    await fsp.mkdir(this.tmp, { recursive: true });
  }

  private fileOf(key: string): string {
    assertObjectKey(key);
    const segments = key.split("/").map(encodeURIComponent);
    segments[segments.length - 1] += SUFFIX;
    return path.join(this.root, ...segments);
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<void> {
    const file = this.fileOf(key);
    await this.ensure();
    const header = Buffer.from(
      JSON.stringify({ contentType: options.contentType ?? DEFAULT_CONTENT_TYPE, metadata: { ...options.metadata } } satisfies Header),
      "utf8",
    );
    const length = Buffer.alloc(4);
    length.writeUInt32LE(header.length);
    const data = Buffer.concat([length, header, typeof body === "string" ? Buffer.from(body, "utf8") : body]);
    const tmp = path.join(this.tmp, randomUUID());
    const fh = await fsp.open(tmp, "w");
    try {
      await fh.writeFile(data);
      if (this.options.fsync !== false) await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.rename(tmp, file);
    if (this.options.fsync !== false) {
      const dir = await fsp.open(path.dirname(file), "r");
      await dir.sync().finally(() => dir.close());
    }
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const file = this.fileOf(key);
    let data: Buffer;
    try {
      data = await fsp.readFile(file);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    const stat = await fsp.stat(file).catch(() => undefined);
    const headerLength = data.readUInt32LE(0);
    const header = JSON.parse(data.toString("utf8", 4, 4 + headerLength)) as Header;
    const body = new Uint8Array(data.subarray(4 + headerLength));
    return { key, size: body.length, lastModified: stat?.mtime ?? new Date(), ...header, body };
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    const file = this.fileOf(key);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, "r");
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw error;
    }
    try {
      const stat = await fh.stat();
      const len = Buffer.alloc(4);
      await fh.read(len, 0, 4, 0);
      const headerLength = len.readUInt32LE(0);
      const headerBytes = Buffer.alloc(headerLength);
      await fh.read(headerBytes, 0, headerLength, 4);
      const header = JSON.parse(headerBytes.toString("utf8")) as Header;
      return { key, size: stat.size - 4 - headerLength, lastModified: stat.mtime, ...header };
    } finally {
      await fh.close();
    }
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ObjectPage> {
    const limit = options.limit ?? 1000;
    const keys: string[] = [];
    await this.walk(this.root, [], prefix, keys);
    keys.sort(compareKeys);
    const after = options.cursor;
    const remaining = after === undefined ? keys : keys.filter((k) => compareKeys(k, after) > 0);
    const page = remaining.slice(0, limit);
    const items: ObjectInfo[] = [];
    for (const key of page) {
      const head = await this.head(key);
      if (head) items.push({ key, size: head.size, lastModified: head.lastModified });
    }
    return remaining.length > limit ? { items, cursor: page[page.length - 1] } : { items };
  }

  private async walk(dir: string, segments: string[], prefix: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await fsp.readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isMissing(error)) return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        const next = [...segments, decodeURIComponent(entry.name)];
        const sofar = next.join("/") + "/";
        // only descend where the prefix can still match
        if (sofar.startsWith(prefix) || prefix.startsWith(sofar)) await this.walk(path.join(dir, entry.name), next, prefix, out);
      } else if (entry.name.endsWith(SUFFIX)) {
        const key = [...segments, decodeURIComponent(entry.name.slice(0, -SUFFIX.length))].join("/");
        if (key.startsWith(prefix)) out.push(key);
      }
    }
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.fileOf(key), { force: true });
  }

  async close(): Promise<void> {}
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENOTDIR";
}
