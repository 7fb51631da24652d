// A forked helper process (the load process, the WebSocket subscribers), spoken to one request
// at a time over the IPC channel; "progress" messages go to a callback, "failed" rejects.
import { fork, type ChildProcess } from "node:child_process";

type Message = { readonly type: string };

export class ForkedProcess<To extends Message, From extends Message> {
  private waiting?: { resolve: (message: From) => void; reject: (error: Error) => void };
  onProgress: (message: From) => void = () => {};

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on("message", (message: From) => {
      if (message.type === "progress") return this.onProgress(message);
      const waiting = this.waiting;
      this.waiting = undefined;
      if (message.type === "failed") waiting?.reject(new Error(`the ${name} process failed: ${(message as unknown as { message: string }).message}`));
      else waiting?.resolve(message);
    });
    child.on("exit", (code) => this.waiting?.reject(new Error(`the ${name} process exited (${code})`)));
  }

  /** Forks `script` under tsx; `ready` is the type of the message it sends once started, if any. */
  static start<To extends Message, From extends Message>(name: string, script: string, execArgv: readonly string[] = []): ForkedProcess<To, From> {
    const child = fork(script, [], { execArgv: ["--import", "tsx", ...execArgv], stdio: ["ignore", "inherit", "inherit", "ipc"] });
    return new ForkedProcess<To, From>(name, child);
  }

  /** The next message that is not progress. */
  next(): Promise<From> {
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  async ask<T extends From["type"]>(message: To, answer: T): Promise<Extract<From, { type: T }>> {
    const reply = this.next();
    this.child.send(message);
    const got = await reply;
    if (got.type !== answer) throw new Error(`the ${this.name} process answered ${got.type} to ${message.type}`);
    return got as Extract<From, { type: T }>;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Ends the process (closing its IPC channel makes it exit) and waits for it. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.disconnect();
    await exited;
  }
}
