import { describe, expect, it } from "vitest";
import type { FeeTierStore } from "../../../services/wallet/src/ports/fee-tier.port.js";

// The FeeTierStore contract, run on SQLite (unit) and on a real PostgreSQL (integration). `open` answers a store
// over one database; calling it again after close reopens the same database (a restart).

export interface FeeTierStoreFixture {
  open(): Promise<FeeTierStore>;
  dispose(): Promise<void>;
}

const trade = (tradeId: string, day: string, buyer: string, seller: string, quote: bigint, quoteAsset = "USDT") => ({ tradeId, day, quoteAsset, accounts: [buyer, seller] as const, quote });

export function feeTierStoreContract(name: string, fixture: () => Promise<FeeTierStoreFixture>): void {
  describe(`FeeTierStore on ${name}`, () => {
    it("adds each trade's quote volume to both sides' day once, whatever the trade is seen again", async () => {
      const fx = await fixture();
      const store = await fx.open();
      try {
        await store.recordTrades([trade("t1", "2024-03-01", "a", "b", 100n), trade("t2", "2024-03-01", "a", "c", 50n), trade("t1", "2024-03-01", "a", "b", 100n)]);
        await store.recordTrades([trade("t2", "2024-03-01", "a", "c", 50n), trade("t3", "2024-03-02", "b", "a", 7n), trade("t4", "2024-03-02", "a", "b", 9n, "BTC")]);
        expect(await store.volumes("USDT", "2024-03-01")).toEqual(new Map([["a", 157n], ["b", 107n], ["c", 50n]]));
        expect(await store.volumes("USDT", "2024-03-02")).toEqual(new Map([["a", 7n], ["b", 7n]]));
        expect(await store.volumes("BTC", "2024-01-01")).toEqual(new Map([["a", 9n], ["b", 9n]]));
        expect(await store.dailyVolumes("a", "USDT", "2024-01-01")).toEqual([{ day: "2024-03-01", volume: 150n }, { day: "2024-03-02", volume: 7n }]);
      } finally {
        await store.close();
        await fx.dispose();
      }
    });

    it("keeps volumes past 64 bits exactly", async () => {
      const fx = await fixture();
      const store = await fx.open();
      try {
        const big = 2n ** 70n + 1n;
        await store.recordTrades([trade("x1", "2024-03-01", "a", "b", big), trade("x2", "2024-03-01", "a", "b", big)]);
        expect((await store.volumes("USDT", "2024-03-01")).get("a")).toBe(2n * big);
      } finally {
        await store.close();
        await fx.dispose();
      }
    });

    it("sets volume tiers and overrides independently; both survive a restart", async () => {
      const fx = await fixture();
      let store = await fx.open();
      try {
        await store.setVolumeTiers([{ account: "a", volumeTier: 2 }, { account: "b", volumeTier: 1 }], 1000);
        await store.setOverride("a", { tier: 4, reason: "market maker", actor: "ops-1", time: 1234 }, 1234);
        await store.setOverride("c", { tier: 3, reason: "VIP", actor: "ops-2", time: 1300 }, 1300);
        await store.setVolumeTiers([{ account: "a", volumeTier: 1 }], 2000);
        await store.recordTrades([trade("t1", "2024-03-01", "a", "b", 100n)]);
        await store.close();
        store = await fx.open();
        expect(await store.assignments()).toEqual([
          { account: "a", volumeTier: 1, override: { tier: 4, reason: "market maker", actor: "ops-1", time: 1234 } },
          { account: "b", volumeTier: 1 },
          { account: "c", volumeTier: 0, override: { tier: 3, reason: "VIP", actor: "ops-2", time: 1300 } },
        ]);
        await store.setOverride("a", undefined, 3000);
        expect(await store.assignment("a")).toEqual({ account: "a", volumeTier: 1 });
        expect(await store.assignment("nobody")).toBeUndefined();
        // A trade already recorded before the restart still counts once.
        await store.recordTrades([trade("t1", "2024-03-01", "a", "b", 100n)]);
        expect((await store.volumes("USDT", "2024-01-01")).get("a")).toBe(100n);
      } finally {
        await store.close();
        await fx.dispose();
      }
    });

    it("forgets days before a given one (volumes and trade ids)", async () => {
      const fx = await fixture();
      const store = await fx.open();
      try {
        await store.recordTrades([trade("old", "2024-01-01", "a", "b", 5n), trade("new", "2024-02-01", "a", "b", 6n)]);
        await store.forgetBefore("2024-02-01");
        expect(await store.volumes("USDT", "2000-01-01")).toEqual(new Map([["a", 6n], ["b", 6n]]));
        await store.recordTrades([trade("new", "2024-02-01", "a", "b", 6n)]);
        expect((await store.volumes("USDT", "2000-01-01")).get("a")).toBe(6n);
      } finally {
        await store.close();
        await fx.dispose();
      }
    });
  });
}
