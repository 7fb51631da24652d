import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { OrderType, Side, TimeInForce } from "#gen/exchange/common/v1/common_pb.js";
import { CommandSchema, type Command } from "#gen/exchange/matching/v1/matching_pb.js";
import { SymbolBooks } from "../../../services/matching/src/symbol-books.js";

// Lone submits and batches answered by one engine group reach subscribers in sequence order,
// every batch once: a consumer that got them out of order would skip the earlier ones.

const SYMBOL = "BTCUSDT";
const place = (orderId: number): Command =>
  create(CommandSchema, {
    symbol: SYMBOL,
    timestamp: 1_700_000_000_000n,
    kind: { case: "place", value: { orderId: BigInt(orderId), accountId: `a${orderId % 7}`, side: orderId % 2 ? Side.SELL : Side.BUY, type: OrderType.LIMIT, timeInForce: TimeInForce.GTC, priceTicks: String(1_000 + (orderId % 2 ? 10 : -10)), quantityLots: "1", budget: orderId % 2 ? "1" : "990" } },
  });

describe("SymbolBooks' event stream", () => {
  it("is in sequence order when lone submits and batches are answered together", async () => {
    const dir = mkdtempSync(join(tmpdir(), "symbol-books-order-"));
    const books = new SymbolBooks({ dataDir: dir });
    try {
      await books.submit(place(1)); // opens the book
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) {
        calls.push(books.submit(place(2 + 3 * i)));
        calls.push(books.submitBatch(SYMBOL, [place(3 + 3 * i), place(4 + 3 * i)]));
      }
      await Promise.all(calls);
      const abort = new AbortController();
      const seen: bigint[] = [];
      for await (const batch of books.events(SYMBOL, 1, abort.signal)) {
        seen.push(batch.sequence);
        if (seen.length === 151) abort.abort();
      }
      expect(seen).toEqual(Array.from({ length: 151 }, (_, i) => BigInt(i + 1)));
    } finally {
      await books.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
