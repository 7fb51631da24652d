/** The one contract suite every SearchIndex adapter passes. `open()` returns an empty index private to this run. */
import { describe, it, expect, afterEach } from "vitest";
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
  });
}
