import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer, type RawData } from "ws";
import { clientIpOf } from "../rest/router.js";
import type { EdgeServices } from "../rest/services.js";
import { MarketFeeds, type TopicSubscriber } from "./market-feeds.js";
import { errorReply, parseControl, parseStreamName, splitStreams, type RequestId, type StreamName } from "./streams.js";
import { keepAlive } from "./keepalive.js";
import type { DomainError } from "#kit/errors/domain-error.js";
import { ConnectionsPerIp, refuseUpgrade, refuseWhenBanned } from "./upgrade.js";

// Binance's WebSocket market streams on the edge's HTTP/1.1 port: /ws/<stream> (raw payloads),
// /stream?streams=a/b (combined: {"stream","data"}), and SUBSCRIBE / UNSUBSCRIBE /
// LIST_SUBSCRIPTIONS / SET_PROPERTY / GET_PROPERTY on either.

export interface WebSocketLimits {
  /** Streams one connection may hold (Binance: 1024). */
  readonly maxStreamsPerConnection: number;
  /** Open connections per client IP. */
  readonly connectionsPerIp: number;
  /** Server ping period, and how long without a pong before the connection is dropped (Binance: 20 s, 1 min). */
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  /** A connection's lifetime (Binance: 24 h). */
  readonly maxConnectionMs: number;
  /** Control messages per connection per second; more closes the connection (Binance: 5). */
  readonly messagesPerSecond: number;
  /** Bytes queued for a client that does not read; more drops it (a slow consumer). */
  readonly maxBufferedBytes: number;
  /** How often a subscribed book ticker is polled. */
  readonly bookTickerPollMs: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  maxStreamsPerConnection: 1024,
  connectionsPerIp: 300,
  pingIntervalMs: 20_000,
  pongTimeoutMs: 60_000,
  maxConnectionMs: 24 * 60 * 60 * 1000,
  messagesPerSecond: 5,
  maxBufferedBytes: 4 * 1024 * 1024,
  bookTickerPollMs: 500,
};

export interface MarketStreamsOptions {
  readonly services: EdgeServices;
  readonly limits: WebSocketLimits;
  readonly trustForwardedFor: boolean;
  readonly now: () => number;
  readonly onError?: (error: unknown, context: string) => void;
  /** The IP's ban (418), if it is banned: such an IP cannot connect. */
  readonly bannedIp?: (ip: string) => Promise<DomainError | undefined>;
}

type Reply = { result: unknown; id: RequestId } | ReturnType<typeof errorReply>;

/** Checks stream names and their symbols: the parsed streams, or Binance's error text. */
async function resolveStreams(names: readonly string[], services: EdgeServices): Promise<StreamName[] | string> {
  const streams: StreamName[] = [];
  for (const name of names) {
    const stream = parseStreamName(name);
    if (!stream) return `Invalid request: invalid stream name \`${name}\``;
    streams.push(stream);
  }
  let known: Set<string>;
  try {
    known = new Set((await services.symbols.all()).map((s) => s.symbol));
  } catch {
    return "Invalid request: symbols are unavailable, try again";
  }
  const unknown = streams.find((s) => s.symbol !== "" && !known.has(s.symbol));
  if (unknown) return `Invalid request: unknown symbol in stream \`${unknown.name}\``;
  return streams;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // an invalid stream name, refused as such
  }
}

/** One client connection: its streams, keepalive, lifetime and control messages. */
export class Connection implements TopicSubscriber {
  readonly streams = new Set<string>();
  private windowStart = 0;
  private windowCount = 0;
  /** Stops the keepalive and lifetime timers. */
  private readonly stopKeepAlive: () => void;
  /** Control messages are answered in order. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: WebSocket,
    private combined: boolean,
    private readonly hub: MarketStreams,
  ) {
    const { limits, now } = hub.options;
    this.stopKeepAlive = keepAlive(socket, limits, now);
    socket.on("message", (data, isBinary) => this.onMessage(data, isBinary));
  }

  deliver(stream: string, json: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.hub.options.limits.maxBufferedBytes) {
      this.socket.terminate(); // a slow consumer: 'close' follows and unsubscribes everything
      return;
    }
    this.socket.send(this.combined ? `{"stream":${JSON.stringify(stream)},"data":${json}}` : json);
  }

  /** Subscribes on connect (the URL's streams), without a reply. */
  open(streams: readonly StreamName[]): void {
    for (const stream of streams) this.add(stream);
  }

  closed(): void {
    this.stopKeepAlive();
    for (const name of this.streams) this.hub.feeds.unsubscribe(name, this);
    this.streams.clear();
  }

  private add(stream: StreamName): void {
    if (this.streams.has(stream.name)) return;
    this.streams.add(stream.name);
    this.hub.feeds.subscribe(stream, this);
  }

