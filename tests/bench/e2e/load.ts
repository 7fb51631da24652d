// The load process: forked by the bench runner (main.ts), it drives the exchange with K concurrent
// clients over one HTTP/2 connection (connect-node's gRPC transport, h2c) or, for REST, over
// keep-alive HTTP/1.1 sockets, records every latency in hdr histograms, and remembers every order
// it got acknowledged so that it can check, at the end, that each one exists in a consistent state.
// It runs in its own process so that the exchange's CPU and the client's CPU are measured apart.
import { performance } from "node:perf_hooks";
import { createClient, type Client, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { OrderService } from "#gen/exchange/order/v1/order_pb.js";
import { prng } from "../../support/prng.js";
import { orderChecks, type Ack } from "./acks.js";
import { LatencyRecorder } from "./latency.js";
import { LeanGrpcConnection, leanClient } from "./lean-grpc.js";
import type { FromLoad, RunResult, RunSpec, ToLoad } from "./protocol.js";
import { RestClient } from "./rest-client.js";
import { streamOrders } from "./stream-orders.js";
import { crossingOrders, makerTakerMix, noop, restCrossingOrders, type Operation, type WorkloadContext } from "./workloads.js";

const send = (message: FromLoad) => {
  if (process.connected) process.send!(message);
};

const transports = new Map<string, Transport>();
/** HTTP/2 connections kept across runs (a client that stays connected, as a trading system does): `index` picks one. */
function transportTo(url: string, index = 0): Transport {
  const key = `${url} ${index}`;
  let transport = transports.get(key);
  if (!transport) {
    transport = createGrpcTransport({ baseUrl: url });
    transports.set(key, transport);
  }
  return transport;
}

const leanConnections = new Map<string, LeanGrpcConnection>();
function leanConnectionTo(url: string, index: number): LeanGrpcConnection {
  const key = `${url} ${index}`;
  let connection = leanConnections.get(key);
  if (!connection) leanConnections.set(key, (connection = new LeanGrpcConnection(url)));
  return connection;
}

/** accountId -> orderId -> what the exchange acknowledged. */
const acks = new Map<string, Map<bigint, Ack>>();

function operationOf(spec: RunSpec, context: WorkloadContext): Operation {
  switch (spec.workload) {
    case "a":
      return crossingOrders(context);
    case "b":
      return makerTakerMix(context);
    case "c":
      return restCrossingOrders(context);
    case "stream":
      return streamOrders(context);
    case "noop":
    case "plain":
      return noop(context);
  }
}

async function run(spec: RunSpec): Promise<RunResult> {
  const latency = new LatencyRecorder();
  const connections = Math.max(1, spec.connections);
  const orders: Client<typeof OrderService>[] = [];
  const market: Client<typeof MarketDataService>[] = [];
  for (let index = 0; index < connections; index++) {
    if (spec.client === "h2") {
      const connection = leanConnectionTo(spec.grpcUrl, index);
      orders.push(leanClient(OrderService, connection));
      market.push(leanClient(MarketDataService, connection));
    } else {
      orders.push(createClient(OrderService, transportTo(spec.grpcUrl, index)));
      market.push(createClient(MarketDataService, transportTo(spec.grpcUrl, index)));
    }
  }
  const counts = { calls: 0, orders: 0, cancels: 0, errors: 0 };
  const refused: Record<string, number> = {};
  const errorSamples: string[] = [];
  const context: WorkloadContext = {
    spec,
    orders: (client) => orders[client % orders.length],
    market: (client) => market[client % market.length],
    rest: new RestClient(spec.restUrl, spec.clients),
    latency,
    random: (client) => prng(spec.seed * 1_000_003 + client),
    acknowledged: (ack) => {
      counts.orders += 1;
      let ofAccount = acks.get(ack.accountId);
      if (!ofAccount) acks.set(ack.accountId, (ofAccount = new Map()));
      ofAccount.set(ack.orderId, ack);
    },
    canceled: () => (counts.cancels += 1),
    called: () => (counts.calls += 1),
    refused: (reason) => (refused[reason] = (refused[reason] ?? 0) + 1),
    failed: (error) => {
      counts.errors += 1;
      if (errorSamples.length < 5) errorSamples.push(error instanceof Error ? error.message : String(error));
    },
  };
  const operation = operationOf(spec, context);
  let issued = 0;
  let done = 0;
  const started = performance.now();
  const deadline = started + (spec.durationMs ?? Number.POSITIVE_INFINITY);
  const more = () => (spec.operations !== undefined ? issued < spec.operations : performance.now() < deadline);
  const progress = setInterval(() => send({ type: "progress", done, elapsedMs: performance.now() - started }), 250);
  try {
    await Promise.all(
      Array.from({ length: spec.clients }, async (_, client) => {
        const next = operation.client(client);
        while (more()) {
          issued += 1;
          await next();
          done += 1;
        }
      }),
    );
  } finally {
    clearInterval(progress);
    context.rest.close();
    await operation.finish?.();
  }
  const elapsedMs = performance.now() - started;
  send({ type: "progress", done, elapsedMs });
  return { workload: spec.workload, label: spec.label, ...counts, refused, errorSamples, elapsedMs, latency: latency.summary() };
}

/** Cancels what is still open, so that every order ends final and nothing stays locked. */
async function cancelAll(grpcUrl: string, symbol: string, accounts: readonly string[]): Promise<number> {
  const orders = createClient(OrderService, transportTo(grpcUrl));
  let canceled = 0;
  for (const accountId of accounts) {
    const open = await orders.listOpenOrders({ accountId, symbol });
    if (open.orders.length === 0) continue;
    canceled += (await orders.cancelAllOrders({ accountId, symbol })).orders.length;
  }
  return canceled;
}

process.on("message", (message: ToLoad) => {
  void (async () => {
    try {
      switch (message.type) {
        case "run":
          send({ type: "result", result: await run(message.spec) });
          (globalThis as { gc?: () => void }).gc?.(); // the next run starts without this one's garbage
          break;
        case "cancel-all":
          send({ type: "canceled", canceled: await cancelAll(message.grpcUrl, message.symbol, message.accounts) });
          break;
        case "verify":
          send({ type: "verified", report: await orderChecks(createClient(OrderService, transportTo(message.grpcUrl)), message.symbol, acks) });
          break;
        case "exit":
          process.exit(0);
      }
    } catch (error) {
      send({ type: "failed", message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  })();
});
process.on("disconnect", () => process.exit(0));
// A message sent as the runner goes away (Ctrl-C) fails to write: nothing is left to tell.
process.on("error", () => process.exit(0));
send({ type: "ready" });
