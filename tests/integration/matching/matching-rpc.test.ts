import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { OrderType, Side, SymbolStatus, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { MatchingService, type PlaceCommandSchema } from "#gen/exchange/matching/v1/matching_pb.js";
import { BadRequestSchema, ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { startExchange, type RunningExchange } from "../../../services/runtime.js";

// matching.v1 over real HTTP/2 gRPC: submit, events, idempotent placement, restart recovery,
// with the command log in files (embedded) and in the real Kafka broker (distributed).

const journals: Record<string, Record<string, string>> = {
  file: {},
  kafka: { MATCHING_JOURNAL: "kafka", MATCHING_COMMANDS_TOPIC: `exchange.matching.commands.rpc-test-${Date.now()}` },
};

describe.each(Object.keys(journals))("matching.v1 with the %s journal", (journal) => {
  let dataDir: string;
  let exchange: RunningExchange;
  let client: Client<typeof MatchingService>;

  async function start() {
    exchange = await startExchange({ service: "matching", dataDir, host: "127.0.0.1", grpcPort: 0, httpPort: 0 }, journals[journal]);
    client = createClient(MatchingService, createGrpcTransport({ baseUrl: exchange.listening.http2Url }));
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "matching-rpc-"));
    await start();
  });

  afterAll(async () => {
    await exchange?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const limit = (orderId: bigint, accountId: string, side: Side, price: number, qty: number): MessageInitShape<typeof PlaceCommandSchema> => ({
    orderId,
    accountId,
    side,
    type: OrderType.LIMIT,
    timeInForce: TimeInForce.GTC,
    priceTicks: String(price),
    quantityLots: String(qty),
    budget: String(side === Side.BUY ? price * qty : qty),
  });

  const place = (order: MessageInitShape<typeof PlaceCommandSchema>, timestamp = 1_700_000_000_000n) =>
    client.submit({ command: { symbol: "BTCUSDT", timestamp, kind: { case: "place", value: order } } });

  describe("matching.v1", () => {
    it("rests, matches at the maker price and reports trade, updates and book deltas", async () => {
      const rest = await place(limit(1n, "alice", Side.SELL, 100, 10));
      expect(rest.batch?.sequence).toBe(1n);
      expect(rest.batch?.events.map((e) => e.kind.case)).toEqual(["accepted", "orderUpdated", "book"]);

      const take = await place(limit(2n, "bob", Side.BUY, 101, 4));
      expect(take.batch?.sequence).toBe(2n);
      const trade = take.batch?.events.find((e) => e.kind.case === "trade")?.kind.value as { priceTicks: string; quantityLots: string; makerAccountId: string; takerAccountId: string; takerSide: Side };
      expect(trade).toMatchObject({ priceTicks: "100", quantityLots: "4", makerAccountId: "alice", takerAccountId: "bob", takerSide: Side.BUY });

      const book = await client.getBook({ symbol: "BTCUSDT", depth: 5 });
      expect(book.sequence).toBe(2n);
      expect(book.asks).toEqual([expect.objectContaining({ priceTicks: "100", quantityLots: "6" })]);
      expect(book.bids).toEqual([]);
    });

    it("treats a retried placement as already delivered and changes nothing", async () => {
      const error = ConnectError.from(await place(limit(2n, "bob", Side.BUY, 101, 4)).catch((e: unknown) => e));
      expect(error.code).toBe(Code.AlreadyExists);
      expect((await client.getBook({ symbol: "BTCUSDT" })).sequence).toBe(2n);
    });

    it("places an order whose id is below one already placed (order replicas deliver out of id order), and refuses its retry", async () => {
      const idsSell = (orderId: bigint, price: number) =>
        client.submit({ command: { symbol: "IDSUSDT", timestamp: 1_700_000_000_000n, kind: { case: "place", value: limit(orderId, "dave", Side.SELL, price, 1) } } });
      expect((await idsSell(7n, 300)).batch?.events.map((e) => e.kind.case)).toContain("accepted");
      expect((await idsSell(5n, 301)).batch?.events.map((e) => e.kind.case)).toContain("accepted");
      for (const retried of [7n, 5n]) expect(ConnectError.from(await idsSell(retried, 302).catch((e: unknown) => e)).code).toBe(Code.AlreadyExists);
      expect((await client.getBook({ symbol: "IDSUSDT", depth: 5 })).asks.map((a) => a.priceTicks)).toEqual(["300", "301"]);
    });

    it("refuses fractional or oversized ticks with the field named, and changes nothing", async () => {
      const fractional = ConnectError.from(await place({ ...limit(3n, "bob", Side.BUY, 1, 1), priceTicks: "100.5" }).catch((e: unknown) => e));
      expect(fractional.code).toBe(Code.InvalidArgument);
      expect(fractional.findDetails(BadRequestSchema)[0].fieldViolations[0].field).toBe("place.price_ticks");
      expect(fractional.findDetails(ErrorInfoSchema)[0].reason).toBe("-1130");
      const huge = ConnectError.from(await place({ ...limit(3n, "bob", Side.BUY, 1, 1), quantityLots: "9007199254740993" }).catch((e: unknown) => e));
      expect(huge.code).toBe(Code.InvalidArgument);
      const badSymbol = ConnectError.from(await client.submit({ command: { symbol: "btc", kind: { case: "cancel", value: { orderId: 1n } } } }).catch((e: unknown) => e));
      expect(badSymbol.code).toBe(Code.InvalidArgument);
      expect((await client.getBook({ symbol: "BTCUSDT" })).sequence).toBe(2n);
    });

    it("streams every batch in sequence, then live ones", async () => {
      const abort = new AbortController();
      const seen: bigint[] = [];
      const reading = (async () => {
        for await (const response of client.streamEvents({ symbol: "BTCUSDT", fromSequence: 1n }, { signal: abort.signal })) {
          seen.push(response.batch!.sequence);
          if (seen.length === 3) abort.abort();
        }
      })().catch((error: unknown) => {
        if (ConnectError.from(error).code !== Code.Canceled) throw error;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const halted = await client.submit({ command: { symbol: "BTCUSDT", timestamp: 1_700_000_000_001n, kind: { case: "setStatus", value: { status: SymbolStatus.HALT } } } });
      expect(halted.batch?.sequence).toBe(3n);
      await reading;
      expect(seen).toEqual([1n, 2n, 3n]);
    });

    it("recovers the same book, sequence and event stream after a restart, and still refuses the old order id", async () => {
      const firstThree = async () => {
        const abort = new AbortController();
        const batches = [];
        try {
          for await (const response of client.streamEvents({ symbol: "BTCUSDT", fromSequence: 1n }, { signal: abort.signal })) {
            batches.push(response.batch);
            if (batches.length === 3) abort.abort();
          }
        } catch (error) {
          if (ConnectError.from(error).code !== Code.Canceled) throw error;
        }
        return batches;
      };
      const before = await client.getBook({ symbol: "BTCUSDT", depth: 10 });
      const eventsBefore = await firstThree();
      await exchange.stop();
      await start();
      const after = await client.getBook({ symbol: "BTCUSDT", depth: 10 });
      expect(after).toEqual(before);
      // Re-derived from the journal: a consumer that was behind catches up on identical batches.
      expect(await firstThree()).toEqual(eventsBefore);
      const retry = ConnectError.from(await place(limit(1n, "alice", Side.SELL, 100, 10)).catch((e: unknown) => e));
      expect(retry.code).toBe(Code.AlreadyExists);
      // Ids placed out of order are recovered from the journal too.
      const idsRetry = ConnectError.from(await client.submit({ command: { symbol: "IDSUSDT", timestamp: 1_700_000_000_000n, kind: { case: "place", value: limit(5n, "dave", Side.SELL, 301, 1) } } }).catch((e: unknown) => e));
      expect(idsRetry.code).toBe(Code.AlreadyExists);
      // Halted before the restart: a new placement is rejected by the engine, under the next sequence.
      const rejected = await place(limit(10n, "carol", Side.SELL, 100, 1));
      expect(rejected.batch?.sequence).toBe(4n);
      expect(rejected.batch?.events[0].kind).toEqual({ case: "rejected", value: expect.objectContaining({ orderId: 10n, reason: "SYMBOL_HALTED" }) });
    });

    it("journals a batch in the order given, one result per command: events, duplicate or invalid", async () => {
      const command = (order: MessageInitShape<typeof PlaceCommandSchema>) => ({ symbol: "ETHUSDT", timestamp: 1_700_000_000_000n, kind: { case: "place" as const, value: order } });
      const { results } = await client.submitBatch({
        symbol: "ETHUSDT",
        commands: [
          command(limit(1n, "alice", Side.SELL, 100, 10)),
          command(limit(2n, "bob", Side.BUY, 100, 4)),
          command(limit(2n, "bob", Side.BUY, 100, 4)), // a retry of the one before
          command({ ...limit(3n, "bob", Side.BUY, 1, 1), priceTicks: "100.5" }),
          command(limit(4n, "carol", Side.BUY, 90, 1)),
        ],
      });
      expect(results.map((r) => r.result.case)).toEqual(["batch", "batch", "duplicate", "invalid", "batch"]);
      const batches = results.flatMap((r) => (r.result.case === "batch" ? [r.result.value] : []));
      expect(batches.map((b) => b.sequence)).toEqual([1n, 2n, 3n]);
      expect(batches[1]!.events.some((e) => e.kind.case === "trade")).toBe(true);
      expect(results[3]!.result.value).toMatch(/price_ticks/);
      const book = await client.getBook({ symbol: "ETHUSDT", depth: 5 });
      expect(book.sequence).toBe(3n);
      expect(book.asks).toEqual([expect.objectContaining({ priceTicks: "100", quantityLots: "6" })]);
      expect(book.bids).toEqual([expect.objectContaining({ priceTicks: "90", quantityLots: "1" })]);
      // The same events reach subscribers, in sequence.
      const streamed: bigint[] = [];
      const abort = new AbortController();
      try {
        for await (const response of client.streamEvents({ symbol: "ETHUSDT", fromSequence: 1n }, { signal: abort.signal })) {
          expect(response.batch).toEqual(batches[streamed.length]);
          streamed.push(response.batch!.sequence);
          if (streamed.length === 3) abort.abort();
        }
      } catch (error) {
        if (ConnectError.from(error).code !== Code.Canceled) throw error;
      }
      expect(streamed).toEqual([1n, 2n, 3n]);
      // Another symbol's command in the batch refuses the whole batch, journaling nothing.
      const mixed = ConnectError.from(
        await client.submitBatch({ symbol: "ETHUSDT", commands: [command(limit(5n, "dave", Side.BUY, 80, 1)), { ...command(limit(6n, "dave", Side.BUY, 80, 1)), symbol: "BTCUSDT" }] }).catch((e: unknown) => e),
      );
      expect(mixed.code).toBe(Code.InvalidArgument);
      expect((await client.getBook({ symbol: "ETHUSDT" })).sequence).toBe(3n);
    });
  });
});
