// Workload "stream": workload (a)'s crossing orders over StreamOrderEntry instead of PlaceOrder.
// A few long-lived streams (one per account: a stream acts for one account), each client sending
// a burst of orders on its stream and waiting for their acks, so that clients x BURST orders are
// in flight in all. An order counts once its ack came back (stored, matched, its events applied).
import { performance } from "node:perf_hooks";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { OrderService, type OrderEntryAck, type StreamOrderEntryRequestSchema } from "#gen/exchange/order/v1/order_pb.js";
import { parseUnits } from "#kit/money/decimal.js";
import { CROSSING_PRICE, CROSSING_QTY, type Operation, type WorkloadContext } from "./workloads.js";

/** Streams of a run (even: buyers, odd: sellers). */
const STREAMS = 4;
/** Orders a client sends per call before waiting for their acks. */
const BURST = 16;
/** Refusals a crossing order may legitimately meet (as workloads.ts). */
const EXPECTED_REASONS = new Set(["-2010", "-1013"]);

type Request = MessageInitShape<typeof StreamOrderEntryRequestSchema>;

/** One StreamOrderEntry call: requests queued by the clients, acks matched to them in order. */
class OrderStream {
  private readonly queue: Request[] = [];
  private readonly waiting: { clientOrderId: string; sent: number; answer: (ack: OrderEntryAck) => void }[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  readonly done: Promise<void>;

  constructor(client: Client<typeof OrderService>, onError: (error: unknown) => void) {
    this.done = (async () => {
      try {
        for await (const response of client.streamOrderEntry(this.requests())) {
          if (response.event.case !== "ack") continue; // execution reports: not measured here
          const ack = response.event.value;
          const expected = this.waiting.shift();
          if (!expected || expected.clientOrderId !== ack.clientOrderId) throw new Error(`ack for ${ack.clientOrderId} out of order (expected ${expected?.clientOrderId})`);
          expected.answer(ack);
        }
      } catch (error) {
        onError(error);
      }
      // Whatever was not answered will not be: fail it.
      for (const entry of this.waiting.splice(0)) entry.answer(undefined as never);
    })();
  }

  place(request: Request & { action: { case: "place" } }): Promise<{ ack: OrderEntryAck | undefined; micros: number }> {
    const sent = performance.now();
    return new Promise((resolve) => {
      this.waiting.push({ clientOrderId: request.action.value.clientOrderId ?? "", sent, answer: (ack) => resolve({ ack, micros: (performance.now() - sent) * 1000 }) });
      this.queue.push(request);
      this.wake?.();
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    return this.done;
  }

  private async *requests(): AsyncGenerator<Request> {
    for (;;) {
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

export function streamOrders(context: WorkloadContext): Operation & { finish(): Promise<void> } {
  const { spec } = context;
  const count = Math.max(2, Math.min(STREAMS, spec.accounts.length - (spec.accounts.length % 2)));
  // connect-node's transport whatever --client says: the lean client serves unary calls only.
  const client = createClient(OrderService, createGrpcTransport({ baseUrl: spec.grpcUrl }));
  const streams = Array.from({ length: count }, () => new OrderStream(client, (error) => context.failed(error)));
  const units = (text: string) => parseUnits(text, 8);
  return {
    client(index) {
      const slot = index % count;
      const stream = streams[slot];
      const accountId = spec.accounts[slot].accountId;
      const side = slot % 2 === 0 ? Side.BUY : Side.SELL;
      let sequence = 0;
      return async () => {
        const sent = Array.from({ length: BURST }, () => {
          const clientOrderId = `${spec.label}-${index}-${sequence++}`;
          const value = { accountId, symbol: spec.symbol, side, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: CROSSING_PRICE, quantity: CROSSING_QTY, clientOrderId };
          return { clientOrderId, answer: stream.place({ action: { case: "place", value } }) };
        });
        for (const { clientOrderId, answer } of sent) {
          const { ack, micros } = await answer;
          if (!ack) continue; // the stream broke: counted once by failed()
          context.latency.record("StreamOrderEntry (ack)", micros);
          if (ack.result.case === "order") {
            const order = ack.result.value;
            context.called();
            context.acknowledged({
              accountId,
              orderId: order.orderId,
              clientOrderId,
              side: side === Side.BUY ? "BUY" : "SELL",
              priceUnits: units(CROSSING_PRICE),
              qtyUnits: units(CROSSING_QTY),
              status: OrderStatus[order.status],
              executedUnits: units(order.executedQty),
            });
          } else {
            const reason = String(ack.result.value?.binanceCode ?? "");
            if (EXPECTED_REASONS.has(reason)) context.refused(reason);
            else context.failed(new Error(`${reason} ${ack.result.value?.message ?? "no result"}`));
          }
        }
      };
    },
    async finish() {
      await Promise.all(streams.map((stream) => stream.close()));
    },
  };
}
