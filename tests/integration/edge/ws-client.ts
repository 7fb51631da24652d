import WebSocket from "ws";

export type Msg = Record<string, unknown>;

/** A `ws` client that keeps every message, and waits for the next one matching a test. */
export class StreamClient {
  readonly messages: Msg[] = [];
  private readonly waiters: (() => void)[] = [];
  pings = 0;
  closedWith: number | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.messages.push(JSON.parse(String(data)) as Msg);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on("ping", () => (this.pings += 1));
    socket.on("close", (code) => {
      this.closedWith = code;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Connects to `url`; a refused upgrade rejects with its HTTP status and JSON body. */
  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<StreamClient> {
    const socket = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new StreamClient(socket)));
      socket.once("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () => reject(Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode, body: JSON.parse(body || "null") as unknown })));
      });
      socket.once("error", reject);
    });
  }

  send(message: unknown): void {
    this.socket.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** Removes and returns the first message matching `test`, waiting up to `timeoutMs`. */
  async next(test: (message: Msg) => boolean = () => true, timeoutMs = 10_000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.messages.findIndex((m) => test(m));
      if (at >= 0) return this.messages.splice(at, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closedWith !== undefined) throw new Error(`no matching message; got ${JSON.stringify(this.messages).slice(0, 2000)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** A control request and its reply (matched by id). */
  async request(message: { method: string; params?: unknown[]; id: number }): Promise<Msg> {
    this.send(message);
    return this.next((m) => m.id === message.id && ("result" in m || "error" in m));
  }

  close(): Promise<void> {
    if (this.closedWith !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}
