import WebSocket from "ws";

// A WebSocket API client written from Binance's documented wire format only: requests
// `{id, method, params}`, answers `{id, status, result | error, rateLimits}` matched by id,
// user data events `{subscriptionId, event}`; signed requests sign their parameters sorted by
// name as `name=value&...` (signature excluded).

export type Json = Record<string, unknown>;

export interface ApiAnswer {
  readonly id: unknown;
  readonly status: number;
  readonly result?: unknown;
  readonly error?: { code: number; msg: string; data?: unknown };
  readonly rateLimits?: { rateLimitType: string; interval: string; intervalNum: number; limit: number; count: number }[];
}

export interface SigningKey {
  readonly apiKey: string;
  /** Signs the payload; the signature as it goes in `params.signature`. */
  sign(payload: string): string;
}

export function signaturePayloadOf(params: Record<string, string | number | boolean>): string {
  return Object.keys(params)
    .sort()
    .map((name) => `${name}=${String(params[name])}`)
    .join("&");
}

let nextId = 1;

export class WsApiClient {
  readonly answers: ApiAnswer[] = [];
  readonly events: Json[] = [];
  private readonly waiters: (() => void)[] = [];
  closedWith: number | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as Json;
      if ("event" in message) this.events.push(message);
      else this.answers.push(message as unknown as ApiAnswer);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on("close", (code) => {
      this.closedWith = code;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Connects; a refused upgrade rejects with its HTTP status, headers and JSON body. */
  static open(url: string): Promise<WsApiClient> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once("open", () => resolve(new WsApiClient(socket)));
      socket.once("unexpected-response", (_request, response) => {
        let body = "";
        response.on("data", (chunk: Buffer) => (body += chunk.toString()));
        response.on("end", () =>
          reject(Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode, headers: response.headers, body: JSON.parse(body || "null") as unknown })),
        );
      });
      socket.once("error", reject);
    });
  }

  /** Sends a raw text frame. */
  sendText(text: string): void {
    this.socket.send(text);
  }

  /** One request and its answer. */
  async call(method: string, params?: Record<string, string | number | boolean | string[]>, id: string | number = nextId++): Promise<ApiAnswer> {
    this.socket.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
    return this.answerTo(id);
  }

  /** A SIGNED request: apiKey and timestamp added, the sorted parameters signed. */
  signedCall(method: string, key: SigningKey, params: Record<string, string | number | boolean> = {}, options: { timestamp?: number; signature?: string } = {}): Promise<ApiAnswer> {
    const all = { ...params, apiKey: key.apiKey, timestamp: options.timestamp ?? Date.now() };
    return this.call(method, { ...all, signature: options.signature ?? key.sign(signaturePayloadOf(all)) });
  }

  /** The answer with this id (waits up to `timeoutMs`). */
  answerTo(id: unknown, timeoutMs = 10_000): Promise<ApiAnswer> {
    return this.take(this.answers, (answer) => answer.id === id, timeoutMs);
  }

  /** The next event matching `test`, removed from the list. */
  nextEvent(test: (message: Json) => boolean, timeoutMs = 10_000): Promise<Json> {
    return this.take(this.events, test, timeoutMs);
  }

  private async take<T>(list: T[], test: (item: T) => boolean, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = list.findIndex(test);
      if (at >= 0) return list.splice(at, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.closedWith !== undefined) throw new Error(`nothing matching; answers ${JSON.stringify(this.answers).slice(0, 1500)} events ${JSON.stringify(this.events).slice(0, 1500)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    if (this.closedWith !== undefined) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}
