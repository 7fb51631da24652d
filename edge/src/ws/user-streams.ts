import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { clientIpOf } from "../rest/router.js";
import type { EdgeServices } from "../rest/services.js";
import type { ListenKeyStore } from "./listen-key-store.port.js";
import { ListenKeys, looksLikeListenKey, type ListenKeyEnd } from "./listen-keys.js";
import type { WebSocketLimits } from "./market-streams.js";
import { Code, ConnectError } from "@connectrpc/connect";
import { balanceUpdate, executionReport, listenKeyExpired, listStatus, outboundAccountPosition } from "./user-events.js";
import { sleep } from "./abortable-sleep.js";
import { keepAlive } from "./keepalive.js";
import type { DomainError } from "#kit/errors/domain-error.js";
import { ConnectionsPerIp, refuseUpgrade, refuseWhenBanned } from "./upgrade.js";

// Binance's user data streams on the edge's HTTP/1.1 port: /ws/<listenKey> delivers the key's
// user's executionReport events (order StreamOrderUpdates, one upstream call per user on this
// edge, shared by all of that user's sockets) and, after each update that moved funds, an
// outboundAccountPosition read from wallet GetBalances; and the user's balanceUpdate events (wallet
// StreamBalanceUpdates, resumed from its last cursor when it breaks), each followed by an
// outboundAccountPosition of its asset. The key decides the account: a socket only ever hears its
// key's user.

export interface UserStreamsOptions {
  readonly services: EdgeServices;
  /** Keepalive, lifetime, per-IP and slow-consumer limits, as the market streams'. */
  readonly limits: WebSocketLimits;
  /** How long a listen key lives after its last POST or PUT (Binance: 60 minutes). */
  readonly listenKeyTtlMs: number;
  /** Where listen keys live: this process's memory unless given (Redis, shared by the edge replicas). */
  readonly listenKeyStore?: ListenKeyStore;
  readonly trustForwardedFor: boolean;
  readonly now: () => number;
  /** Upstream reconnect backoff: first and largest delay. */
  readonly reconnectMinMs?: number;
  readonly reconnectMaxMs?: number;
  readonly onError?: (error: unknown, context: string) => void;
  /** The IP's ban (418), if it is banned: such an IP cannot connect. */
  readonly bannedIp?: (ip: string) => Promise<DomainError | undefined>;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Where a user's events go: a listen key's socket, or a WebSocket API subscription. */
export interface EventSink {
  /** One event as JSON text. */
  send(json: string): void;
}

/** One client socket of a listen key: keepalive, lifetime, slow-consumer drop. Incoming frames are ignored. */
class UserConnection implements EventSink {
  /** Stops the keepalive and lifetime timers. */
  private readonly stopKeepAlive: () => void;

  constructor(
    readonly socket: WebSocket,
    readonly listenKey: string,
    private readonly options: UserStreamsOptions,
  ) {
    const { limits, now } = options;
    this.stopKeepAlive = keepAlive(socket, limits, now);
  }

  send(json: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > this.options.limits.maxBufferedBytes) {
      this.socket.terminate(); // a slow consumer
      return;
    }
    this.socket.send(json);
  }

  /** Sends `json` (listenKeyExpired), then closes. */
  end(json: string, reason: string): void {
    this.send(json);
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, reason);
  }

  closed(): void {
    this.stopKeepAlive();
  }
}

/**
 * One user's upstream StreamOrderUpdates and StreamBalanceUpdates, each reopened with backoff while
 * any of the user's sockets is open (balance updates from the last cursor: no gap, no duplicate).
 */
class AccountFeed {
  readonly connections = new Set<EventSink>();
  private readonly abort = new AbortController();
  private readonly touchedAssets = new Set<string>();
  private lastUpdateTime = 0;
  private reading = false;
  private readAgain = false;
  /** Where the balance updates resume ("": from now, until the first message). */
  private balanceCursor = "";

  constructor(
    private readonly userId: string,
    private readonly options: UserStreamsOptions,
  ) {
    void this.run();
    void this.runBalanceUpdates();
  }

  close(): void {
    this.abort.abort();
  }

  private deliver(payload: unknown): void {
    const json = JSON.stringify(payload);
    for (const connection of this.connections) connection.send(json);
  }

