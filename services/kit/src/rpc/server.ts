import * as http from "node:http";
import * as http2 from "node:http2";
import type * as net from "node:net";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Registry } from "prom-client";
import type { MetricsEndpoint } from "../telemetry/metrics.js";
import { domainErrorInterceptor } from "../errors/connect-errors.js";
import { grpcUnaryServer, type Http2StreamHandler } from "./grpc-unary-server.js";
import { validateInterceptor } from "./validate.interceptor.js";

export type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
/** A Node request handler; with `grpcUnary`, listen() lets it take unary gRPC calls off HTTP/2 streams first. */
type NodeHandler = ((request: NodeRequest, response: NodeResponse) => void) & { readonly grpcUnary?: Http2StreamHandler };
/** An HTTP/1.1 'upgrade' request: true when the handler took the socket, false to fall through. */
export type UpgradeHandler = (request: http.IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/** The interceptors every service runs, outermost first. */
export function standardInterceptors(extra: readonly Interceptor[] = []): Interceptor[] {
  return [...extra, domainErrorInterceptor(), validateInterceptor()];
}

export interface HandlerOptions {
  readonly routes: (router: ConnectRouter) => void;
  readonly interceptors?: readonly Interceptor[];
  readonly metricsRegistry?: Registry;
  /** Serves /metrics instead of `metricsRegistry`: OpenMetrics with exemplars when the scraper asks for it. */
  readonly metrics?: MetricsEndpoint;
  /** Plain HTTP routes served beside the RPCs (REST, health pages). Return false to fall through. */
  readonly fallback?: (request: NodeRequest, response: NodeResponse) => boolean | Promise<boolean>;
}

/**
 * One Node request handler serving gRPC, gRPC-Web and Connect, plus /metrics and /healthz; unary
 * gRPC calls take a leaner path on HTTP/2 (grpc-unary-server.ts) with the same interceptors.
 */
export function buildHandler(options: HandlerOptions): NodeHandler {
  const interceptors = standardInterceptors(options.interceptors);
  const handler = connectNodeAdapter({
    routes: options.routes,
    interceptors,
    // connect-node's response type only narrows `write`; both Node response classes fit.
    fallback: (request, anyResponse) => {
      const response = anyResponse as NodeResponse;
      void (async () => {
        if (options.fallback && (await options.fallback(request, response))) return;
        if (request.url === "/healthz") {
          response.writeHead(200, { "content-type": "text/plain" });
          response.end("ok\n");
          return;
        }
        if (request.url === "/metrics" && options.metrics) {
          const { contentType, body } = await options.metrics.render(request.headers.accept);
          response.writeHead(200, { "content-type": contentType });
          response.end(body);
          return;
        }
        if (request.url === "/metrics" && options.metricsRegistry) {
          const body = await options.metricsRegistry.metrics();
          response.writeHead(200, { "content-type": options.metricsRegistry.contentType });
          response.end(body);
          return;
        }
        response.writeHead(404, { "content-type": "application/json" });
        response.end(JSON.stringify({ code: -1000, msg: "Not found." }));
      })().catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
        response.end(JSON.stringify({ code: -1000, msg: String(error) }));
      });
    },
  }) as NodeHandler;
  return Object.assign(handler, { grpcUnary: grpcUnaryServer(options.routes, interceptors) });
}

/** Streams `take` refuses go on to node's compatibility layer (the request handler), as before. */
function takeStreamsFirst(server: http2.Http2Server, take: Http2StreamHandler): void {
  // http2.createServer(handler) serves `handler` through a 'stream' listener of its own.
  const compat = server.listeners("stream") as ((...args: unknown[]) => void)[];
  if (compat.length === 0) throw new Error("node:http2 no longer serves requests through a 'stream' listener");
  server.removeAllListeners("stream");
  server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...rest: unknown[]) => {
    if (take(stream, headers)) return;
    for (const listener of compat) listener.call(server, stream, headers, ...rest);
  });
}

export interface Listening {
  /** h2c: gRPC, gRPC-Web and Connect. */
  readonly http2Url: string;
  /** HTTP/1.1: Connect JSON, gRPC-Web, REST. */
  readonly http1Url: string;
  close(): Promise<void>;
}

