import { open, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";

/** What WalSync flushes through: a file's datasync (injectable, for tests). */
export interface SyncTarget {
  datasync(): Promise<void>;
  close(): Promise<void>;
}

async function openWal(databaseFile: string): Promise<SyncTarget> {
  // The WAL file was created by the first commit: make its directory entry durable once.
  const directory: FileHandle = await open(dirname(databaseFile), "r");
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
  return open(`${databaseFile}-wal`, "r+");
}

/**
 * Group commit for a SQLite database in WAL mode with synchronous=NORMAL: commits write the WAL without waiting for
 * the disk, and `flush()` resolves once everything committed before the call is on disk, by a datasync of the WAL
 * file on the thread pool (not the main thread). Callers arriving while a datasync runs share the next one, so a
 * burst of commits costs two datasyncs, not one each. The same guarantee as synchronous=FULL, paid off the event loop.
 */
export class WalSync {
  private target: Promise<SyncTarget> | undefined;
  private current: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  constructor(
    private readonly databaseFile: string,
    private readonly openTarget: (databaseFile: string) => Promise<SyncTarget> = openWal,
  ) {}

  flush(): Promise<void> {
    if (this.next) return this.next;
    if (!this.current) {
      this.current = this.sync().finally(() => {
        this.current = undefined;
      });
      return this.current;
    }
    // A datasync is running: it may have begun before the caller's commit, so the caller waits for the one after.
    const after = () => {
      this.next = undefined;
      return this.flush();
    };
    this.next = this.current.then(after, after);
    return this.next;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.current, this.next]);
    const target = this.target;
    this.target = undefined;
    if (target) await (await target).close();
  }

  private async sync(): Promise<void> {
    this.target ??= this.openTarget(this.databaseFile).catch((error: unknown) => {
      this.target = undefined;
      throw error;
    });
    await (await this.target).datasync();
  }
}
