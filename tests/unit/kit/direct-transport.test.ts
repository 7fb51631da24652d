import { describe, expect, it } from "vitest";
import { Code, ConnectError, createClient, type HandlerContext } from "@connectrpc/connect";
import { MarketDataService, type PublicTrade } from "#gen/exchange/marketdata/v1/marketdata_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { inProcessTransport } from "#kit/rpc/in-process.js";

// The in-process transport calls handlers directly: the same interceptors and outcomes a
// network client sees (errors with details, validation, deadlines, cancellation, stream ends),
// and never an object shared between caller and callee.

function serve(handlers: Record<string, unknown>) {
  return createClient(MarketDataService, inProcessTransport((router) => router.service(MarketDataService, handlers as never)));
}

/** Resolves when `signal` aborts. */
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

describe("the in-process transport", () => {
  it("hands the handler and the caller their own copies of the messages", async () => {
    const kept: PublicTrade[] = [];
    const client = serve({
      listTrades(request: { symbol: string; limit: number }) {
        const trade = { symbol: request.symbol, id: 7n, price: "30000.00", qty: "0.001", quoteQty: "30.00000", time: 1n, isBuyerMaker: true };
        kept.push(trade as PublicTrade);
        return { trades: [trade] };
      },
    });
    const request = { symbol: "BTCUSDT", limit: 1 };
    const answer = await client.listTrades(request);
    expect(answer.trades[0]).toMatchObject({ symbol: "BTCUSDT", id: 7n, price: "30000.00" });
    answer.trades[0]!.price = "1";
    expect(kept[0]!.price).toBe("30000.00");
  });

  it("answers a domain error as a ConnectError with its code and Binance details, and refuses a malformed request before the handler", async () => {
    let called = 0;
    const client = serve({
      listTrades() {
        called++;
        throw new DomainError("BAD_SYMBOL", "Invalid symbol.");
      },
    });
    const error = ConnectError.from(await client.listTrades({ symbol: "BTCUSDT" }).catch((e: unknown) => e));
    expect(error.code).toBe(Code.InvalidArgument);
    expect(error.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1121");
    const malformed = ConnectError.from(await client.listTrades({ symbol: "btc usdt" }).catch((e: unknown) => e));
    expect(malformed.code).toBe(Code.InvalidArgument);
    expect(malformed.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1102");
    expect(called).toBe(1);
  });

  it("is Unimplemented for a method the routes do not serve", async () => {
    const error = ConnectError.from(await serve({}).ping({}).catch((e: unknown) => e));
    expect(error.code).toBe(Code.Unimplemented);
  });

  it("gives up at the caller's deadline (DeadlineExceeded) and aborts the handler's signal", async () => {
    let handlerSignal: AbortSignal | undefined;
    const client = serve({
      async ping(_request: unknown, context: HandlerContext) {
        handlerSignal = context.signal;
        await aborted(context.signal);
        return {};
      },
    });
    const error = ConnectError.from(await client.ping({}, { timeoutMs: 50 }).catch((e: unknown) => e));
    expect(error.code).toBe(Code.DeadlineExceeded);
    expect(handlerSignal?.aborted).toBe(true);
  });

  it("gives up when the caller cancels (Canceled)", async () => {
    const cancel = new AbortController();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const client = serve({
      async ping(_request: unknown, context: HandlerContext) {
        started();
        await aborted(context.signal);
        return {};
      },
    });
    const call = client.ping({}, { signal: cancel.signal }).catch((e: unknown) => e);
    await running;
    cancel.abort();
    expect(ConnectError.from(await call).code).toBe(Code.Canceled);
  });

  it("streams the handler's messages; the caller's cancel ends the handler (as on the network, breaking out of the loop alone does not)", async () => {
    let handlerSignal: AbortSignal | undefined;
    const client = serve({
      async *streamTrades(request: { symbol: string }, context: HandlerContext) {
        handlerSignal = context.signal;
        for (let id = 1n; !context.signal.aborted; id++) {
          yield { trade: { symbol: request.symbol, id, price: "1.00", qty: "1", quoteQty: "1", time: 0n, isBuyerMaker: false } };
        }
      },
    });
    const cancel = new AbortController();
    const ids: bigint[] = [];
    const ended = await (async () => {
      try {
        for await (const response of client.streamTrades({ symbol: "BTCUSDT" }, { signal: cancel.signal })) {
          ids.push(response.trade!.id);
          if (ids.length === 3) cancel.abort();
        }
      } catch (e) {
        return ConnectError.from(e);
      }
    })();
    expect(ids).toEqual([1n, 2n, 3n]);
    expect(ended?.code).toBe(Code.Canceled);
    expect(handlerSignal?.aborted).toBe(true);
  });

  it("ends a stream with the handler's error, mapped as for a unary call", async () => {
    const client = serve({
      // eslint-disable-next-line require-yield
      async *streamTrades() {
        throw new DomainError("BAD_SYMBOL", "Invalid symbol.");
      },
    });
    const error = await (async () => {
      try {
        for await (const _ of client.streamTrades({ symbol: "BTCUSDT" })) void _;
      } catch (e) {
        return ConnectError.from(e);
      }
    })();
    expect(error?.code).toBe(Code.InvalidArgument);
    expect(error?.findDetails(ErrorInfoSchema)[0]?.reason).toBe("-1121");
  });
});
