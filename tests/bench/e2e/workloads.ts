// The workloads, as one operation per call of each client. Every order a client gets
// acknowledged is reported (acknowledged) so that the end of the bench can check it exists.
import { createHmac } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ConnectError, type Client } from "@connectrpc/connect";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import type { MarketDataService } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { OrderService, PlaceOrderRequestSchema } from "#gen/exchange/order/v1/order_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { parseUnits } from "#kit/money/decimal.js";
import type { Ack } from "./acks.js";
import type { LatencyRecorder } from "./latency.js";
import type { RunSpec } from "./protocol.js";
import type { RestClient } from "./rest-client.js";

/** Refusals a trader legitimately meets: insufficient balance (-2010), cancel of a gone order (-2011, -2013), filters (-1013). */
const EXPECTED_REASONS = new Set(["-2010", "-2011", "-2013", "-1013"]);

/** Workloads (a) and (c): every order at one price and size, so each one crosses the other side's resting order. */
export const CROSSING_PRICE = "30000.00";
export const CROSSING_QTY = "0.00100";
/** Workload (b): limit prices around this mid, in cents. */
const MID_CENTS = 3_000_000;

export interface WorkloadContext {
  readonly spec: RunSpec;
  /** The client's connection to the order service, and to marketdata (or the plain server). */
  orders(client: number): Client<typeof OrderService>;
  market(client: number): Client<typeof MarketDataService>;
  readonly rest: RestClient;
  readonly latency: LatencyRecorder;
  /** A seeded generator for one client. */
  random(client: number): () => number;
  acknowledged(ack: Ack): void;
  canceled(): void;
  called(): void;
  refused(reason: string): void;
  failed(error: unknown): void;
}

export interface Operation {
  /** The next call of client `index`, as a function to call in a loop. */
  client(index: number): () => Promise<void>;
  /** After the run: what the workload holds open (streams) is closed. */
  finish?(): Promise<void>;
}

