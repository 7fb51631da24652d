import { describe, expect, it } from "vitest";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createContextValues, type HandlerContext } from "@connectrpc/connect";
import { PrincipalSchema } from "#gen/exchange/auth/v1/auth_pb.js";
import { OrderStatus, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { ExecutionType, StreamOrderEntryResponseSchema, type StreamOrderEntryRequest, StreamOrderEntryRequestSchema, type StreamOrderEntryResponse } from "#gen/exchange/order/v1/order_pb.js";
import { MemoryCache } from "#kit/adapters/cache.memory.js";
import { callerKey, clientIpKey } from "../../../edge/src/connect/caller.js";
import { orderEntryThroughEdge } from "../../../edge/src/connect/order-entry.js";
import { PUBLIC_METHODS } from "../../../edge/src/connect/public-methods.js";
import { ownAccount } from "../../../edge/src/connect/public.routes.js";
import { RateLimiter } from "../../../edge/src/rate-limit/rate-limiter.js";
import type { EdgeServices } from "../../../edge/src/rest/services.js";
import { prng } from "../../support/prng.js";

// The edge's side of StreamOrderEntry: requests admitted one by one (account forced, new orders
// counted), refusals acknowledged in their turn among order's acks, order's acks renumbered.

type Request = MessageInitShape<typeof StreamOrderEntryRequestSchema>;

/** auth's GetAccountSecurity for an account no operator froze. */
const notFrozen = { getAccountSecurity: async () => ({ frozenAt: 0n }) };

/** order's StreamOrderEntry: acks every request in order after a seeded random delay, then a report of it. */
function fakeOrder(seen: StreamOrderEntryRequest[], seed: number) {
  const random = prng(seed);
  return {
    async *streamOrderEntry(requests: AsyncIterable<StreamOrderEntryRequest>): AsyncGenerator<StreamOrderEntryResponse> {
      let index = 0n;
      for await (const request of requests) {
        seen.push(request);
        const place = request.action.case === "place" ? request.action.value : undefined;
        for (let turns = Math.floor(random() * 4); turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
        const order = { accountId: place?.accountId ?? "", clientOrderId: place?.clientOrderId ?? "", status: OrderStatus.NEW, orderId: index + 1n };
        // order numbers its acks by what it received; the edge renumbers them.
        yield create(StreamOrderEntryResponseSchema, { event: { case: "ack", value: { requestIndex: index++, clientOrderId: order.clientOrderId, result: { case: "order", value: order } } } });
        yield create(StreamOrderEntryResponseSchema, { event: { case: "report", value: { order, executionType: ExecutionType.NEW } } });
      }
    },
  };
}

function contextFor(userId: string): HandlerContext {
  const values = createContextValues().set(callerKey, create(PrincipalSchema, { userId })).set(clientIpKey, "10.0.0.1");
  return { values, signal: new AbortController().signal } as unknown as HandlerContext;
}

async function* from(requests: readonly Request[]): AsyncGenerator<StreamOrderEntryRequest> {
  for (const request of requests) yield create(StreamOrderEntryRequestSchema, request);
}

const place = (clientOrderId: string, accountId = ""): Request => ({
  action: { case: "place", value: { accountId, symbol: "BTCUSDT", side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, price: "30000", quantity: "0.001", clientOrderId } },
});

describe("StreamOrderEntry at the edge", () => {
  it("is allow-listed for traders, admitted request by request", () => {
    expect(PUBLIC_METHODS.get("exchange.order.v1.OrderService/StreamOrderEntry")).toMatchObject({ access: "trade", admitsEachMessage: true });
  });

  it.each([1, 2, 3])("keeps refusals in their turn among order's acks, renumbered as sent (seed %i)", async (seed) => {
    const seen: StreamOrderEntryRequest[] = [];
    const now = Date.UTC(2026, 0, 1);
    const limiter = new RateLimiter(new MemoryCache({ now: () => now, sweepMs: 0 }), { ipWeightPerMinute: 1000, apiKeyWeightPerMinute: 1000, ordersPer10s: 5, ordersPerDay: 1000 }, () => now);
    const relay = orderEntryThroughEdge({ order: fakeOrder(seen, seed), auth: notFrozen } as unknown as EdgeServices, limiter, ownAccount);
    const requests: Request[] = [];
    for (let i = 0; i < 12; i++) {
      requests.push(i % 4 === 2 ? place(`steal-${i}`, "bob") : place(`p-${i}`, i % 2 === 0 ? "" : "alice"));
      if (i % 5 === 4) requests.push({ action: { case: "cancel", value: { symbol: "BTCUSDT", origClientOrderId: `p-${i - 1}` } } });
    }
    const out: StreamOrderEntryResponse[] = [];
    for await (const response of relay(from(requests), contextFor("alice"))) out.push(response);

    const acks = out.flatMap((r) => (r.event.case === "ack" ? [r.event.value] : []));
    expect(acks.map((ack) => Number(ack.requestIndex))).toEqual(requests.map((_, i) => i));
    const expected = requests.map((request) => {
      const value = request.action!.value!;
      const id = request.action!.case === "place" ? (value as { clientOrderId: string }).clientOrderId : "";
      return id.startsWith("steal") ? `${id} -2015` : id;
    });
    // The first five new orders of alice pass; the later ones are -1015; cancels are not new orders.
    let placed = 0;
    const outcome = expected.map((id) => {
      if (id.endsWith("-2015") || id === "") return id;
      return ++placed <= 5 ? id : `${id} -1015`;
    });
    expect(acks.map((ack) => (ack.result.case === "error" ? `${ack.clientOrderId} ${ack.result.value.binanceCode}` : ack.clientOrderId))).toEqual(outcome);
    // order got only what was admitted, in request order, each for alice.
    expect(seen.map((request) => (request.action.case === "place" ? request.action.value.clientOrderId : "cancel"))).toEqual(outcome.filter((id) => !id.includes(" ")).map((id) => id || "cancel"));
    for (const request of seen) expect(request.action.value!.accountId).toBe("alice");
    // Each report comes after its order's ack.
    const lines = out.map((r) => (r.event.case === "ack" ? `ack ${r.event.value.clientOrderId}` : `report ${r.event.value!.order!.clientOrderId}`));
    for (const id of outcome.filter((line) => line.startsWith("p-") && !line.includes(" "))) expect(lines.indexOf(`report ${id}`)).toBeGreaterThan(lines.indexOf(`ack ${id}`));
  });
});
