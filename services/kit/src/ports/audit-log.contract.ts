/** The one contract suite every AuditLog adapter passes. `open()` returns an empty log. */
import { afterEach, describe, expect, it } from "vitest";
import type { AuditLog } from "./audit-log.port.js";

export interface AuditLogHarness {
  open(): Promise<{ log: AuditLog; close(): Promise<void> }>;
}

export function auditLogContract(engine: string, harness: () => AuditLogHarness): void {
  describe(`AuditLog contract: ${engine}`, () => {
    let close: (() => Promise<void>) | undefined;
    const open = async () => {
      const opened = await harness().open();
      close = opened.close;
      return opened.log;
    };
    afterEach(async () => {
      await close?.();
      close = undefined;
    });

    it("appends entries with increasing ids and keeps who, when, why, before and after", async () => {
      const log = await open();
      const first = await log.append({ time: 1_000, actor: "op-1", action: "symbol.halt", target: "BTCUSDT", reason: "incident 7", before: { status: "TRADING" }, after: { status: "HALT" } });
      const second = await log.append({ time: 2_000, actor: "op-2", action: "symbol.add", target: "SOLUSDT", reason: "listing", after: { units: 10n ** 20n } });
      expect(first).toEqual({ id: first.id, time: 1_000, actor: "op-1", action: "symbol.halt", target: "BTCUSDT", reason: "incident 7", beforeJson: '{"status":"TRADING"}', afterJson: '{"status":"HALT"}' });
      expect(second.id).toBeGreaterThan(first.id);
      expect(second.beforeJson).toBe("");
      expect(second.afterJson).toBe('{"units":"100000000000000000000"}');
    });

    it("lists newest first, by pages below an id", async () => {
      const log = await open();
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await log.append({ time: i, actor: "op", action: "a", target: `t${i}`, reason: "r" })).id);
      const page1 = await log.list({ limit: 2 });
      expect(page1.map((e) => e.target)).toEqual(["t4", "t3"]);
      const page2 = await log.list({ beforeId: page1[1]!.id, limit: 10 });
      expect(page2.map((e) => e.target)).toEqual(["t2", "t1", "t0"]);
      expect(await log.list({ beforeId: ids[0], limit: 10 })).toEqual([]);
    });

    it("offers no way to change or remove an entry", async () => {
      const log = await open();
      const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(log)).filter((name) => name !== "constructor");
      expect(methods.sort()).toEqual(["append", "list"]);
    });
  });
}
