import { describe, expect, it } from "vitest";
import { ManualClock } from "#kit/clock/clock.js";
import type { AuditLog, AuditRecord } from "#kit/ports/audit-log.port.js";
import { openDatabase } from "#kit/db/database.js";
import { auditJson } from "#kit/ports/audit-log.port.js";
import { DomainError } from "#kit/errors/domain-error.js";
import { SqlFeeTierStore } from "../../../services/wallet/src/adapters/fee-tier-store.sql.js";
import { AssignFeeTiers } from "../../../services/wallet/src/domain/assign-fee-tiers.use-case.js";
import { dayOf, effectiveTier, volumeInWindow, windowStart } from "../../../services/wallet/src/domain/fee-tier-assignment.js";
import { FeeTierBook } from "../../../services/wallet/src/domain/fee-tier-book.js";
import { FeeSchedule } from "../../../services/wallet/src/domain/fees.js";
import { OverrideFeeTier } from "../../../services/wallet/src/domain/override-fee-tier.use-case.js";
import { recordingVolume, TradeVolumeRecorder } from "../../../services/wallet/src/domain/record-trade-volume.js";
import { makeCommand, type Outcome, type SettleTrade } from "../../../services/wallet/src/domain/ledger.js";

// Fee tiers from 30-day volume: thresholds at their edges, the rolling window's boundary on a fake clock,
// an override winning until cleared, and settlements' volume reaching the store once.

const DAY = 86_400_000;
const T0 = Date.UTC(2024, 2, 10, 12); // 2024-03-10 12:00 UTC
const schedule = new FeeSchedule(
  [
    { tier: 0, makerBps: 10, takerBps: 10, minVolume: 0n },
    { tier: 1, makerBps: 8, takerBps: 10, minVolume: 1000n },
    { tier: 2, makerBps: 5, takerBps: 7, minVolume: 5000n },
    { tier: 9, makerBps: 0, takerBps: 0 }, // by override only
  ],
  "USDT",
);

class ListAudit implements AuditLog {
  readonly records: AuditRecord[] = [];
  async append(record: AuditRecord) {
    this.records.push(record);
    return { id: this.records.length, time: record.time, actor: record.actor, action: record.action, target: record.target, reason: record.reason, beforeJson: auditJson(record.before), afterJson: auditJson(record.after) };
  }
  async list() {
    return [];
  }
}

async function setup() {
  const clock = new ManualClock(T0);
  const store = await SqlFeeTierStore.open(openDatabase("sqlite::memory:"));
  const book = new FeeTierBook(store);
  const audit = new ListAudit();
  const deps = { store, book, schedule, clock, audit };
  return { clock, store, book, audit, assign: new AssignFeeTiers(deps), overrides: new OverrideFeeTier(deps) };
}

const trade = (tradeId: string, at: number, buyer: string, seller: string, quote: bigint) => ({ tradeId, day: dayOf(at), quoteAsset: "USDT", accounts: [buyer, seller] as const, quote });

