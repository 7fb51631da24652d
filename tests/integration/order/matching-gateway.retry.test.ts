import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ContingencyType, OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema, type Command } from "#gen/exchange/matching/v1/matching_pb.js";
import { ConnectMatchingGateway } from "../../../services/order/src/adapters/matching-gateway.connect.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";
import { until } from "../../support/until.js";

// A group of placements whose SubmitBatch did not reach matching (matching restarting) is sent
// again until matching answers; what matching journaled before comes back as duplicate, so
// nothing is placed twice. Real matching over gRPC, stopped and started on the same port.

const SYMBOL = "BTCUSDT";
/** gRPC to `url`, counting the calls made. */
function countingTransport(url: string): { transport: Transport; calls: () => number } {
  const inner = createGrpcTransport({ baseUrl: url });
  let calls = 0;
  return {
    transport: { unary: (...args) => (calls++, inner.unary(...args)), stream: (...args) => inner.stream(...args) },
    calls: () => calls,
  };
}

const place = (orderId: bigint): Command =>
  create(CommandSchema, {
    symbol: SYMBOL,
    timestamp: 1_700_000_000_000n,
    kind: { case: "place", value: { orderId, accountId: `acct-${orderId}`, side: Side.SELL, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, priceTicks: String(100n + orderId), quantityLots: "1", budget: "1" } },
  });

/** A sell OCO of ids first and first + 1: LIMIT_MAKER far above, STOP_LOSS far below (nothing trades or triggers). */
const oco = (first: bigint): Command =>
  create(CommandSchema, {
    symbol: SYMBOL,
    timestamp: 1_700_000_000_000n,
    kind: {
      case: "placeList",
      value: {
        contingencyType: ContingencyType.OCO,
        orders: [
          { orderId: first, accountId: "acct-list", side: Side.SELL, type: OrderType.LIMIT_MAKER, timeInForce: TimeInForce.GTC, priceTicks: "1000000", quantityLots: "1", budget: "1" },
          { orderId: first + 1n, accountId: "acct-list", side: Side.SELL, type: OrderType.STOP_LOSS, stopPriceTicks: "1", quantityLots: "1", budget: "1" },
        ],
      },
    },
  });

describe("order's matching gateway when matching restarts", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "matching-retry-"));
  let matching: RunningExchange | undefined;
  const start = async (port = 0) => (matching = await startExchange({ service: "matching", dataDir, host: "127.0.0.1", grpcPort: port, httpPort: 0 }, {}));

  afterAll(async () => {
    await matching?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("sends a batch of placements again until matching is back, and a retry of a journaled one is a duplicate", async () => {
    const url = (await start()).listening.http2Url;
    const port = Number(new URL(url).port);
    const counted = countingTransport(url);
    const gateway = new ConnectMatchingGateway(counted.transport, { forMs: 30_000, firstDelayMs: 20, maxDelayMs: 200 });
    const [first] = await gateway.submitBatch(SYMBOL, [place(1n)]);
    expect(first).toMatchObject({ sequence: 1n });

    await matching!.stop();
    matching = undefined;
    let settled = false;
    const before = counted.calls();
    const pending = gateway.submitBatch(SYMBOL, [place(2n), place(3n)]).finally(() => (settled = true));
    // Refused while matching is down, tried again: still waiting, not failed.
    await until(() => counted.calls() >= before + 3);
    expect(settled).toBe(false);
    await start(port);
    const outcomes = await pending;
    expect(outcomes.map((outcome) => (typeof outcome === "object" && "sequence" in outcome ? outcome.sequence : outcome))).toEqual([2n, 3n]);
    // The answer lost and the batch sent again: nothing is journaled twice.
    expect(await gateway.submitBatch(SYMBOL, [place(2n), place(3n), place(4n)])).toEqual(["duplicate", "duplicate", expect.objectContaining({ sequence: 4n })]);
  });

  it("sends an order list again until matching is back, and a retry of a journaled one is a duplicate", async () => {
    const url = (matching ?? (await start())).listening.http2Url;
    const port = Number(new URL(url).port);
    const counted = countingTransport(url);
    const gateway = new ConnectMatchingGateway(counted.transport, { forMs: 30_000, firstDelayMs: 20, maxDelayMs: 200 });
    await matching!.stop();
    matching = undefined;
    let settled = false;
    const before = counted.calls();
    const pending = gateway.submitBatch(SYMBOL, [oco(10n)]).finally(() => (settled = true));
    await until(() => counted.calls() >= before + 3);
    expect(settled).toBe(false);
    await start(port);
    const [placed] = await pending;
    expect(placed).toMatchObject({ events: expect.arrayContaining([expect.objectContaining({ kind: expect.objectContaining({ case: "accepted" }) })]) });
    // The answer lost and the list sent again: matching has it, nothing is journaled twice.
    expect(await gateway.submitBatch(SYMBOL, [oco(10n)])).toEqual(["duplicate"]);
  });

  it("does not resend other commands (a cancel): the caller hears Unavailable", async () => {
    const url = (matching ?? (await start())).listening.http2Url;
    const gateway = new ConnectMatchingGateway(createGrpcTransport({ baseUrl: url }), { forMs: 30_000, firstDelayMs: 20, maxDelayMs: 200 });
    await matching!.stop();
    matching = undefined;
    const cancel = create(CommandSchema, { symbol: SYMBOL, timestamp: 1_700_000_000_000n, kind: { case: "cancel", value: { orderId: 4n, accountId: "acct-4" } } });
    const error = ConnectError.from(await gateway.submitBatch(SYMBOL, [cancel]).catch((e: unknown) => e));
    expect(error.code).toBe(Code.Unavailable);
  });
});
