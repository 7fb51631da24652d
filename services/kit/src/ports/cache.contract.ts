/** The one contract suite every Cache adapter passes. `open()` returns a cache whose keys are private to this run. */
import { describe, it, expect, afterEach } from "vitest";
import { fixedWindowRateLimit, slidingWindowRateLimit, type Cache } from "./cache.port.js";

export interface CacheHarness {
  open(): Promise<Cache>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function cacheContract(engine: string, makeHarness: () => CacheHarness): void {
  describe(`Cache contract: ${engine}`, () => {
    let cache: Cache | undefined;
    const open = async () => (cache = await makeHarness().open());
    afterEach(async () => {
      await cache?.close();
      cache = undefined;
    });

    it("gets, sets, overwrites and deletes", async () => {
      const c = await open();
      expect(await c.get("missing")).toBeUndefined();
      await c.set("k", "v1");
      expect(await c.get("k")).toBe("v1");
      await c.set("k", '{"price":"0.00000001"}');
      expect(await c.get("k")).toBe('{"price":"0.00000001"}');
      expect(await c.delete("k")).toBe(true);
      expect(await c.delete("k")).toBe(false);
      expect(await c.get("k")).toBeUndefined();
    });

    it("expires keys after their TTL", async () => {
      const c = await open();
      await c.set("short", "x", { ttlMs: 150 });
      await c.set("long", "y", { ttlMs: 60_000 });
      await c.set("forever", "z");
      expect(await c.get("short")).toBe("x");
      await sleep(300);
      expect(await c.get("short")).toBeUndefined();
      expect(await c.get("long")).toBe("y");
      expect(await c.get("forever")).toBe("z");
    });

    it("setIfAbsent sets once, and again after expiry", async () => {
      const c = await open();
      expect(await c.setIfAbsent("once", "a", { ttlMs: 150 })).toBe(true);
      expect(await c.setIfAbsent("once", "b", { ttlMs: 150 })).toBe(false);
      expect(await c.get("once")).toBe("a");
      await sleep(300);
      expect(await c.setIfAbsent("once", "c")).toBe(true);
      expect(await c.get("once")).toBe("c");
    });

    it("compareAndSet replaces only the expected live value, with the new TTL; an absent or expired key never matches", async () => {
      const c = await open();
      expect(await c.compareAndSet("cas", "", "x")).toBe(false);
      expect(await c.get("cas")).toBeUndefined();
      await c.set("cas", "g1");
      expect(await c.compareAndSet("cas", "g0", "g0 rows")).toBe(false);
      expect(await c.get("cas")).toBe("g1");
      expect(await c.compareAndSet("cas", "g1", "g1 rows", { ttlMs: 150 })).toBe(true);
      expect(await c.get("cas")).toBe("g1 rows");
      expect(await c.compareAndSet("cas", "g1", "g1 again")).toBe(false); // the value moved on
      await sleep(300);
      expect(await c.get("cas")).toBeUndefined();
      expect(await c.compareAndSet("cas", "g1 rows", "late")).toBe(false);
      await c.set("kept", "a", { ttlMs: 150 });
      expect(await c.compareAndSet("kept", "a", "b")).toBe(true); // no TTL given: no expiry
      await sleep(300);
      expect(await c.get("kept")).toBe("b");
      // Under concurrency exactly one of the writers that read the same value wins.
      await c.set("race", "v0");
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => c.compareAndSet("race", "v0", `v${i + 1}`)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      expect(await c.get("race")).toBe(`v${wins.indexOf(true) + 1}`);
    });

    it("increments atomically under concurrency, keeps the first expiry, and starts over after it", async () => {
      const c = await open();
      const results = await Promise.all(Array.from({ length: 50 }, () => c.increment("hits", 400)));
      expect(results.map((r) => r.value).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      for (const r of results) expect(r.ttlMs).toBeGreaterThan(0);
      for (const r of results) expect(r.ttlMs).toBeLessThanOrEqual(400);
      await sleep(150);
      const later = await c.increment("hits", 400, 5);
      expect(later.value).toBe(55);
      expect(later.ttlMs).toBeLessThanOrEqual(260); // not reset by the later hit
      await sleep(400);
      expect(await c.get("hits")).toBeUndefined();
      expect((await c.increment("hits", 400)).value).toBe(1);
      expect((await c.increment("neg", 400, -3)).value).toBe(-3);
    });

    it("fixed-window rate limit allows `limit` requests per window", async () => {
      const c = await open();
      const rule = { key: "ip:10.0.0.1", limit: 3, windowMs: 1000 };
      const t0 = 1_700_000_000_000; // a window boundary
      const decisions = [];
      for (let i = 0; i < 5; i++) decisions.push(await fixedWindowRateLimit(c, rule, t0 + 100 + i));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
      expect(decisions[0].remaining).toBe(2);
      expect(decisions[0].resetMs).toBe(900);
      expect((await fixedWindowRateLimit(c, rule, t0 + 1000)).allowed).toBe(true); // next window
      expect((await fixedWindowRateLimit(c, { ...rule, weight: 3 }, t0 + 1001)).allowed).toBe(false); // 1 + 3 > 3
    });

    it("sliding-window rate limit carries the previous window's weight and does not count refusals", async () => {
      const c = await open();
      const rule = { key: "uid:7:orders", limit: 10, windowMs: 1000 };
      const t0 = 1_700_000_000_000;
      for (let i = 0; i < 10; i++) expect((await slidingWindowRateLimit(c, rule, t0 + i)).allowed).toBe(true);
      expect((await slidingWindowRateLimit(c, rule, t0 + 20)).allowed).toBe(false);
      // 250 ms into the next window, 75% of the previous 10 still count: 7 carried, so 3 more fit
      const next = [];
      for (let i = 0; i < 5; i++) next.push(await slidingWindowRateLimit(c, rule, t0 + 1250 + i));
      expect(next.map((d) => d.allowed)).toEqual([true, true, true, false, false]);
      expect(next[2].count).toBe(10);
      // two windows later nothing is carried
      expect((await slidingWindowRateLimit(c, rule, t0 + 3000)).count).toBe(1);
    });
  });
}
