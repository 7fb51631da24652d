import { Worker } from "node:worker_threads";

/** What the checkpoint thread reports. */
type Report = { readonly removed: number } | { readonly checkpointed: string; readonly frames: number } | { readonly failed: string; readonly message: string };

/**
 * WAL checkpoints of the group-commit SQLite files on a thread of their own. A checkpoint copies the WAL into the
 * database file and fsyncs both; SQLite's automatic one runs inside the commit that crosses its threshold, on the
 * event loop. The files' own connections checkpoint automatically only past a far threshold (a backstop); this
 * thread runs a PASSIVE checkpoint (it never waits for or blocks a writer) of each registered file every interval,
 * so the WAL stays short and the commits on the main thread write it and nothing more. One thread per process.
 */
export class WalCheckpointer {
  private worker: Worker | undefined;
  private readonly registered = new Map<string, number>();
  private readonly removals = new Map<number, () => void>();
  private nextId = 1;
  /** Checkpoints run (frames copied per file), for tests and diagnostics. */
  readonly checkpoints = new Map<string, number>();

  constructor(private readonly intervalMs = 500) {}

  /** Checkpoints `file` from now on; the answer stops that and closes the thread's connection to it. */
  register(file: string): () => Promise<void> {
    const count = this.registered.get(file) ?? 0;
    this.registered.set(file, count + 1);
    if (count === 0) this.thread().postMessage({ add: file });
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const left = (this.registered.get(file) ?? 1) - 1;
      if (left > 0) {
        this.registered.set(file, left);
        return;
      }
      this.registered.delete(file);
      const worker = this.worker;
      if (!worker) return;
      const id = this.nextId++;
      const removed = new Promise<void>((resolve) => this.removals.set(id, resolve));
      worker.ref(); // keep the process alive until the thread has closed the file
      worker.postMessage({ remove: file, id });
      await removed;
      if (this.removals.size === 0) worker.unref();
      if (this.registered.size === 0 && this.removals.size === 0) {
        this.worker = undefined;
        await worker.terminate();
      }
    };
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL("./wal-checkpointer.worker.mjs", import.meta.url), { workerData: { intervalMs: this.intervalMs } });
    worker.on("message", (report: Report) => {
      if ("removed" in report) {
        this.removals.get(report.removed)?.();
        this.removals.delete(report.removed);
      } else if ("checkpointed" in report) {
        this.checkpoints.set(report.checkpointed, (this.checkpoints.get(report.checkpointed) ?? 0) + 1);
      }
      // A failed checkpoint is retried at the next interval; the connections' automatic checkpoint is the backstop.
    });
    const failAll = () => {
      if (this.worker === worker) this.worker = undefined;
      for (const resolve of this.removals.values()) resolve();
      this.removals.clear();
    };
    worker.on("error", failAll);
    worker.on("exit", failAll);
    worker.unref(); // never what keeps a process alive
    this.worker = worker;
    return worker;
  }
}

/** The process's checkpoint thread. */
export const walCheckpointer = new WalCheckpointer();
