/** The one contract suite every SearchIndex adapter passes. `open()` returns an empty index private to this run. */
import { describe, it, expect, afterEach } from "vitest";
import { historyOhlcv, historyPriceLevels, historySummary } from "./history-aggregates.js";
import type { HistoryDoc, SearchIndex } from "./search-index.port.js";

export interface SearchIndexHarness {
  open(): Promise<SearchIndex>;
}

const T0 = 1_700_000_000_000;

/** 30 trades on BTCUSDT (accounts u1..u3 as buyer/seller), 5 orders, 5 trades on ETHUSDT */
export function sampleDocs(): HistoryDoc[] {
  const docs: HistoryDoc[] = [];
  for (let i = 0; i < 30; i++) {
    const buyer = `u${(i % 3) + 1}`;
    const seller = `u${((i + 1) % 3) + 1}`;
    docs.push({
      id: `BTCUSDT:${String(i).padStart(4, "0")}`,
      kind: "trade",
      symbol: "BTCUSDT",
      accounts: [buyer, seller],
      time: T0 + Math.floor(i / 2) * 1000, // pairs share a timestamp: the id breaks the tie
      price: `${30000 + i}.10`,
      priceUnits: BigInt(30000 + i) * 100n + 10n,
      qty: "0.00100000",
      qtyUnits: 100000n,
      attrs: { buyer, seller, side: i % 2 ? "SELL" : "BUY" },
    });
  }
  for (let i = 0; i < 5; i++) {
    docs.push({ id: `order-${i}`, kind: "order", symbol: "BTCUSDT", accounts: ["u1"], time: T0 + i * 1000, price: "29999.00", priceUnits: 2999900n, qty: "1", qtyUnits: 100000000n, attrs: { status: "NEW" } });
    docs.push({ id: `ETHUSDT:${i}`, kind: "trade", symbol: "ETHUSDT", accounts: ["u1", "u2"], time: T0 + i * 1000, price: "2000", priceUnits: 200000n, qty: "1", qtyUnits: 100000000n });
  }
  return docs;
}

