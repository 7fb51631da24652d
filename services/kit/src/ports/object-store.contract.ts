/** The one contract suite every ObjectStore adapter passes. `open()` returns an ensured store private to this run. */
import { describe, it, expect, afterEach } from "vitest";
import type { ObjectStore } from "./object-store.port.js";

export interface ObjectStoreHarness {
  open(): Promise<ObjectStore>;
  /** GETs a URL from presign (default: fetch). */
  download?(store: ObjectStore, url: string): Promise<{ status: number; body: Uint8Array }>;
}

async function fetchBytes(_store: ObjectStore, url: string): Promise<{ status: number; body: Uint8Array }> {
  const response = await fetch(url);
  return { status: response.status, body: new Uint8Array(await response.arrayBuffer()) };
}

export function objectStoreContract(engine: string, makeHarness: () => ObjectStoreHarness): void {
  describe(`ObjectStore contract: ${engine}`, () => {
    let store: ObjectStore | undefined;
    let harness: ObjectStoreHarness | undefined;
    const open = async () => {
      harness = makeHarness();
      store = await harness.open();
      await store.ensure();
      await store.ensure(); // idempotent
      return store;
    };
    afterEach(async () => {
      await store?.close();
      store = undefined;
    });

    it("puts, gets, heads and deletes, keeping bytes, content type and metadata", async () => {
      const s = await open();
      const bytes = new Uint8Array(256).map((_, i) => i);
      await s.put("snapshots/BTCUSDT/000042.bin", bytes, { contentType: "application/x-snapshot", metadata: { seq: "42", symbol: "BTCUSDT" } });
      const got = await s.get("snapshots/BTCUSDT/000042.bin");
      expect(got).toBeDefined();
      expect([...got!.body]).toEqual([...bytes]);
      expect(got!.size).toBe(256);
      expect(got!.contentType).toBe("application/x-snapshot");
      expect(got!.metadata).toEqual({ seq: "42", symbol: "BTCUSDT" });
      const head = await s.head("snapshots/BTCUSDT/000042.bin");
      expect(head).toMatchObject({ key: "snapshots/BTCUSDT/000042.bin", size: 256, contentType: "application/x-snapshot", metadata: { seq: "42", symbol: "BTCUSDT" } });
      expect(head!.lastModified.getTime()).toBeGreaterThan(Date.now() - 600_000);

      await s.put("statements/2024-01/u1.csv", "asset,amount\nBTC,0.00000001\n", { contentType: "text/csv" });
      expect(new TextDecoder().decode((await s.get("statements/2024-01/u1.csv"))!.body)).toBe("asset,amount\nBTC,0.00000001\n");
      expect((await s.head("statements/2024-01/u1.csv"))!.metadata).toEqual({});

      await s.delete("snapshots/BTCUSDT/000042.bin");
      expect(await s.get("snapshots/BTCUSDT/000042.bin")).toBeUndefined();
      expect(await s.head("snapshots/BTCUSDT/000042.bin")).toBeUndefined();
      await s.delete("snapshots/BTCUSDT/000042.bin"); // missing: fine
      expect(await s.get("never/was")).toBeUndefined();
    });

    it("overwrites an object as a whole", async () => {
      const s = await open();
      await s.put("a/b", "first version, longer");
      await s.put("a/b", "second", { contentType: "text/plain" });
      const got = await s.get("a/b");
      expect(new TextDecoder().decode(got!.body)).toBe("second");
      expect(got!.contentType).toBe("text/plain");
      expect((await s.head("a/b"))!.size).toBe(6);
    });

    it("lists by prefix in key order, paginated, with a key that is also a prefix of others", async () => {
      const s = await open();
      const keys = ["archive/2024/01/d1", "archive/2024/01/d2", "archive/2024/02/d1", "archive/2024", "archive/2025/x", "other/1", "archive/2024/01/d10"];
      for (const k of keys) await s.put(k, k);
      const all = await s.list("archive/2024");
      expect(all.items.map((i) => i.key)).toEqual(["archive/2024", "archive/2024/01/d1", "archive/2024/01/d10", "archive/2024/01/d2", "archive/2024/02/d1"]);
      expect(all.cursor).toBeUndefined();
      expect(all.items[0].size).toBe("archive/2024".length);
      expect((await s.list("archive/2024/")).items).toHaveLength(4);
      expect((await s.list("nothing/")).items).toEqual([]);

      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const page = await s.list("archive/", { limit: 2, cursor });
        pages.push(page.items.map((i) => i.key));
        cursor = page.cursor;
      } while (cursor);
      expect(pages.flat()).toEqual(["archive/2024", "archive/2024/01/d1", "archive/2024/01/d10", "archive/2024/01/d2", "archive/2024/02/d1", "archive/2025/x"]);
      expect(pages[0]).toHaveLength(2);
    });

    it("rejects keys with empty, . or .. segments", async () => {
      const s = await open();
      for (const bad of ["", "/abs", "a//b", "a/../b", "./a", "a/"]) await expect(s.put(bad, "x")).rejects.toThrow();
    });

    it("hands out a URL that downloads the object's bytes, and refuses it once altered", async () => {
      const s = await open();
      const body = "date,asset,amount\n2026-12-01,BTC,0.00000001\n";
      await s.put("statements/account=a-1/month=2026-12/statement.csv", body, { contentType: "text/csv" });
      const url = await s.presign("statements/account=a-1/month=2026-12/statement.csv", { expiresInSec: 300, downloadName: "statement-2026-12.csv" });
      const download = harness!.download ?? fetchBytes;
      const got = await download(s, url);
      expect(got.status).toBe(200);
      expect(Buffer.from(got.body).toString("utf8")).toBe(body);
      const tampered = url.replace("month%3D2026-12", "month%3D2026-11").replace("month=2026-12", "month=2026-11");
      expect(tampered).not.toBe(url);
      expect((await download(s, tampered)).status).toBe(403);
    });
  });
}
