/**
 * Embedded journal: one append-only file per symbol.
 *
 * File = 8-byte header "MJRNL02\n" | records. Record = u32 LE payload length | u32 LE crc32(payload) | payload,
 * payload = varint seq | encoded command (command.codec.ts, format v2).
 *
 * append() encodes the whole batch synchronously, at call time, into one buffer (one crc per record, computed in
 * place), then writes it with one write and one fdatasync (group commit) and resolves after the sync. Appends may be
 * pipelined: the next batch can be encoded while the previous one is being synced; writes and syncs are chained in
 * call order and a batch resolves only after its own fdatasync (which follows every earlier batch's), so a resolved
 * append means it and everything before it is durable. A failed write/sync fails that batch and every later one.
 *
 * replay() validates length + checksum + seq continuity; the first bad record and everything after it is a torn or
 * corrupt tail: it is cut off (ftruncate) and never applied. A file with another header is refused, never cut.
 */
import { promises as fsp, constants } from "node:fs";
import path from "node:path";
import type { Journal, JournalRecord, ReplayResult } from "../ports/journal.port.js";
import { decodeCommand, encodeCommand, MAX_COMMAND_BYTES } from "./command.codec.js";
import { crc32Range } from "./crc32.js";

const HEADER = 8;
const MAGIC = Buffer.from("MJRNL02\n", "latin1");
/** bytes before the first record. */
export const JOURNAL_FILE_HEADER_BYTES = MAGIC.length;
const MAX_SEQ_BYTES = 8;
const MAX_RECORD = HEADER + MAX_SEQ_BYTES + MAX_COMMAND_BYTES;

export interface FileJournalOptions {
  /** fdatasync after each batch (default true). false only for benchmarks of the encoding path. */
  fsync?: boolean;
  /** Hears how long each fdatasync took, in seconds (metrics). */
  onSync?: (seconds: number) => void;
}

function putVarint(buf: Buffer, p: number, v: number): number {
  while (v >= 0x80) {
    const lo = v % 128;
    buf[p++] = lo | 0x80;
    v = (v - lo) / 128;
  }
  buf[p++] = v;
  return p;
}

export class FileJournal implements Journal {
  /** appends may overlap (see the file comment); the engine uses this to pipeline groups. */
  readonly pipelined = true;
  private fh: fsp.FileHandle | null = null;
  /** free encode buffers (one is held by each batch between encoding and the end of its write). */
  private readonly spare: Buffer[] = [];
  /** file offset where the next batch goes (reserved at encode time). */
  private end = 0;
  private lastSeq = 0;
  private opened = false;
  private opening: Promise<unknown> | null = null;
  /** the last batch's write+sync: the next one chains after it. */
  private tail: Promise<void> = Promise.resolve();
  readonly file: string;

  constructor(
    readonly dir: string,
    private readonly opts: FileJournalOptions = {},
  ) {
    this.file = path.join(dir, "journal.log");
  }

  private async handle(): Promise<fsp.FileHandle> {
    if (!this.fh) {
      await fsp.mkdir(this.dir, { recursive: true });
      this.fh = await fsp.open(this.file, constants.O_RDWR | constants.O_CREAT);
    }
    return this.fh;
  }

  async replay(afterSeq: number, onRecord: (r: JournalRecord) => void): Promise<ReplayResult> {
    const fh = await this.handle();
    const data = await fh.readFile();
    let off = 0;
    let lastSeq = 0;
    let replayed = 0;
    if (data.length >= MAGIC.length) {
      if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${this.file}: not a v2 matching journal (unknown header); refusing to touch it`);
      off = MAGIC.length;
    } else if (!MAGIC.subarray(0, data.length).equals(data)) {
      throw new Error(`${this.file}: not a v2 matching journal (unknown header); refusing to touch it`);
    }
    // else: empty or a torn header: the whole file is cut below (nothing was ever acknowledged from it)
    while (off + HEADER <= data.length) {
      const len = data.readUInt32LE(off);
      const sum = data.readUInt32LE(off + 4);
      const start = off + HEADER;
      if (len < 2 || start + len > data.length) break; // torn
      if (crc32Range(data, start, start + len) !== sum) break; // corrupt
      let seq = 0;
      let mul = 1;
      let p = start;
      let ok = false;
      for (let n = 0; n < MAX_SEQ_BYTES && p < start + len; n++) {
        const b = data[p++];
        seq += (b & 0x7f) * mul;
        if ((b & 0x80) === 0) {
          ok = true;
          break;
        }
        mul *= 128;
      }
      if (!ok) break;
      if (lastSeq !== 0 && seq !== lastSeq + 1) break; // not a continuation: treat as garbage tail
      let cmd;
      try {
        cmd = decodeCommand(data, p, start + len);
      } catch {
        break;
      }
      lastSeq = seq;
      if (seq > afterSeq) {
        onRecord({ seq, cmd });
        replayed++;
      }
      off = start + len;
    }
    const truncatedBytes = data.length - off;
    if (truncatedBytes > 0) {
      await fh.truncate(off);
      await fh.datasync();
    }
    this.end = off;
    this.lastSeq = lastSeq;
    this.opened = true;
    return { lastSeq, replayed, truncatedBytes };
  }

  /** a free encode buffer (buffers are reused: they settle at the size of the largest batches). */
  private takeBuffer(): Buffer {
    return this.spare.pop() ?? Buffer.allocUnsafe(1 << 20);
  }

  append(records: readonly JournalRecord[]): Promise<void> {
    if (!this.opened) {
      this.opening ??= this.replay(Number.MAX_SAFE_INTEGER, () => {});
      return this.opening.then(() => this.append(records));
    }
    // ---- encode now (synchronously): one buffer, one crc per record over its slice
    const n = records.length;
    const withMagic = this.end === 0;
    let buf = this.takeBuffer();
    let off = 0;
    if (withMagic) off = MAGIC.copy(buf, 0);
    for (let i = 0; i < n; i++) {
      const r = records[i];
      if (buf.length - off < MAX_RECORD) {
        // typical records are ~30 bytes: grow by estimate for the rest of the batch
        const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, off + (n - i) * 48 + MAX_RECORD));
        buf.copy(grown, 0, 0, off);
        buf = grown;
      }
      const start = off + HEADER;
      let p = putVarint(buf, start, r.seq);
      p += encodeCommand(r.cmd, buf, p);
      buf.writeUInt32LE(p - start, off);
      buf.writeUInt32LE(crc32Range(buf, start, p), off + 4);
      off = p;
    }
    const at = this.end;
    this.end += off;
    if (n > 0) this.lastSeq = records[n - 1].seq;
    // ---- then write + sync, after every earlier batch's write + sync
    const job = this.tail.then(() => this.writeAndSync(buf, off, at));
    this.tail = job;
    return job;
  }

  private async writeAndSync(buf: Buffer, len: number, at: number): Promise<void> {
    const fh = await this.handle();
    let written = 0;
    while (written < len) {
      const { bytesWritten } = await fh.write(buf, written, len - written, at + written);
      written += bytesWritten;
    }
    if (this.opts.fsync !== false) {
      const onSync = this.opts.onSync;
      const start = onSync ? process.hrtime.bigint() : 0n;
      await fh.datasync();
      if (onSync) onSync(Number(process.hrtime.bigint() - start) / 1e9);
    }
    this.spare.push(buf);
  }

  async close(): Promise<void> {
    await this.tail.catch(() => {});
    await this.fh?.close();
    this.fh = null;
    this.opened = false;
    this.opening = null;
    this.tail = Promise.resolve();
  }
}
