import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as http2 from "node:http2";
import { Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { BadRequestSchema, ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { buildHandler, listen, type Listening, type NodeRequest, type NodeResponse } from "#kit/rpc/server.js";
import { until } from "../../support/until.js";

// Unary gRPC calls take their own path on HTTP/2 (grpc-unary-server.ts); everything else stays
// with connect. Both paths must give a client the same outcomes: messages, headers and trailers,
// errors with their details, validation, deadlines and cancellation.

const seen: { header?: string; signal?: AbortSignal; timeoutMs?: number }[] = [];
let release: (() => void) | undefined;
const handlers = {
  ping(_request: unknown, context: HandlerContext) {
    seen.push({ header: context.requestHeader.get("x-caller") ?? undefined, timeoutMs: context.timeoutMs() });
    context.responseHeader.set("x-answer", "pong");
    context.responseTrailer.set("x-done", "yes");
    return {};
  },
  listTrades(request: { symbol: string; limit: number }, context: HandlerContext) {
    if (request.symbol === "NOPEUSDT") throw new DomainError("BAD_SYMBOL", "Invalid symbol.", [{ field: "symbol", description: "unknown symbol NOPEUSDT" }]);
    if (request.symbol === "SLOWUSDT") {
      seen.push({ signal: context.signal });
      // Never answers by itself: ends only through its signal (deadline or the client).
      return new Promise((_resolve, reject) => {
        release = () => reject(new Error("released"));
        context.signal.addEventListener("abort", () => reject(context.signal.reason as Error), { once: true });
      });
    }
    if (request.symbol === "BUGUSDT") throw new Error("a bug, with internals");
    return { trades: [{ symbol: request.symbol, id: 7n, price: "30000.00", qty: "0.001", quoteQty: "30.00000", time: 1n, isBuyerMaker: true }] };
  },
  async *streamTrades(request: { symbol: string }) {
    yield { trade: { symbol: request.symbol, id: 1n, price: "1.00", qty: "1", quoteQty: "1.00", time: 1n, isBuyerMaker: false } };
    yield { trade: { symbol: request.symbol, id: 2n, price: "2.00", qty: "1", quoteQty: "2.00", time: 2n, isBuyerMaker: true } };
  },
};

let listening: Listening;
/** Every stream the fast path was offered, and whether it took it. */
const offered: { path: string; taken: boolean }[] = [];

beforeAll(async () => {
  const handler = buildHandler({ routes: (router) => router.service(MarketDataService, handlers as never) });
  const counted = Object.assign((request: NodeRequest, response: NodeResponse) => handler(request, response), {
    grpcUnary: (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      const taken = handler.grpcUnary!(stream, headers);
      offered.push({ path: String(headers[":path"]), taken });
      return taken;
    },
  });
  listening = await listen(counted, "127.0.0.1", 0, 0);
});

afterAll(async () => {
  await listening?.close();
});

const grpc = () => createClient(MarketDataService, createGrpcTransport({ baseUrl: listening.http2Url }));
const connect = () => createClient(MarketDataService, createConnectTransport({ baseUrl: listening.http2Url, httpVersion: "2", useBinaryFormat: true }));

describe("unary gRPC on its own path", () => {
  it("serves unary gRPC itself and leaves Connect and streams to connect, with the same answers", async () => {
    offered.length = 0;
    const viaGrpc = await grpc().listTrades({ symbol: "BTCUSDT", limit: 1 });
    const viaConnect = await connect().listTrades({ symbol: "BTCUSDT", limit: 1 });
    expect(viaGrpc).toEqual(viaConnect);
    expect(viaGrpc.trades[0]).toMatchObject({ symbol: "BTCUSDT", id: 7n, price: "30000.00", isBuyerMaker: true });
    const streamed = [];
    for await (const message of grpc().streamTrades({ symbol: "BTCUSDT" })) streamed.push(message.trade?.id);
    expect(streamed).toEqual([1n, 2n]);
    expect(offered).toEqual([
      { path: "/exchange.marketdata.v1.MarketDataService/ListTrades", taken: true },
      { path: "/exchange.marketdata.v1.MarketDataService/ListTrades", taken: false },
      { path: "/exchange.marketdata.v1.MarketDataService/StreamTrades", taken: false },
    ]);
  });

  it("gives the handler the request headers and the deadline, and the client the handler's headers and trailers", async () => {
    seen.length = 0;
    let header: Headers | undefined;
    let trailer: Headers | undefined;
    await grpc().ping({}, { headers: { "x-caller": "alice" }, timeoutMs: 60_000, onHeader: (h) => (header = h), onTrailer: (t) => (trailer = t) });
    expect(seen[0]!.header).toBe("alice");
    expect(seen[0]!.timeoutMs).toBeGreaterThan(50_000);
    expect(seen[0]!.timeoutMs).toBeLessThanOrEqual(60_000);
    expect(header?.get("x-answer")).toBe("pong");
    expect(trailer?.get("x-done")).toBe("yes");
    expect(trailer?.get("grpc-status")).toBe("0");
  });

  it("answers domain errors and malformed requests as connect does: code, ErrorInfo and BadRequest", async () => {
    for (const client of [grpc(), connect()]) {
      const error = ConnectError.from(await client.listTrades({ symbol: "NOPEUSDT" }).catch((e: unknown) => e));
      expect(error.code).toBe(Code.InvalidArgument);
      expect(error.rawMessage).toBe("Invalid symbol.");
      expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1121");
      expect(error.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field).toBe("symbol");
      const malformed = ConnectError.from(await client.listTrades({ symbol: "btc usdt" }).catch((e: unknown) => e));
      expect(malformed.code).toBe(Code.InvalidArgument);
      expect(malformed.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1102");
      const bug = ConnectError.from(await client.listTrades({ symbol: "BUGUSDT" }).catch((e: unknown) => e));
      expect(bug.code).toBe(Code.Internal);
      expect(bug.rawMessage).toBe("internal error");
    }
  });

  it("ends a call at its deadline with DeadlineExceeded and aborts the handler's signal", async () => {
    seen.length = 0;
    // The deadline in the header only: a client enforcing it too could reset the stream first (then Canceled).
    const error = ConnectError.from(await grpc().listTrades({ symbol: "SLOWUSDT" }, { headers: { "grpc-timeout": "200m" } }).catch((e: unknown) => e));
    expect(error.code).toBe(Code.DeadlineExceeded);
    const signal = seen[0]!.signal!;
    await until(() => signal.aborted);
    expect(ConnectError.from(signal.reason).code).toBe(Code.DeadlineExceeded);
  });

  it("aborts the handler's signal when the client cancels", async () => {
    seen.length = 0;
    const controller = new AbortController();
    const call = grpc()
      .listTrades({ symbol: "SLOWUSDT" }, { signal: controller.signal })
      .then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
    await until(() => seen.length === 1);
    controller.abort();
    expect((await call)?.code).toBe(Code.Canceled);
    const signal = seen[0]!.signal!;
    await until(() => signal.aborted);
    expect(ConnectError.from(signal.reason).code).toBe(Code.Canceled);
    release?.();
  });

  it("refuses a request with two messages or a broken envelope, and serves the next call on the connection", async () => {
    const session = http2.connect(listening.http2Url);
    try {
      const call = (body: Buffer) =>
        new Promise<Record<string, unknown>>((resolve, reject) => {
          const stream = session.request({ ":method": "POST", ":path": "/exchange.marketdata.v1.MarketDataService/Ping", "content-type": "application/grpc", te: "trailers" });
          let status: Record<string, unknown> = {};
          stream.on("response", (headers) => (status = { ...headers }));
          stream.on("trailers", (trailers) => (status = { ...status, ...trailers }));
          stream.on("error", reject);
          stream.on("close", () => resolve(status));
          stream.resume();
          stream.end(body);
        });
      const empty = Buffer.from([0, 0, 0, 0, 0]);
      expect((await call(Buffer.concat([empty, empty])))["grpc-status"]).toBe(String(Code.Unimplemented));
      expect((await call(Buffer.from([0, 0, 0, 0, 9, 1])))["grpc-status"]).toBe(String(Code.InvalidArgument));
      expect((await call(empty))["grpc-status"]).toBe("0");
    } finally {
      session.close();
    }
  });
});