/** An upgrade request nobody took, served by `handler` as an ordinary request on its socket, which then closes. */
function servePlain(handler: NodeHandler, request: http.IncomingMessage, socket: net.Socket, head: Buffer): void {
  const plain = new http.IncomingMessage(socket);
  plain.method = request.method;
  plain.url = request.url;
  plain.headers = request.headers;
  plain.rawHeaders = request.rawHeaders;
  plain.httpVersion = request.httpVersion;
  plain.httpVersionMajor = request.httpVersionMajor;
  plain.httpVersionMinor = request.httpVersionMinor;
  const response = new http.ServerResponse(plain);
  response.shouldKeepAlive = false;
  response.assignSocket(socket);
  response.once("finish", () => socket.end());
  if (request.headers["transfer-encoding"]) {
    response.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ code: -1000, msg: "A chunked body cannot come with Upgrade." }));
    return;
  }
  // The parser stopped at the headers: the body (content-length bytes) is `head` and what follows.
  let left = Number(request.headers["content-length"] ?? 0) || 0;
  const finish = () => {
    plain.complete = true; // else the request's destroy at its end would destroy the socket
    plain.push(null);
  };
  const feed = (chunk: Buffer) => {
    const part = chunk.subarray(0, left);
    left -= part.length;
    if (part.length > 0) plain.push(part);
    if (left <= 0) {
      socket.off("data", feed);
      finish();
    }
  };
  if (left <= 0) finish();
  else {
    if (head.length > 0) feed(head);
    if (left > 0) socket.on("data", feed);
  }
  handler(plain, response);
}

/**
 * Listens on an HTTP/2 (cleartext) port and an HTTP/1.1 port; port 0 picks free ports. With
 * `upgrade`, HTTP/1.1 upgrade requests (WebSocket) go to it; unclaimed ones are answered 404.
 */
export async function listen(handler: NodeHandler, host: string, http2Port: number, http1Port: number, upgrade?: UpgradeHandler): Promise<Listening> {
  const h2 = http2.createServer(handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const h1 = http.createServer(handler as (req: http.IncomingMessage, res: http.ServerResponse) => void);
  if (handler.grpcUnary) takeStreamsFirst(h2, handler.grpcUnary);
  const sessions = new Set<http2.ServerHttp2Session>();
  const upgraded = new Set<Duplex>();
  if (upgrade) {
    // With an 'upgrade' listener node:http hands over every request carrying Upgrade (curl --http2
    // sends "Upgrade: h2c" on plain requests); those no module takes are answered as plain requests.
    h1.on("upgrade", (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on("error", () => socket.destroy());
      let taken: boolean;
      try {
        taken = upgrade(request, socket, head);
      } catch {
        socket.destroy();
        return;
      }
      if (!taken) {
        servePlain(handler, request, socket as net.Socket, head);
        return;
      }
      upgraded.add(socket);
      socket.once("close", () => upgraded.delete(socket));
    });
  }
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await Promise.all([
    new Promise<void>((resolve, reject) => h2.once("error", reject).listen(http2Port, host, resolve)),
    new Promise<void>((resolve, reject) => h1.once("error", reject).listen(http1Port, host, resolve)),
  ]);
  const urlOf = (server: http.Server | http2.Http2Server) => {
    const address = server.address() as AddressInfo;
    const hostText = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${hostText}:${address.port}`;
  };
  return {
    http2Url: urlOf(h2),
    http1Url: urlOf(h1),
    close: async () => {
      // Stop accepting, let in-flight calls finish briefly, then close lingering sessions.
      const closing = Promise.all([
        new Promise<void>((resolve) => h2.close(() => resolve())),
        new Promise<void>((resolve) => h1.close(() => resolve())),
      ]);
      for (const session of sessions) session.close();
      // Upgraded connections (WebSockets) are long-lived, not calls in flight: they end now.
      for (const socket of upgraded) socket.destroy();
      h1.closeIdleConnections();
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
        h1.closeAllConnections();
      }, 2_000);
      await closing;
      clearTimeout(timer);
    },
  };
}