describe("the schedule's volume thresholds", () => {
  it("puts a volume on the highest tier whose threshold it reaches (the threshold itself counts)", () => {
    expect([0n, 999n, 1000n, 4999n, 5000n, 10n ** 30n].map((v) => schedule.tierForVolume(v))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it("lists every tier; a tier without a threshold is reached only by override", () => {
    expect(schedule.list().map((t) => [t.tier, t.minVolume])).toEqual([[0, 0n], [1, 1000n], [2, 5000n], [9, -1n]]);
    expect(schedule.has(9)).toBe(true);
    expect(schedule.has(3)).toBe(false);
  });
});

describe("the 30-day window", () => {
  it("counts today and the 29 days before; the 30th day back is out", () => {
    expect(windowStart(T0)).toBe("2024-02-10");
    const daily = [
      { day: "2024-02-09", volume: 1n },
      { day: "2024-02-10", volume: 10n },
      { day: "2024-03-10", volume: 100n },
      { day: "2024-03-11", volume: 1000n }, // tomorrow: not yet
    ];
    expect(volumeInWindow(daily, T0)).toBe(110n);
    expect(volumeInWindow(daily, Date.UTC(2024, 2, 10, 23, 59, 59, 999))).toBe(110n);
    expect(volumeInWindow(daily, Date.UTC(2024, 2, 11))).toBe(1100n);
  });

  it("keeps an account on its tier while the volume is inside the window and drops it the day it leaves", async () => {
    const { clock, store, book, assign } = await setup();
    await store.recordTrades([trade("t1", T0, "alice", "bob", 600n), trade("t2", T0 + DAY, "alice", "carol", 400n)]);
    clock.set(T0 + DAY);
    expect(await assign.execute()).toEqual([
      { account: "alice", before: 0, after: 1 },
    ]);
    expect(await book.tier("alice")).toBe(1);
    expect(await book.tier("bob")).toBe(0);
    clock.set(T0 + 29 * DAY); // t1's day is the window's first
    expect(await assign.execute()).toEqual([]);
    expect(await book.tier("alice")).toBe(1);
    clock.set(T0 + 30 * DAY); // t1 has left it: 400 left
    expect(await assign.execute()).toEqual([{ account: "alice", before: 1, after: 0 }]);
    expect(await book.tier("alice")).toBe(0);
  });
});

describe("overrides", () => {
  it("win over the volume tier until cleared; the volume tier moves underneath", async () => {
    const { clock, store, book, assign, overrides, audit } = await setup();
    await store.recordTrades([trade("t1", T0, "alice", "bob", 1500n)]);
    await assign.execute();
    expect(await book.tier("alice")).toBe(1);

    const set = await overrides.set({ userId: "ops-1" }, "alice", 9, "market maker programme");
    expect(set.account).toMatchObject({ tier: 9, makerBps: 0, takerBps: 0, volumeTier: 1, volume: 1500n, override: { tier: 9, actor: "ops-1", reason: "market maker programme", time: T0 } });
    expect(await book.tier("alice")).toBe(9);
    expect(audit.records[0]).toMatchObject({ actor: "ops-1", action: "fee-tier.override.set", target: "alice", reason: "market maker programme", before: { tier: 1, override: null }, after: { tier: 9 } });

    await store.recordTrades([trade("t2", T0, "alice", "bob", 5000n)]);
    await assign.execute();
    expect(await book.tier("alice")).toBe(9); // the override still wins
    expect((await overrides.view("alice")).volumeTier).toBe(2);

    clock.advance(60_000);
    const cleared = await overrides.clear({ userId: "ops-2" }, "alice", "programme ended");
    expect(cleared.account).toMatchObject({ tier: 2, volumeTier: 2 });
    expect(cleared.account.override).toBeUndefined();
    expect(await book.tier("alice")).toBe(2);
    expect(audit.records[1]).toMatchObject({ actor: "ops-2", action: "fee-tier.override.clear", before: { tier: 9 }, after: { tier: 2, override: null } });
  });

  it("clearing an override puts the account on what its volume earns now, even before a recompute", async () => {
    const { store, book, overrides } = await setup();
    await overrides.set({ userId: "ops" }, "dave", 0, "suspended from VIP");
    await store.recordTrades([trade("t1", T0, "dave", "erin", 5000n)]);
    expect((await overrides.clear({ userId: "ops" }, "dave", "restored")).account.tier).toBe(2);
    expect(await book.tier("dave")).toBe(2);
  });

  it("refuse an unknown tier, an exchange account, and clearing no override, changing nothing", async () => {
    const { store, book, overrides, audit } = await setup();
    const refused = async (call: Promise<unknown>, code: string) => {
      const error = await call.then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).key).toBe(code);
    };
    await refused(overrides.set({ userId: "ops" }, "alice", 3, "no such tier"), "INVALID_PARAMETER");
    await refused(overrides.set({ userId: "ops" }, "@fees", 2, "exchange account"), "INVALID_PARAMETER");
    await refused(overrides.clear({ userId: "ops" }, "alice", "nothing to clear"), "INVALID_STATE");
    expect(await store.assignments()).toEqual([]);
    expect(await book.tier("alice")).toBe(0);
    expect(audit.records).toEqual([]);
  });

  it("the effective tier is the override's when there is one", () => {
    expect(effectiveTier(undefined)).toBe(0);
    expect(effectiveTier({ volumeTier: 2 })).toBe(2);
    expect(effectiveTier({ volumeTier: 2, override: { tier: 0, reason: "r", actor: "a", time: 1 } })).toBe(0);
  });
});

describe("recording settled volume", () => {
  const settle = (tradeId: string, time: number, quote: bigint): ReturnType<typeof makeCommand> => {
    const t: SettleTrade = { tradeId, symbol: "BTCUSDT", baseAsset: "BTC", quoteAsset: "USDT", buyer: "alice", seller: "bob", buyerHoldId: "", sellerHoldId: "", base: 1n, quote, buyerIsMaker: true };
    return makeCommand(tradeId, time, { kind: "settle", trade: t, buyerFeeBps: 10, sellerFeeBps: 10 });
  };

  it("records each successful settlement once, on its ledger-clock day, whichever way it went through the executor", async () => {
    const { store } = await setup();
    const recorder = new TradeVolumeRecorder(store);
    const ok: Outcome = { ok: true, duplicate: false, result: {} };
    const inner = {
      execute: async (commands: readonly unknown[]) => commands.map((_, i) => (i === 1 ? { ok: false as const, error: new Error("no hold") } : ok)),
      submit: async () => ok,
    };
    const executor = recordingVolume(inner, recorder);
    await executor.execute([settle("a", T0, 100n), settle("b", T0, 1000n), settle("c", T0 + DAY, 10n)]);
    await executor.submit!(settle("d", T0, 1n));
    await executor.submit!(makeCommand("hold:x", T0, { kind: "void", holdId: "x", expire: false }));
    expect(recorder.pending).toBe(3);
    await recorder.flush();
    await executor.execute([settle("a", T0, 100n)]); // seen again: nothing more
    await recorder.flush();
    expect(await store.dailyVolumes("alice", "USDT", "2024-01-01")).toEqual([{ day: "2024-03-10", volume: 101n }, { day: "2024-03-11", volume: 10n }]);
  });

  it("keeps what a failed write took for the next flush", async () => {
    let fail = true;
    const written: string[] = [];
    const recorder = new TradeVolumeRecorder({
      recordTrades: async (trades) => {
        if (fail) throw new Error("store down");
        written.push(...trades.map((t) => t.tradeId));
      },
    });
    recorder.observe([settle("a", T0, 1n)], [{ ok: true, duplicate: false, result: {} }]);
    await expect(recorder.flush()).rejects.toThrow("store down");
    recorder.observe([settle("b", T0, 1n)], [{ ok: true, duplicate: false, result: {} }]);
    fail = false;
    await recorder.flush();
    expect(written).toEqual(["a", "b"]);
  });
});
