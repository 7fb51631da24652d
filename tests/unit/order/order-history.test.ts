import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { toConnectError, toRestError } from "#kit/errors/connect-errors.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { isFiltered, MAX_WINDOW_MS, orderQueryOf, scanOf, tradeQueryOf, type HistoryRequest } from "../../../services/order/src/domain/order-history.js";

// allOrders / myTrades parameters as the order service checks them before the store reads anything.

const request = (fields: Partial<HistoryRequest>): HistoryRequest => ({ limit: 0, pageToken: "", ...fields });
const failure = (run: () => unknown): DomainError => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error("expected a DomainError");
};

describe("order history queries", () => {
  it("are filtered when a filter or a limit is set; otherwise the paged listing answers", () => {
    expect(isFiltered(request({}))).toBe(false);
    expect(isFiltered(request({ pageToken: "42" }))).toBe(false);
    expect(isFiltered(request({ limit: 10 }))).toBe(true);
    expect(isFiltered(request({ fromId: 0n }))).toBe(true);
    expect(isFiltered(request({ endTime: 5n }))).toBe(true);
  });

  it("default the limit to 500, refuse more than 1000 (-1130) and clamp ids past 2^53", () => {
    expect(orderQueryOf(request({ fromId: 7n }))).toEqual({ fromOrderId: 7, startTime: undefined, endTime: undefined, limit: 500 });
    expect(orderQueryOf(request({ limit: 1000 })).limit).toBe(1000);
    const tooMany = failure(() => tradeQueryOf(request({ limit: 1001 })));
    expect([tooMany.key, tooMany.spec.binance, tooMany.violations[0].field]).toEqual(["INVALID_PARAMETER", -1130, "limit"]);
    expect(tradeQueryOf(request({ fromId: 2n ** 64n - 1n })).fromId).toBe(Number.MAX_SAFE_INTEGER);
  });

  it("allow a window of exactly 24 hours and refuse a longer one with -1127", () => {
    expect(orderQueryOf(request({ startTime: 1000n, endTime: BigInt(1000 + MAX_WINDOW_MS) }))).toMatchObject({ startTime: 1000, endTime: 1000 + MAX_WINDOW_MS });
    for (const check of [orderQueryOf, tradeQueryOf]) {
      const error = failure(() => check(request({ startTime: 1000n, endTime: BigInt(1001 + MAX_WINDOW_MS) })));
      expect([error.spec.binance, error.spec.http, error.spec.grpc, error.message]).toEqual([-1127, 400, Code.InvalidArgument, "More than 24 hours between startTime and endTime."]);
    }
    // One side alone is not a window: any start, any end.
    expect(tradeQueryOf(request({ startTime: 0n }))).toMatchObject({ startTime: 0, endTime: undefined });
    expect(tradeQueryOf(request({ endTime: 9_000_000_000_000n }))).toMatchObject({ startTime: undefined, endTime: 9_000_000_000_000 });
  });

  it("refuse a start after the end and negative times with -1130", () => {
    expect(failure(() => orderQueryOf(request({ startTime: 2n, endTime: 1n }))).spec.binance).toBe(-1130);
    expect(failure(() => tradeQueryOf(request({ startTime: -1n }))).violations[0].field).toBe("startTime");
  });

  it("accept Binance's myTrades combinations only (-1128 otherwise)", () => {
    const ok = [{}, { orderId: 3n }, { fromId: 4n }, { orderId: 3n, fromId: 4n }, { startTime: 1n }, { endTime: 2n }, { startTime: 1n, endTime: 2n }];
    for (const fields of ok) expect(() => tradeQueryOf(request({ limit: 5, ...fields }))).not.toThrow();
    const bad: [Partial<HistoryRequest>, string][] = [
      [{ fromId: 4n, startTime: 1n }, "from_id"],
      [{ fromId: 4n, endTime: 1n }, "from_id"],
      [{ orderId: 3n, startTime: 1n, endTime: 2n }, "order_id"],
      [{ limit: 5, pageToken: "9" }, "page"],
    ];
    for (const [fields, field] of bad) {
      const error = failure(() => tradeQueryOf(request(fields)));
      expect([error.spec.binance, error.message, error.violations[0].field]).toEqual([-1128, "Combination of optional parameters invalid.", field]);
    }
    // allOrders takes orderId with a window (both apply), but not a page token.
    expect(orderQueryOf(request({ fromId: 5n, startTime: 1n, endTime: 2n }))).toMatchObject({ fromOrderId: 5, startTime: 1, endTime: 2 });
    expect(failure(() => orderQueryOf(request({ startTime: 1n, pageToken: "9" }))).spec.binance).toBe(-1128);
  });

  it("leave the service as InvalidArgument with the Binance code and the field, and reach REST as 400", () => {
    const connect = toConnectError(failure(() => tradeQueryOf(request({ fromId: 1n, startTime: 1n }))));
    expect(connect.code).toBe(Code.InvalidArgument);
    expect(connect.findDetails(ErrorInfoSchema)[0].reason).toBe("-1128");
    expect(toRestError(connect)).toEqual({ status: 400, body: { code: -1128, msg: "Combination of optional parameters invalid." } });
  });

  it("scan up from a lower bound, else down from the newest; by time only for a bare time window", () => {
    expect(scanOf({})).toEqual({ ascending: false, byTime: false });
    expect(scanOf({ fromId: 1 })).toEqual({ ascending: true, byTime: false });
    expect(scanOf({ startTime: 1 })).toEqual({ ascending: true, byTime: true });
    expect(scanOf({ endTime: 1 })).toEqual({ ascending: false, byTime: true });
    expect(scanOf({ fromId: 1, endTime: 1 })).toEqual({ ascending: true, byTime: false });
  });
});
