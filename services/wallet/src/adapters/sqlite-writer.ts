import { Worker } from "node:worker_threads";

/** One statement of a batch: its SQL, its one (JSON) parameter, and how many rows it must change (-1: any). */
export interface WriteStatement {
  readonly sql: string;
  readonly parameter: unknown;
  readonly expect: number;
}

/** A conditional write found a row changed since it was read: the batch must be planned again. */
export class StaleState extends Error {}

/** An error of the writer thread's SQLite, with its code (SQLITE_CONSTRAINT_CHECK...). */
class SqliteWriteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

type Reply = { id: number; ok: true } | { id: number; ok: false; stale: boolean; code: string; message: string };

/**
 * Writes batches to a SQLite file from a worker thread, one transaction per batch, so the main
 * thread plans the next batch while this one is written and fsynced. The caller orders batches;
 * the thread runs them in the order they were sent.
 */
export class SqliteWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private next = 0;
  /** Set once the thread is gone: every later write fails at once (the store then writes on its own connection). */
  private failure: Error | undefined;

  constructor(file: string) {
    this.worker = new Worker(new URL("./sqlite-writer.worker.mjs", import.meta.url), {
      workerData: { file, synchronous: process.env.EXCHANGE_SQLITE_SYNCHRONOUS ?? "FULL" },
    });
    this.worker.on("message", (reply: Reply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.ok) waiter.resolve();
      else waiter.reject(reply.stale ? new StaleState(reply.message) : new SqliteWriteError(reply.message, reply.code));
    });
    this.worker.on("error", (error) => this.failAll(error));
    this.worker.on("exit", (code) => this.failAll(new Error(`the SQLite writer thread exited (${code})`)));
    // An idle writer must not keep the process alive.
    this.worker.unref();
  }

  /** Applies the statements in one transaction; resolves once committed (durable). */
  write(statements: readonly WriteStatement[]): Promise<void> {
    // threadId turns -1 when the thread has stopped, even before its "exit" event is delivered.
    if (!this.failure && this.worker.threadId < 0) this.failure = new Error("the SQLite writer thread has stopped");
    if (this.failure) return Promise.reject(this.failure);
    const id = (this.next += 1);
    // Keep the process alive while a write is in flight, not while the writer idles.
    if (this.waiting.size === 0) this.worker.ref();
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, statements });
    });
  }

  /** Milliseconds the thread has spent working (not waiting for a message) since it started. */
  busyMs(): number {
    return this.failure ? 0 : this.worker.performance.eventLoopUtilization().active;
  }

  /** Closes the thread's connection once the writes sent so far are done. */
  async close(): Promise<void> {
    if (this.failure) return; // the thread is gone already
    const exited = new Promise((resolve) => this.worker.once("exit", resolve));
    this.worker.ref();
    this.worker.postMessage({ close: true });
    await exited;
  }

  private failAll(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}