  private async run(): Promise<void> {
    const { services, now } = this.options;
    const signal = this.abort.signal;
    const minMs = this.options.reconnectMinMs ?? 200;
    let delay = minMs;
    while (!signal.aborted) {
      try {
        for await (const { update } of services.order.streamOrderUpdates({ accountId: this.userId }, { signal })) {
          delay = minMs;
          if (!update?.order || update.order.accountId !== this.userId) continue;
          this.deliver(executionReport(update, now()));
          if (update.orderList) this.deliver(listStatus(update.orderList, now()));
          if (update.balancesChanged) await this.balancesMoved(update.order.symbol, Number(update.transactionTime));
        }
      } catch (error) {
        if (signal.aborted) return;
        this.options.onError?.(error, `StreamOrderUpdates ${this.userId}`);
      }
      if (signal.aborted) return;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, this.options.reconnectMaxMs ?? 10_000);
    }
  }

  private async runBalanceUpdates(): Promise<void> {
    const { services, now } = this.options;
    const signal = this.abort.signal;
    const minMs = this.options.reconnectMinMs ?? 200;
    let delay = minMs;
    while (!signal.aborted) {
      try {
        for await (const { cursor, update } of services.wallet.streamBalanceUpdates({ accountId: this.userId, cursor: this.balanceCursor }, { signal })) {
          delay = minMs;
          this.balanceCursor = cursor;
          if (!update || update.accountId !== this.userId) continue;
          this.deliver(balanceUpdate(update, now()));
          this.touchedAssets.add(update.asset);
          this.lastUpdateTime = Math.max(this.lastUpdateTime, Number(update.time));
          this.readBalances();
        }
      } catch (error) {
        if (signal.aborted) return;
        // A wallet without them (a DynamoDB ledger): order updates still flow.
        if (error instanceof ConnectError && error.code === Code.Unimplemented) return;
        this.options.onError?.(error, `StreamBalanceUpdates ${this.userId}`);
      }
      if (signal.aborted) return;
      await sleep(delay, signal);
      delay = Math.min(delay * 2, this.options.reconnectMaxMs ?? 10_000);
    }
  }

  private async balancesMoved(symbol: string, time: number): Promise<void> {
    try {
      const info = await this.options.services.symbols.get(symbol);
      this.touchedAssets.add(info.baseAsset).add(info.quoteAsset);
    } catch (error) {
      this.options.onError?.(error, `symbol ${symbol}`);
      return;
    }
    this.lastUpdateTime = Math.max(this.lastUpdateTime, time);
    this.readBalances();
  }

  /** outboundAccountPosition for the assets touched since the last read; reads never overlap (one more runs after). */
  private readBalances(): void {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void (async () => {
      do {
        this.readAgain = false;
        const assets = new Set(this.touchedAssets);
        this.touchedAssets.clear();
        const updateTime = this.lastUpdateTime;
        try {
          const { balances } = await this.options.services.wallet.getBalances({ accountId: this.userId, assets: [...assets] });
          if (!this.abort.signal.aborted) this.deliver(outboundAccountPosition(balances, assets, this.options.now(), updateTime));
        } catch (error) {
          this.options.onError?.(error, `GetBalances ${this.userId}`);
        }
      } while (this.readAgain && !this.abort.signal.aborted);
      this.reading = false;
    })();
  }
}