const cents = (value: number) => `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
const lots = (value: number) => `0.${String(value).padStart(5, "0")}`;
const units = (text: string) => (text === "" ? 0n : parseUnits(text, 8));

/** A refusal's Binance code (ErrorInfo.reason), or "" for anything that is not one. */
function reasonOf(error: unknown): string {
  return ConnectError.from(error).findDetails(ErrorInfoSchema)[0]?.reason ?? "";
}

function classify(context: WorkloadContext, reason: string, error: unknown): void {
  if (EXPECTED_REASONS.has(reason)) context.refused(reason);
  else context.failed(error);
}

async function placeOverGrpc(context: WorkloadContext, client: number, rpc: string, request: MessageInitShape<typeof PlaceOrderRequestSchema> & { accountId: string; clientOrderId: string }) {
  const started = performance.now();
  try {
    const { order } = await context.orders(client).placeOrder(request);
    context.latency.record(rpc, (performance.now() - started) * 1000);
    context.called();
    context.acknowledged({
      accountId: request.accountId,
      orderId: order!.orderId,
      clientOrderId: request.clientOrderId,
      side: request.side === Side.BUY ? "BUY" : "SELL",
      priceUnits: units(request.price ?? ""),
      qtyUnits: units(request.quantity ?? ""),
      status: OrderStatus[order!.status],
      executedUnits: units(order!.executedQty),
    });
    return order!;
  } catch (error) {
    classify(context, reasonOf(error), error);
    return undefined;
  }
}

/** (a) Crossing LIMIT GTC orders over gRPC: even accounts buy, odd ones sell, all at one price. */
export function crossingOrders(context: WorkloadContext): Operation {
  const { spec } = context;
  return {
    client(index) {
      const slot = index % spec.accounts.length;
      const accountId = spec.accounts[slot].accountId;
      const side = slot % 2 === 0 ? Side.BUY : Side.SELL;
      let sequence = 0;
      return async () => {
        await placeOverGrpc(context, index, "PlaceOrder", {
          accountId,
          symbol: spec.symbol,
          side,
          type: OrderType.LIMIT,
          timeInForce: TimeInForce.GTC,
          price: CROSSING_PRICE,
          quantity: CROSSING_QTY,
          clientOrderId: `${spec.label}-${index}-${sequence++}`,
        });
      };
    },
  };
}

/**
 * (b) A maker/taker mix, Binance-like: ~70% limit orders (most resting near the mid, some
 * crossing it), ~25% cancels of the client's own open orders, ~5% market orders; seeded.
 */
/** Open orders a client of (b) keeps at most: several clients may share an account, whose limit is 200. */
const MAX_OPEN_PER_CLIENT = 40;

export function makerTakerMix(context: WorkloadContext): Operation {
  const { spec } = context;
  return {
    client(index) {
      const random = context.random(index);
      const accountId = spec.accounts[index % spec.accounts.length].accountId;
      const open: bigint[] = [];
      let sequence = 0;
      return async () => {
        const roll = random();
        const side = random() < 0.5 ? Side.BUY : Side.SELL;
        // A bot keeps its resting orders well under the symbol's MAX_NUM_ORDERS (200): at the cap it cancels.
        if ((roll < 0.25 && open.length > 0) || open.length >= MAX_OPEN_PER_CLIENT) {
          const pick = Math.floor(random() * open.length);
          const orderId = open[pick];
          open[pick] = open[open.length - 1];
          open.pop();
          const started = performance.now();
          try {
            await context.orders(index).cancelOrder({ accountId, symbol: spec.symbol, orderId });
            context.latency.record("CancelOrder", (performance.now() - started) * 1000);
            context.called();
            context.canceled();
          } catch (error) {
            // A cancel that loses the race with a fill is refused (-2011): still a served call.
            context.latency.record("CancelOrder", (performance.now() - started) * 1000);
            classify(context, reasonOf(error), error);
          }
          return;
        }
        const clientOrderId = `${spec.label}-${index}-${sequence++}`;
        if (roll >= 0.25 && roll < 0.3) {
          await placeOverGrpc(context, index, "PlaceOrder MARKET", { accountId, symbol: spec.symbol, side, type: OrderType.MARKET, quantity: lots(100 + Math.floor(random() * 400)), clientOrderId });
          return;
        }
        // Distance from the mid in ticks, from 10 through it (taking) to 49 away (resting).
        const away = Math.floor(random() * 60) - 10;
        const price = cents(side === Side.BUY ? MID_CENTS - away : MID_CENTS + away);
        const order = await placeOverGrpc(context, index, "PlaceOrder", {
          accountId,
          symbol: spec.symbol,
          side,
          type: OrderType.LIMIT,
          timeInForce: TimeInForce.GTC,
          price,
          quantity: lots(100 + Math.floor(random() * 900)),
          clientOrderId,
        });
        if (order && (order.status === OrderStatus.NEW || order.status === OrderStatus.PARTIALLY_FILLED || order.status === OrderStatus.PENDING_NEW)) open.push(order.orderId);
      };
    },
  };
}

/** (c) Workload (a) over signed REST through the edge: POST /api/v3/order with an HMAC-SHA256 API key. */
export function restCrossingOrders(context: WorkloadContext): Operation {
  const { spec } = context;
  return {
    client(index) {
      const slot = index % spec.accounts.length;
      const account = spec.accounts[slot];
      const side = slot % 2 === 0 ? "BUY" : "SELL";
      let sequence = 0;
      return async () => {
        const clientOrderId = `${spec.label}-${index}-${sequence++}`;
        const query = new URLSearchParams({
          symbol: spec.symbol,
          side,
          type: "LIMIT",
          timeInForce: "GTC",
          quantity: CROSSING_QTY,
          price: CROSSING_PRICE,
          newClientOrderId: clientOrderId,
          recvWindow: "5000",
          timestamp: String(Date.now()),
        }).toString();
        const signature = createHmac("sha256", account.secret).update(query).digest("hex");
        const started = performance.now();
        try {
          const answer = await context.rest.request("POST", "/api/v3/order", { "X-MBX-APIKEY": account.apiKey, "content-type": "application/x-www-form-urlencoded" }, `${query}&signature=${signature}`);
          context.latency.record("POST /api/v3/order", (performance.now() - started) * 1000);
          if (answer.status !== 200) {
            const reason = String(answer.body.code ?? "");
            classify(context, reason, new Error(`HTTP ${answer.status} ${JSON.stringify(answer.body)}`));
            return;
          }
          context.called();
          context.acknowledged({
            accountId: account.accountId,
            orderId: BigInt(answer.body.orderId as number),
            clientOrderId,
            side,
            priceUnits: units(CROSSING_PRICE),
            qtyUnits: units(CROSSING_QTY),
            status: String(answer.body.status),
            executedUnits: units(String(answer.body.executedQty ?? "0")),
          });
        } catch (error) {
          context.failed(error);
        }
      };
    },
  };
}

/** The ceilings: a call that does nothing (GetServerTime), on the exchange or on the plain HTTP/2 server. */
export function noop(context: WorkloadContext): Operation {
  const rpc = context.spec.workload === "plain" ? "plain HTTP/2 (empty answer)" : "GetServerTime";
  return {
    client(index) {
      const market = context.market(index);
      return async () => {
        const started = performance.now();
        try {
          await market.getServerTime({});
          context.latency.record(rpc, (performance.now() - started) * 1000);
          context.called();
        } catch (error) {
          context.failed(error);
        }
      };
    },
  };
}
