import { describe, expect, it } from "vitest";
import { aggTradesOf } from "../../../services/marketdata/src/domain/market.js";

// One batch's trades as Binance's aggregate trades: a run of the same taker order at the same price.

const trade = (tradeId: number, takerOrderId: bigint, price: bigint, qty: bigint, isBuyerMaker = false) => ({ tradeId, takerOrderId, price, qty, quoteQty: 0n, time: 7, isBuyerMaker });

describe("aggTradesOf", () => {
  it("merges a taker's consecutive trades at one price, and nothing else", () => {
    const drafts = aggTradesOf([
      trade(1, 10n, 100n, 1n),
      trade(2, 10n, 100n, 2n),
      trade(3, 10n, 101n, 4n), // the same taker at the next level
      trade(4, 10n, 100n, 8n), // back at 100 after 101: a new run
      trade(5, 11n, 100n, 16n, true), // a triggered stop at the same price: another taker
      trade(6, 11n, 100n, 32n, true),
    ]);
    expect(drafts.map((d) => [d.firstTradeId, d.lastTradeId, d.price, d.qty, d.isBuyerMaker, d.time])).toEqual([
      [1, 2, 100n, 3n, false, 7],
      [3, 3, 101n, 4n, false, 7],
      [4, 4, 100n, 8n, false, 7],
      [5, 6, 100n, 48n, true, 7],
    ]);
    expect(aggTradesOf([])).toEqual([]);
  });
});