  private reply(reply: Reply): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(reply));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const { limits, now } = this.hub.options;
    const at = now();
    if (at - this.windowStart >= 1000) {
      this.windowStart = at;
      this.windowCount = 0;
    }
    this.windowCount += 1;
    if (this.windowCount > limits.messagesPerSecond) {
      this.socket.close(1008, "Too many messages");
      return;
    }
    if (isBinary) {
      this.reply(errorReply(3, "Invalid JSON: expected a text frame", null));
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString("utf8") : Array.isArray(data) ? Buffer.concat(data).toString("utf8") : Buffer.from(data).toString("utf8");
    this.queue = this.queue.then(async () => this.reply(await this.handle(text))).catch((error: unknown) => this.hub.options.onError?.(error, "websocket control"));
  }

  private async handle(text: string): Promise<Reply> {
    const request = parseControl(text);
    if ("error" in request) return request.error;
    const { id } = request;
    switch (request.method) {
      case "LIST_SUBSCRIPTIONS":
        return { result: [...this.streams], id };
      case "GET_PROPERTY":
        if (request.property !== "combined") return errorReply(0, "Unknown property", id);
        return { result: this.combined, id };
      case "SET_PROPERTY":
        if (request.property !== "combined") return errorReply(0, "Unknown property", id);
        if (typeof request.value !== "boolean") return errorReply(1, "Invalid value type: expected Boolean", id);
        this.combined = request.value;
        return { result: null, id };
      case "UNSUBSCRIBE":
        for (const name of request.params) {
          if (!this.streams.delete(name)) continue;
          this.hub.feeds.unsubscribe(name, this);
        }
        return { result: null, id };
      case "SUBSCRIBE": {
        const streams = await resolveStreams(request.params, this.hub.options.services);
        if (typeof streams === "string") return errorReply(2, streams, id);
        const added = new Set(streams.map((s) => s.name).filter((name) => !this.streams.has(name)));
        if (this.streams.size + added.size > this.hub.options.limits.maxStreamsPerConnection) {
          return errorReply(2, `Invalid request: too many streams; at most ${this.hub.options.limits.maxStreamsPerConnection} per connection`, id);
        }
        if (this.socket.readyState !== WebSocket.OPEN) return { result: null, id };
        for (const stream of streams) this.add(stream);
        return { result: null, id };
      }
    }
  }
}

/** The WebSocket side of the edge: upgrades, connections, their streams and limits. */
export class MarketStreams {
  readonly feeds: MarketFeeds;
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly perIp: ConnectionsPerIp;
  private readonly connections = new Set<WebSocket>();

  constructor(readonly options: MarketStreamsOptions) {
    this.perIp = new ConnectionsPerIp(options.limits.connectionsPerIp);
    this.feeds = new MarketFeeds(options.services, {
      bookTickerPollMs: options.limits.bookTickerPollMs,
      reconnectMinMs: 200,
      reconnectMaxMs: 10_000,
      miniTickerMinIntervalMs: 1000,
      klineCloseGraceMs: 250,
      now: options.now,
      onError: options.onError,
    });
  }

  /** The node:http 'upgrade' hook: true when the path is a stream endpoint (then this answers it). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (request.headers.upgrade?.toLowerCase() !== "websocket") return false;
    const url = new URL(request.url ?? "/", "http://edge");
    const path = url.pathname;
    let combined: boolean;
    let names: string[];
    if (path === "/ws" || path === "/ws/") {
      combined = false;
      names = [];
    } else if (path.startsWith("/ws/")) {
      combined = false;
      // Binance takes any path here: a segment that cannot be a stream name (no '@', as ccxt's
      // /ws/0, /ws/1, ... before its SUBSCRIBE frames) opens the connection without it.
      names = splitStreams(safeDecode(path.slice("/ws/".length))).filter((name) => name.includes("@"));
    } else if (path === "/stream" || path === "/stream/") {
      combined = true;
      names = splitStreams(url.searchParams.get("streams") ?? "");
    } else {
      return false;
    }
    void this.accept(request, socket, head, combined, names).catch((error: unknown) => {
      this.options.onError?.(error, "websocket upgrade");
      socket.destroy();
    });
    return true;
  }

  private async accept(request: IncomingMessage, socket: Duplex, head: Buffer, combined: boolean, names: string[]): Promise<void> {
    const { limits } = this.options;
    if (names.length > limits.maxStreamsPerConnection) {
      refuseUpgrade(socket, 400, "Bad Request", { code: -1130, msg: `Too many streams; at most ${limits.maxStreamsPerConnection} per connection.` });
      return;
    }
    const ip = clientIpOf(request, this.options.trustForwardedFor);
    if (this.perIp.refuseWhenFull(ip, socket)) return;
    if (await refuseWhenBanned(ip, socket, this.options.bannedIp)) return;
    const streams = names.length === 0 ? [] : await resolveStreams(names, this.options.services);
    if (typeof streams === "string") {
      refuseUpgrade(socket, 400, "Bad Request", { code: -1121, msg: streams });
      return;
    }
    if (socket.destroyed || !this.perIp.admit(ip, socket)) return;
    this.server.handleUpgrade(request, socket, head, (ws) => {
      this.connections.add(ws);
      const connection = new Connection(ws, combined, this);
      ws.once("close", () => {
        this.connections.delete(ws);
        connection.closed();
      });
      ws.on("error", () => ws.terminate());
      connection.open(streams);
    });
  }

  /** Open connections (all IPs). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Closes every connection ("going away") and every upstream feed. */
  async close(): Promise<void> {
    for (const ws of this.connections) ws.close(1001, "server shutting down");
    const deadline = setTimeout(() => {
      for (const ws of this.connections) ws.terminate();
    }, 1_000);
    while (this.connections.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    clearTimeout(deadline);
    this.feeds.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
