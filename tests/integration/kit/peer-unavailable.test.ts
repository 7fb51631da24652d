// A peer that dies mid-call: to the caller (through the service directory, as services reach each other) that is
// Unavailable, which callers and the edge retry (503, -1001), not a Canceled the caller never asked for.
import { afterAll, describe, expect, it } from "vitest";
import { constants as http2constants, createServer, type Http2Server } from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { HealthRegistry } from "#kit/health/health.routes.js";
import { grpcDirectory } from "#kit/rpc/service-directory.js";
import { buildHandler, listen, type Listening } from "#kit/rpc/server.js";
import { startServiceProxy } from "../../support/distributed/service-proxy.js";

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const close of closers) await close();
});

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => {
      throw new Error("expected the call to fail");
    },
    (error: unknown) => ConnectError.from(error),
  );
}

/** An HTTP/2 server that runs `onStream` with its open sockets when a call arrives. */
async function peer(onStream: (sockets: readonly Socket[]) => void): Promise<string> {
  const server: Http2Server = createServer();
  const sockets: Socket[] = [];
  server.on("connection", (socket: Socket) => sockets.push(socket));
  server.on("stream", () => onStream(sockets));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // close() waits for every session to end, and a client keeps its idle session open: end them first.
  closers.push(() => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    sockets.forEach((socket) => socket.destroy());
    return closed;
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Drops the connection once a call has arrived, like a process killed mid-call. */
const dyingPeer = () => peer((sockets) => sockets.forEach((s) => s.destroy()));

describe("a peer that dies mid-call", () => {
  it("fails a unary call with Unavailable", async () => {
    const health = createClient(Health, grpcDirectory({ PEER_ADDR: await dyingPeer() }).transport("peer"));
    const error = await failure(health.check({ service: "" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/grpc\.health\.v1\.Health unavailable/);
  });

  it("fails a unary call with Unavailable when the peer's connection is reset (ECONNRESET)", async () => {
    const resettingPeer = await peer((sockets) => sockets.forEach((s) => s.resetAndDestroy()));
    const health = createClient(Health, grpcDirectory({ PEER_ADDR: resettingPeer }).transport("peer"));
    const error = await failure(health.check({ service: "" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/grpc\.health\.v1\.Health unavailable: .*ECONNRESET/);
  });

  it("fails a unary call with Unavailable when the peer refuses its stream unprocessed (REFUSED_STREAM, as a server shutting down)", async () => {
    const server: Http2Server = createServer();
    server.on("stream", (stream) => {
      stream.on("error", () => undefined); // the refusal, as seen by our own end
      stream.close(http2constants.NGHTTP2_REFUSED_STREAM);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const sessions = new Set<import("node:http2").ServerHttp2Session>();
    server.on("session", (session) => sessions.add(session));
    closers.push(() => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      sessions.forEach((session) => session.destroy());
      return closed;
    });
    const health = createClient(Health, grpcDirectory({ PEER_ADDR: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }).transport("peer"));
    const error = await failure(health.check({ service: "" }));
    expect(error.code).toBe(Code.Unavailable);
    expect(error.rawMessage).toMatch(/REFUSED_STREAM/);
  });

  it("keeps an Aborted the peer answered (a conflict, not a broken connection)", async () => {
    const server = buildHandler({
      routes: (router) =>
        router.service(Health, {
          check: () => {
            throw new ConnectError("a concurrent update won", Code.Aborted);
          },
          watch: async function* () {},
          list: () => ({ statuses: {} }),
        } as never),
    });
    const listening: Listening = await listen(server, "127.0.0.1", 0, 0);
    closers.push(() => listening.close());
    const health = createClient(Health, grpcDirectory({ PEER_ADDR: listening.http2Url }).transport("peer"));
    const error = await failure(health.check({ service: "" }));
    expect(error.code).toBe(Code.Aborted);
  });

  it("ends a server stream with Unavailable after the messages it did deliver", async () => {
    const registry = new HealthRegistry();
    registry.set("", true);
    const listening: Listening = await listen(buildHandler({ routes: (router) => registry.routes(router) }), "127.0.0.1", 0, 0);
    closers.push(() => listening.close());
    const proxy = await startServiceProxy([Number(new URL(listening.http2Url).port)]);
    const health = createClient(Health, grpcDirectory({ PEER_ADDR: proxy.url }).transport("peer"));
    const statuses: HealthCheckResponse_ServingStatus[] = [];
    const watching = (async () => {
      for await (const { status } of health.watch({ service: "" })) {
        statuses.push(status);
        await proxy.close(); // the connection breaks, as when the peer is killed
      }
    })();
    const error = await failure(watching);
    expect(statuses).toEqual([HealthCheckResponse_ServingStatus.SERVING]);
    expect(error.code).toBe(Code.Unavailable);
  });

  it("keeps Canceled for a call the caller itself aborted", async () => {
    // A peer that never answers; the caller aborts once its call has reached it.
    let arrived!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const health = createClient(Health, grpcDirectory({ PEER_ADDR: await peer(() => arrived()) }).transport("peer"));
    const abort = new AbortController();
    const call = failure(health.check({ service: "" }, { signal: abort.signal }));
    await reached;
    abort.abort();
    expect((await call).code).toBe(Code.Canceled);
  });
});