/** The user data streams of this edge: listen keys, their sockets and one upstream feed per user. */
export class UserStreams {
  readonly keys: ListenKeys;
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 });
  private readonly byKey = new Map<string, Set<UserConnection>>();
  private readonly feeds = new Map<string, AccountFeed>();
  private readonly perIp: ConnectionsPerIp;

  constructor(readonly options: UserStreamsOptions) {
    this.perIp = new ConnectionsPerIp(options.limits.connectionsPerIp);
    this.keys = new ListenKeys({ ttlMs: options.listenKeyTtlMs, store: options.listenKeyStore, onEnd: (key, _userId, why) => this.ended(key, why) });
  }

  /** The node:http 'upgrade' hook: true when the path is /ws/<listenKey> (then this answers it, or refuses an unknown key). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (request.headers.upgrade?.toLowerCase() !== "websocket") return false;
    const path = new URL(request.url ?? "/", "http://edge").pathname;
    if (!path.startsWith("/ws/")) return false;
    const listenKey = safeDecode(path.slice("/ws/".length));
    if (!looksLikeListenKey(listenKey)) return false;
    socket.on("error", () => socket.destroy()); // a client gone while the key is looked up
    this.keys.userOf(listenKey).then(
      (userId) =>
        void this.upgrade(request, socket, head, listenKey, userId).catch((error: unknown) => {
          this.options.onError?.(error, "user stream upgrade");
          socket.destroy();
        }),
      (error: unknown) => {
        this.options.onError?.(error, "listen key lookup");
        refuseUpgrade(socket, 503, "Service Unavailable", { code: -1001, msg: "Internal error; unable to process your request. Please try again." });
      },
    );
    return true;
  }

  private async upgrade(request: IncomingMessage, socket: Duplex, head: Buffer, listenKey: string, userId: string | undefined): Promise<void> {
    if (socket.destroyed) return;
    const ip = clientIpOf(request, this.options.trustForwardedFor);
    if (await refuseWhenBanned(ip, socket, this.options.bannedIp)) return;
    if (socket.destroyed) return;
    if (userId === undefined) {
      refuseUpgrade(socket, 400, "Bad Request", { code: -1125, msg: "This listenKey does not exist." });
      return;
    }
    if (!this.perIp.admit(ip, socket)) return;
    this.server.handleUpgrade(request, socket, head, (ws) => this.attach(ws, listenKey, userId));
  }

  private attach(ws: WebSocket, listenKey: string, userId: string): void {
    const connection = new UserConnection(ws, listenKey, this.options);
    const sockets = this.byKey.get(listenKey) ?? new Set();
    sockets.add(connection);
    this.byKey.set(listenKey, sockets);
    this.keys.watch(listenKey, userId);
    // The key may have ended since it was looked up, before it was watched: ask again.
    this.keys.userOf(listenKey).then(
      (owner) => {
        if (owner !== userId) connection.end(JSON.stringify(listenKeyExpired(listenKey, this.options.now())), "listenKey expired");
      },
      () => {}, // Redis is away: the periodic check decides
    );
    const leave = this.subscribe(userId, connection);
    ws.on("error", () => ws.terminate());
    ws.once("close", () => {
      connection.closed();
      sockets.delete(connection);
      if (sockets.size === 0 && this.byKey.get(listenKey) === sockets) {
        this.byKey.delete(listenKey);
        this.keys.unwatch(listenKey);
      }
      leave();
    });
  }

  /**
   * Sends the user's events (executionReport, listStatus, balanceUpdate, outboundAccountPosition) to `sink` until the
   * returned function is called; every sink of one user on this edge shares one upstream feed.
   */
  subscribe(userId: string, sink: EventSink): () => void {
    let feed = this.feeds.get(userId);
    if (!feed) {
      feed = new AccountFeed(userId, this.options);
      this.feeds.set(userId, feed);
    }
    feed.connections.add(sink);
    const joined = feed;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      joined.connections.delete(sink);
      if (joined.connections.size === 0 && this.feeds.get(userId) === joined) {
        this.feeds.delete(userId);
        joined.close();
      }
    };
  }

  /** A key expired or was deleted: its sockets hear listenKeyExpired and close. */
  private ended(listenKey: string, why: ListenKeyEnd): void {
    const json = JSON.stringify(listenKeyExpired(listenKey, this.options.now()));
    for (const connection of this.byKey.get(listenKey) ?? []) connection.end(json, `listenKey ${why}`);
  }

  /** Open user data sockets, users with an upstream feed, and listen keys with sockets here (for tests and metrics). */
  stats(): { connections: number; feeds: number; listenKeys: number } {
    let connections = 0;
    for (const set of this.byKey.values()) connections += set.size;
    return { connections, feeds: this.feeds.size, listenKeys: this.byKey.size };
  }

  /** Closes every socket ("going away"), every upstream feed, and the key store (a memory one forgets its keys). */
  async close(): Promise<void> {
    await this.keys.close();
    const sockets = [...this.byKey.values()].flatMap((set) => [...set]);
    for (const connection of sockets) connection.socket.close(1001, "server shutting down");
    const deadline = Date.now() + 1_000;
    while (sockets.some((c) => c.socket.readyState !== WebSocket.CLOSED) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (const connection of sockets) connection.socket.terminate();
    for (const feed of this.feeds.values()) feed.close();
    this.feeds.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
