import { describe, expect, it } from "vitest";
import type { BatchWrites, StateLoader } from "../../../services/wallet/src/domain/ledger-engine.js";
import type { TransferRecord } from "../../../services/wallet/src/domain/ledger.js";
import { LedgerStateCache } from "../../../services/wallet/src/domain/state-cache.js";

// The cache answers for the transfers of batches it planned until each batch is committed; the
// store answers for everything else.

const record = (id: string): TransferRecord => ({ id, kind: "transfer", fingerprint: `f-${id}`, result: {}, time: 1 });
const batch = (...ids: string[]): BatchWrites => ({ balances: [], docs: [], transfers: ids.map(record), entries: [] });

function storeAnswering(ids: readonly string[]): StateLoader & { asked: string[][] } {
  const asked: string[][] = [];
  return {
    asked,
    transfers: async (wanted) => {
      asked.push([...wanted]);
      return wanted.filter((id) => ids.includes(id)).map(record);
    },
    balances: async () => [],
    docs: async () => [],
  };
}

describe("LedgerStateCache's pending transfers", () => {
  it("answers for planned batches until each one is committed, in any order, and asks the store for the rest", async () => {
    const cache = new LedgerStateCache();
    const store = storeAnswering(["old"]);
    const loader = cache.loader(store);
    const first = batch("a", "b");
    const second = batch("c");
    cache.absorb(first);
    cache.absorb(second);
    expect((await loader.transfers(["a", "c", "old", "new"])).map((found) => found.id)).toEqual(["a", "c", "old"]);
    expect(store.asked).toEqual([["old", "new"]]);

    cache.committed(second);
    expect((await loader.transfers(["a", "c"])).map((found) => found.id)).toEqual(["a"]);
    expect(store.asked.at(-1)).toEqual(["c"]);

    // Committed through a copy of the writes: the same ids leave.
    cache.committed({ ...first, transfers: first.transfers.map((found) => ({ ...found })) });
    expect(await loader.transfers(["a", "b"])).toEqual([]);
    expect(store.asked.at(-1)).toEqual(["a", "b"]);
  });

  it("starts over past its capacity once nothing is pending", async () => {
    const cache = new LedgerStateCache(1);
    const store = storeAnswering([]);
    const loader = cache.loader(store);
    await loader.balances([
      { account: "a", asset: "BTC" },
      { account: "b", asset: "BTC" },
    ]);
    const writes = batch("t");
    cache.absorb(writes);
    expect(await loader.transfers(["t"])).toHaveLength(1);
    cache.committed(writes);
    expect(await loader.transfers(["t"])).toEqual([]);
    // Cleared: the rows are asked again.
    let asked = 0;
    const counting = cache.loader({ ...store, balances: async (keys) => ((asked += keys.length), []) });
    await counting.balances([{ account: "a", asset: "BTC" }]);
    expect(asked).toBe(1);
  });
});