export function searchIndexContract(engine: string, makeHarness: () => SearchIndexHarness): void {
  describe(`SearchIndex contract: ${engine}`, () => {
    let index: SearchIndex | undefined;
    const open = async () => {
      index = await makeHarness().open();
      await index.ensure();
      await index.ensure(); // idempotent
      return index;
    };
    afterEach(async () => {
      await index?.close();
      index = undefined;
    });

    it("searches by symbol, kind, account and time range, in (time, id) order, and counts the same set", async () => {
      const ix = await open();
      const docs = sampleDocs();
      await ix.index(docs);
      await ix.refresh();
      const expected = (pred: (d: HistoryDoc) => boolean) =>
        docs.filter(pred).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1)).map((d) => d.id);

      const btcTrades = await ix.search({ symbol: "BTCUSDT", kind: "trade" }, { limit: 1000 });
      expect(btcTrades.items.map((d) => d.id)).toEqual(expected((d) => d.symbol === "BTCUSDT" && d.kind === "trade"));
      expect(btcTrades.cursor).toBeUndefined();
      expect(await ix.count({ symbol: "BTCUSDT" })).toBe(35);
      expect(await ix.count({ symbol: "BTCUSDT", kind: "order" })).toBe(5);
      expect(await ix.count({ symbol: "ETHUSDT" })).toBe(5);
      expect(await ix.count({ symbol: "NOPE" })).toBe(0);

      const q = { symbol: "BTCUSDT", kind: "trade" as const, account: "u2", fromTime: T0 + 3000, toTime: T0 + 10_000 };
      const want = expected((d) => d.symbol === "BTCUSDT" && d.kind === "trade" && d.accounts.includes("u2") && d.time >= q.fromTime && d.time < q.toTime);
      expect(want.length).toBeGreaterThan(5);
      expect((await ix.search(q)).items.map((d) => d.id)).toEqual(want);
      expect(await ix.count(q)).toBe(want.length);
      expect(await ix.count({ symbol: "BTCUSDT", account: "u1" })).toBe(docs.filter((d) => d.symbol === "BTCUSDT" && d.accounts.includes("u1")).length);
    });

    it("pages with a cursor in both directions without gaps or repeats", async () => {
      const ix = await open();
      const docs = sampleDocs();
      await ix.index(docs);
      await ix.refresh();
      const all = (await ix.search({ symbol: "BTCUSDT" }, { limit: 1000 })).items.map((d) => d.id);
      expect(all).toHaveLength(35);
      for (const order of ["asc", "desc"] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await ix.search({ symbol: "BTCUSDT" }, { limit: 4, cursor, order });
          expect(page.items.length).toBeLessThanOrEqual(4);
          seen.push(...page.items.map((d) => d.id));
          cursor = page.cursor;
          pages++;
        } while (cursor);
        expect(seen).toEqual(order === "asc" ? all : [...all].reverse());
        expect(pages).toBe(9);
      }
    });

    it("keeps decimal strings and 64-bit scaled integers exact, and upserts by id", async () => {
      const ix = await open();
      const big: HistoryDoc = {
        id: "ETHUSDT:big",
        kind: "trade",
        symbol: "ETHUSDT",
        accounts: ["whale"],
        time: T0,
        price: "3000.000000000000000001",
        priceUnits: 9_007_199_254_740_993n, // 2^53 + 1: a double would round it
        qty: "0.00000001",
        qtyUnits: 9_223_372_036_854_775_807n, // int64 max
        attrs: { note: "exact" },
      };
      await ix.index([big]);
      await ix.refresh();
      const [got] = (await ix.search({ symbol: "ETHUSDT", account: "whale" })).items;
      expect(got).toEqual(big);
      expect(typeof got.priceUnits).toBe("bigint");

      await ix.index([{ ...big, price: "3001.50", priceUnits: 300150n, accounts: ["whale", "minnow"] }]);
      await ix.refresh();
      expect(await ix.count({ symbol: "ETHUSDT" })).toBe(1);
      const [updated] = (await ix.search({ symbol: "ETHUSDT", account: "minnow" })).items;
      expect(updated.price).toBe("3001.50");
      expect(updated.priceUnits).toBe(300150n);

      await expect(ix.index([{ ...big, id: "overflow", qtyUnits: 2n ** 63n }])).rejects.toThrow(RangeError);
    });
    it("filters by inclusive price and quantity bands", async () => {
      const ix = await open();
      await ix.index(sampleDocs());
      await ix.refresh();
      // BTCUSDT trade i has priceUnits 3_000_010 + 100 i
      const band = await ix.search({ symbol: "BTCUSDT", kind: "trade", minPriceUnits: 3_001_010n, maxPriceUnits: 3_002_010n });
      expect(band.items.map((d) => d.id)).toEqual(Array.from({ length: 11 }, (_, k) => `BTCUSDT:${String(10 + k).padStart(4, "0")}`));
      expect(await ix.count({ symbol: "BTCUSDT", minPriceUnits: 3_002_911n })).toBe(0);
      expect(await ix.count({ symbol: "BTCUSDT", maxPriceUnits: 3_000_010n })).toBe(6); // trade 0 and the 5 orders at 2_999_900
      expect(await ix.count({ symbol: "BTCUSDT", minQtyUnits: 100_000_000n, maxQtyUnits: 100_000_000n })).toBe(5);
      expect(await ix.count({ symbol: "BTCUSDT", kind: "trade", maxQtyUnits: 99_999n })).toBe(0);
    });

    it("aggregates exactly: OHLCV of any interval, a summary for VWAP, volume by price level", async () => {
      const ix = await open();
      await ix.index(sampleDocs());
      await ix.refresh();
      const trades = { symbol: "BTCUSDT", kind: "trade" as const };
      const price = (i: number) => BigInt(3_000_010 + 100 * i);
      // Trades 2k and 2k+1 are at T0 + k s; 4 s buckets hold trades 8j..8j+7 (T0 is a multiple of 4000).
      const candles = await historyOhlcv(ix, trades, 4000);
      expect(candles.map((c) => [c.start, c.count, c.open.priceUnits, c.high.priceUnits, c.low.priceUnits, c.close.priceUnits, c.qtyUnits])).toEqual(
        [0, 1, 2, 3].map((j) => {
          const last = Math.min(8 * j + 7, 29);
          return [T0 + 4000 * j, last - 8 * j + 1, price(8 * j), price(last), price(8 * j), price(last), BigInt(last - 8 * j + 1) * 100_000n];
        }),
      );
      expect(candles[0]!.open.price).toBe("30000.10");
      expect(candles[0]!.notionalUnits).toBe([0, 1, 2, 3, 4, 5, 6, 7].reduce((sum, i) => sum + price(i) * 100_000n, 0n));
      await expect(historyOhlcv(ix, trades, 1000, 10)).rejects.toThrow(RangeError);

      const summary = await historySummary(ix, { ...trades, fromTime: T0 + 2000, toTime: T0 + 4000 });
      expect(summary).toMatchObject({ count: 4, firstId: "BTCUSDT:0004", lastId: "BTCUSDT:0007", qtyUnits: 400_000n });
      expect(summary!.notionalUnits / summary!.qtyUnits).toBe((price(4) + price(7)) / 2n); // the VWAP of equal sizes
      expect(await historySummary(ix, { symbol: "NOPE" })).toBeUndefined();

      const levels = await historyPriceLevels(ix, trades, 1000n);
      expect(levels.map((l) => [l.priceUnits, l.count, l.qtyUnits])).toEqual([
        [3_000_000n, 10, 1_000_000n],
        [3_001_000n, 10, 1_000_000n],
        [3_002_000n, 10, 1_000_000n],
      ]);

      // Sums past 2^63 stay exact.
      const big = (id: string): HistoryDoc => ({ id, kind: "trade", symbol: "BIGUSDT", accounts: [], time: T0, price: "x", priceUnits: 9_007_199_254_740_993n, qty: "y", qtyUnits: 9_223_372_036_854_775_807n });
      await ix.index([big("BIGUSDT:1"), big("BIGUSDT:2")]);
      await ix.refresh();
      const whole = await historySummary(ix, { symbol: "BIGUSDT" });
      expect(whole!.qtyUnits).toBe(2n * 9_223_372_036_854_775_807n);
      expect(whole!.notionalUnits).toBe(2n * 9_007_199_254_740_993n * 9_223_372_036_854_775_807n);
    });
  });
}
