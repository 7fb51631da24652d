import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { restErrorOf } from "../rest/http.js";
import { clientIpOf, retryAfterMsOf, type Route } from "../rest/router.js";
import { ApiConnection, type ApiConnectionDeps } from "./api-connection.js";
import { routesByMethod } from "./methods.js";
import { ConnectionsPerIp, refuseUpgrade } from "../ws/upgrade.js";

// Binance's WebSocket API at /ws-api/v3 on the edge's HTTP/1.1 port: requests answered on the
// socket, user data events pushed on it. Connecting costs 2 request weight of the IP, as on
// Binance; connections per IP are bounded like the streams'.

export const WS_API_PATH = "/ws-api/v3";

/** Binance: connecting to the WebSocket API costs 2 request weight. */
const CONNECT_WEIGHT = 2;

export interface WebSocketApiOptions extends Omit<ApiConnectionDeps, "methods"> {
  /** Every REST route of the edge; those with a WebSocket API name become its methods. */
  readonly routes: readonly Route[];
  readonly trustForwardedFor: boolean;
}

const REASONS: Record<number, string> = { 418: "I'm a teapot", 429: "Too Many Requests" };

export class WebSocketApi {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly perIp: ConnectionsPerIp;
  private readonly connections = new Set<WebSocket>();
  private readonly deps: ApiConnectionDeps;

  constructor(private readonly options: WebSocketApiOptions) {
    this.deps = { ...options, methods: routesByMethod(options.routes) };
    this.perIp = new ConnectionsPerIp(options.limits.connectionsPerIp);
  }

  /** The node:http 'upgrade' hook: true when the path is /ws-api/v3 (then this answers it). */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (request.headers.upgrade?.toLowerCase() !== "websocket") return false;
    const url = new URL(request.url ?? "/", "http://edge");
    if (url.pathname !== WS_API_PATH && url.pathname !== `${WS_API_PATH}/`) return false;
    socket.on("error", () => socket.destroy()); // a client gone while its IP's weight is counted
    const returnRateLimits = url.searchParams.get("returnRateLimits") !== "false";
    void this.accept(request, socket, head, returnRateLimits).catch((error: unknown) => {
      this.options.onError?.(error, "websocket api upgrade");
      socket.destroy();
    });
    return true;
  }

  private async accept(request: IncomingMessage, socket: Duplex, head: Buffer, returnRateLimits: boolean): Promise<void> {
    const ip = clientIpOf(request, this.options.trustForwardedFor);
    const admission = await this.options.limiter.admitIp(ip, CONNECT_WEIGHT);
    if (admission.refused) {
      const { status, body } = restErrorOf(admission.refused);
      const retryAfterMs = retryAfterMsOf(admission.refused);
      refuseUpgrade(socket, status, REASONS[status] ?? "Too Many Requests", body, retryAfterMs === undefined ? {} : { "Retry-After": String(Math.ceil(retryAfterMs / 1000)) });
      return;
    }
    if (socket.destroyed || !this.perIp.admit(ip, socket)) return;
    this.server.handleUpgrade(request, socket, head, (ws) => {
      this.connections.add(ws);
      const connection = new ApiConnection(ws, ip, returnRateLimits, this.deps);
      ws.on("error", () => ws.terminate());
      ws.once("close", () => {
        this.connections.delete(ws);
        connection.closed();
      });
    });
  }

  /** Open connections (all IPs). */
  get connectionCount(): number {
    return this.connections.size;
  }

  /** Tells every connection the server is going away (serverShutdown), then closes them. */
  async close(): Promise<void> {
    const shutdown = JSON.stringify({ event: { e: "serverShutdown", E: this.options.now() } });
    for (const ws of this.connections) {
      if (ws.readyState === WebSocket.OPEN) ws.send(shutdown);
      ws.close(1001, "server shutting down");
    }
    const deadline = setTimeout(() => {
      for (const ws of this.connections) ws.terminate();
    }, 1_000);
    while (this.connections.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    clearTimeout(deadline);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
