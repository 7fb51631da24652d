import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { create, toJson } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { GetExchangeInfoRequestSchema, GetExchangeInfoResponseSchema, OrderService, type GetExchangeInfoResponse } from "#gen/exchange/order/v1/order_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "#gen/grpc/health/v1/health_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { addConnectServiceToGrpcJs, callGrpcJsUnary, createGrpcJsClient } from "#kit/rpc/grpc-js-bridge.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";

// One trivial RPC (GetExchangeInfo) over three transports must give the same answer:
// a grpc-js client over HTTP/2, a plain HTTP/1.1 Connect JSON POST, and in-process.

let exchange: RunningExchange;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "exchange-transports-"));
  exchange = await startExchange({ service: "all", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, {});
});

afterAll(async () => {
  await exchange?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const asJson = (response: GetExchangeInfoResponse) => toJson(GetExchangeInfoResponseSchema, response);

describe("one RPC, three transports", () => {
  it("answers the same over grpc-js, Connect JSON over HTTP/1.1 and in-process", async () => {
    const address = new URL(exchange.listening.http2Url).host;
    const grpcClient = createGrpcJsClient(OrderService, address);
    const viaGrpc = await callGrpcJsUnary(grpcClient, OrderService.method.getExchangeInfo, create(GetExchangeInfoRequestSchema, { symbols: ["BTCUSDT", "ETHUSDT"] }));
    grpcClient.close();

    const httpResponse = await fetch(`${exchange.listening.http1Url}/exchange.order.v1.OrderService/GetExchangeInfo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ symbols: ["BTCUSDT", "ETHUSDT"] }),
    });
    expect(httpResponse.status).toBe(200);
    const viaConnectJson = await httpResponse.json();

    const inProcess = createClient(OrderService, inProcessTransport(exchange.routes));
    const viaInProcess = await inProcess.getExchangeInfo({ symbols: ["BTCUSDT", "ETHUSDT"] });

    expect(viaConnectJson).toEqual(asJson(viaGrpc));
    expect(asJson(viaInProcess)).toEqual(asJson(viaGrpc));
    expect(viaGrpc.symbols.map((s) => s.symbol)).toEqual(["BTCUSDT", "ETHUSDT"]);
    expect(viaGrpc.symbols[0].filters?.tickSize).toBe("0.01");
  });

  it("rejects a malformed request the same way everywhere: InvalidArgument, reason -1102, field named", async () => {
    const address = new URL(exchange.listening.http2Url).host;
    const grpcClient = createGrpcJsClient(OrderService, address);
    const grpcError = await callGrpcJsUnary(grpcClient, OrderService.method.getExchangeInfo, create(GetExchangeInfoRequestSchema, { symbols: ["btc-usdt"] })).catch((e: grpc.ServiceError) => e);
    grpcClient.close();
    expect((grpcError as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((grpcError as grpc.ServiceError).details).toContain("symbols[0]");

    const httpResponse = await fetch(`${exchange.listening.http1Url}/exchange.order.v1.OrderService/GetExchangeInfo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ symbols: ["btc-usdt"] }),
    });
    expect(httpResponse.status).toBe(400);
    const body = (await httpResponse.json()) as { code: string; details: { type: string; debug: { reason?: string } }[] };
    expect(body.code).toBe("invalid_argument");
    expect(body.details.find((d) => d.type === "google.rpc.ErrorInfo")?.debug.reason).toBe("-1102");

    const inProcess = createClient(OrderService, inProcessTransport(exchange.routes));
    const error = await inProcess.getExchangeInfo({ symbols: ["btc-usdt"] }).catch((e: unknown) => ConnectError.from(e));
    expect((error as ConnectError).code).toBe(Code.InvalidArgument);
    expect((error as ConnectError).findDetails(ErrorInfoSchema)[0].reason).toBe("-1102");
  });

  it("maps a domain error (unknown symbol) to its table row on the wire", async () => {
    const client = createClient(OrderService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
    const error = ConnectError.from(await client.getExchangeInfo({ symbols: ["NOPEUSDT"] }).catch((e: unknown) => e));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(ErrorInfoSchema)[0].reason).toBe("-1121");
  });

  it("serves grpc.health.v1 and reports every service SERVING", async () => {
    const client = createClient(Health, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
    expect((await client.check({ service: "" })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    expect((await client.check({ service: OrderService.typeName })).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    const unknown = await client.check({ service: "nope.v1.Nope" }).catch((e: unknown) => ConnectError.from(e));
    expect((unknown as ConnectError).code).toBe(Code.NotFound);
  });

  it("serves modules' plain HTTP routes beside the RPCs (auth's JWKS)", async () => {
    const response = await fetch(`${exchange.listening.http1Url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: { kid: string; alg: string }[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(jwks.keys[0].kid).toBeTruthy();
  });

  it("serves Prometheus metrics counting the calls", async () => {
    const text = await (await fetch(`${exchange.listening.http1Url}/metrics`)).text();
    expect(text).toMatch(/exchange_rpc_duration_seconds_count\{service="exchange.order.v1.OrderService",method="GetExchangeInfo",code="ok"\} [1-9]/);
  });
});

describe("grpc-js bridge, the other way", () => {
  it("serves a Connect implementation on a grpc-js server, called by a Connect gRPC client", async () => {
    const server = new grpc.Server();
    addConnectServiceToGrpcJs(server, OrderService, {
      getExchangeInfo: (request) => ({ symbols: request.symbols.map((symbol) => ({ symbol, baseAsset: "X" })) }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    try {
      const client = createClient(OrderService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      const response = await client.getExchangeInfo({ symbols: ["AAABBB"] });
      expect(response.symbols.map((s) => [s.symbol, s.baseAsset])).toEqual([["AAABBB", "X"]]);
      const missing = ConnectError.from(await client.placeOrder({}).catch((e: unknown) => e));
      expect(missing.code).toBe(Code.Unimplemented);
    } finally {
      server.forceShutdown();
    }
  });
});
