/**
 * Embedded journal: append-only segment files per symbol.
 *
 * Segments: `journal.log` holds the records from seq 1, `journal-<first seq, 16 digits>.log` each later segment; a
 * segment ends where the next one begins. roll() closes the current segment (after every earlier write is synced)
 * and starts the next one, so a closed segment never changes again and can be archived and, once archived and older
 * than the snapshots kept, deleted. Only the last segment may have a torn tail; a bad record in a closed segment is
 * an error, never cut. The oldest segment on disk may start after seq 1 (deleted or restored from an archive).
 *
 * Segment file = 8-byte header "MJRNL02\n" | records. Record = u32 LE payload length | u32 LE crc32(payload) | payload,
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

/** A segment file of a journal directory: its name and the seq of its first record. */
export interface SegmentFile {
  readonly name: string;
  readonly first: number;
}

/** The file name of the segment whose first record is `first`. */
export function segmentName(first: number): string {
  return first === 1 ? "journal.log" : `journal-${String(first).padStart(16, "0")}.log`;
}

/** The segment files in `dir`, oldest first. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const out: SegmentFile[] = [];
  for (const name of names) {
    if (name === "journal.log") out.push({ name, first: 1 });
    else {
      const m = /^journal-(\d{16})\.log$/.exec(name);
      if (m) out.push({ name, first: Number(m[1]) });
    }
  }
  return out.sort((a, b) => a.first - b.first);
}

/** What roll() closed: a segment that will not change again. */
export interface ClosedSegment {
  readonly file: string;
  readonly first: number;
  readonly last: number;
}

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

/** One segment being written: its file handle is opened (and its directory entry synced) on its first write. */
interface Segment {
  /** seq of its first record; 0 while unknown (an empty journal: the first append names it). */
  first: number;
  file: string;
  fh: fsp.FileHandle | null;
}

