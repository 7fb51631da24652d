/**
 * Embedded journal: one append-only file per symbol.
 * Record = u32 LE payload length | u32 LE crc32(payload) | payload, payload = f64 LE seq | encoded command.
 * append() writes a whole batch with one write and one fdatasync (group commit) and resolves after the sync.
 * replay() validates length + checksum + seq continuity; the first bad record and everything after it is a torn or
 * corrupt tail: it is cut off (ftruncate) and never applied.
 */
import { promises as fsp, constants } from "node:fs";
import { crc32 } from "node:zlib";
import path from "node:path";
import type { Journal, JournalRecord, ReplayResult } from "../ports/journal.port.js";
import { decodeCommand, encodeCommand, MAX_COMMAND_BYTES } from "./command.codec.js";

const HEADER = 8;

export interface FileJournalOptions {
  /** fdatasync after each batch (default true). false only for benchmarks of the encoding path. */
  fsync?: boolean;
}

export class FileJournal implements Journal {
  private fh: fsp.FileHandle | null = null;
  private buf = Buffer.allocUnsafe(1 << 20);
  private size = 0;
  private lastSeq = 0;
  private opened = false;
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
    while (off + HEADER <= data.length) {
      const len = data.readUInt32LE(off);
      const sum = data.readUInt32LE(off + 4);
      const start = off + HEADER;
      if (len < 8 || start + len > data.length) break; // torn
      const payload = data.subarray(start, start + len);
      if (crc32(payload) !== sum) break; // corrupt
      const seq = payload.readDoubleLE(0);
      if (lastSeq !== 0 && seq !== lastSeq + 1) break; // not a continuation: treat as garbage tail
      let cmd;
      try {
        cmd = decodeCommand(payload, 8, payload.length);
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
    this.size = off;
    this.lastSeq = lastSeq;
    this.opened = true;
    return { lastSeq, replayed, truncatedBytes };
  }

  async append(records: readonly JournalRecord[]): Promise<void> {
    if (!this.opened) await this.replay(Number.MAX_SAFE_INTEGER, () => {});
    const need = records.length * (HEADER + 8 + MAX_COMMAND_BYTES);
    if (this.buf.length < need) this.buf = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    const buf = this.buf;
    let off = 0;
    for (const r of records) {
      const start = off + HEADER;
      buf.writeDoubleLE(r.seq, start);
      const n = 8 + encodeCommand(r.cmd, buf, start + 8);
      buf.writeUInt32LE(n, off);
      buf.writeUInt32LE(crc32(buf.subarray(start, start + n)), off + 4);
      off = start + n;
    }
    const fh = await this.handle();
    let written = 0;
    while (written < off) {
      const { bytesWritten } = await fh.write(buf, written, off - written, this.size + written);
      written += bytesWritten;
    }
    if (this.opts.fsync !== false) await fh.datasync();
    this.size += off;
    if (records.length) this.lastSeq = records[records.length - 1].seq;
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = null;
    this.opened = false;
  }
}