export class FileJournal implements Journal {
  /** appends may overlap (see the file comment); the engine uses this to pipeline groups. */
  readonly pipelined = true;
  /** the segment appends go to. */
  private current: Segment;
  /** free encode buffers (one is held by each batch between encoding and the end of its write). */
  private readonly spare: Buffer[] = [];
  /** offset in the current segment where the next batch goes (reserved at encode time). */
  private end = 0;
  private lastSeq = 0;
  private opened = false;
  private opening: Promise<unknown> | null = null;
  /** the last batch's write+sync: the next one chains after it. */
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    private readonly opts: FileJournalOptions = {},
  ) {
    this.current = { first: 1, file: path.join(dir, segmentName(1)), fh: null };
  }

  /** The current segment's file. */
  get file(): string {
    return this.current.file;
  }

  private async handle(segment: Segment): Promise<fsp.FileHandle> {
    if (!segment.fh) {
      await fsp.mkdir(this.dir, { recursive: true });
      segment.fh = await fsp.open(segment.file, constants.O_RDWR | constants.O_CREAT);
      if (this.opts.fsync !== false) await syncDir(this.dir);
    }
    return segment.fh;
  }

  /**
   * The first seq this journal holds (1 when it holds everything from the start, or holds nothing); records after
   * `afterSeq` can be replayed only when afterSeq + 1 >= firstSeq().
   */
  async firstSeq(): Promise<number> {
    const segments = await listSegments(this.dir);
    return segments.length === 0 ? 1 : segments[0].first;
  }

  async replay(afterSeq: number, onRecord: (r: JournalRecord) => void): Promise<ReplayResult> {
    await this.current.fh?.close();
    this.current.fh = null;
    const segments = await listSegments(this.dir);
    if (segments.length > 0 && afterSeq + 1 < segments[0].first) {
      throw new Error(`${this.dir}: the journal on disk starts at seq ${segments[0].first}; records after ${afterSeq} are not here (restore them from the archive)`);
    }
    let lastSeq = 0;
    let replayed = 0;
    let truncatedBytes = 0;
    let end = 0;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i];
      const isLast = i === segments.length - 1;
      // a closed segment wholly before afterSeq is not read
      if (!isLast && segments[i + 1].first - 1 <= afterSeq) {
        lastSeq = segments[i + 1].first - 1;
        continue;
      }
      if (lastSeq !== 0 && segment.first !== lastSeq + 1) throw new Error(`${this.dir}: segment ${segment.name} does not follow seq ${lastSeq}`);
      const file = path.join(this.dir, segment.name);
      const r = await this.readSegment(file, segment.first, afterSeq, isLast, onRecord);
      replayed += r.replayed;
      if (r.lastSeq !== 0) lastSeq = r.lastSeq;
      else if (lastSeq === 0) lastSeq = segment.first - 1;
      if (!isLast && lastSeq !== segments[i + 1].first - 1) throw new Error(`${this.dir}: closed segment ${segment.name} ends at seq ${lastSeq}, before ${segments[i + 1].name} begins`);
      truncatedBytes = r.truncatedBytes;
      end = r.end;
    }
    const last = segments[segments.length - 1];
    this.current = last
      ? { first: last.first, file: path.join(this.dir, last.name), fh: null }
      : { first: 0, file: "", fh: null };
    this.end = end;
    this.lastSeq = lastSeq;
    this.opened = true;
    return { lastSeq, replayed, truncatedBytes };
  }

  /** Reads one segment: validates each record; a bad tail of the last segment is cut, of a closed one refused. */
  private async readSegment(file: string, first: number, afterSeq: number, isLast: boolean, onRecord: (r: JournalRecord) => void) {
    const fh = await fsp.open(file, constants.O_RDWR);
    try {
      const data = await fh.readFile();
      let off = 0;
      let lastSeq = 0;
      let replayed = 0;
      if (data.length >= MAGIC.length) {
        if (!data.subarray(0, MAGIC.length).equals(MAGIC)) throw new Error(`${file}: not a v2 matching journal (unknown header); refusing to touch it`);
        off = MAGIC.length;
      } else if (!MAGIC.subarray(0, data.length).equals(data)) {
        throw new Error(`${file}: not a v2 matching journal (unknown header); refusing to touch it`);
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
        if (lastSeq === 0 ? seq !== first && first !== 1 : seq !== lastSeq + 1) break; // not a continuation: garbage tail
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
        if (!isLast) throw new Error(`${file}: closed segment has ${truncatedBytes} bad bytes after seq ${lastSeq}; refusing to cut it`);
        await fh.truncate(off);
        await fh.datasync();
      }
      return { lastSeq, replayed, truncatedBytes, end: off };
    } finally {
      await fh.close();
    }
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
    const n = records.length;
    if (this.current.first === 0 && n > 0) {
      // an empty journal (after a restore, maybe from a snapshot only): its first segment is named by its first record
      this.current = { first: records[0].seq, file: path.join(this.dir, segmentName(records[0].seq)), fh: null };
    }
    // ---- encode now (synchronously): one buffer, one crc per record over its slice
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
    const segment = this.current;
    const job = this.tail.then(() => this.writeAndSync(segment, buf, off, at));
    this.tail = job;
    return job;
  }

  /**
   * Closes the current segment once every append made before this call is durable, and sends later appends to a
   * new one. Resolves with the closed segment, or null when it holds no record (nothing to close).
   */
  roll(): Promise<ClosedSegment | null> {
    if (!this.opened) {
      this.opening ??= this.replay(Number.MAX_SAFE_INTEGER, () => {});
      return this.opening.then(() => this.roll());
    }
    if (this.current.first === 0 || this.lastSeq < this.current.first) return Promise.resolve(null);
    const closed = this.current;
    const last = this.lastSeq;
    this.current = { first: last + 1, file: path.join(this.dir, segmentName(last + 1)), fh: null };
    this.end = 0;
    const next = this.current;
    const job = this.tail.then(async () => {
      await closed.fh?.close();
      closed.fh = null;
      // the next segment exists from now on (empty until its first append): the closed one is no longer the last
      await this.handle(next);
    });
    this.tail = job;
    return job.then(() => ({ file: closed.file, first: closed.first, last }));
  }

  private async writeAndSync(segment: Segment, buf: Buffer, len: number, at: number): Promise<void> {
    const fh = await this.handle(segment);
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
    await this.current.fh?.close();
    this.current.fh = null;
    this.opened = false;
    this.opening = null;
    this.tail = Promise.resolve();
  }
}

/** fsync of a directory, so a file created in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const d = await fsp.open(dir, "r");
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}
