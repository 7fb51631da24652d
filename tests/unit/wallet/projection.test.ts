import { describe, expect, it } from "vitest";
import { decodeHistoryCursor, encodeHistoryCursor, isOlder } from "../../../services/wallet/src/domain/history-cursor.js";
import { balanceChanges, compareBalances, confirmMismatches, mergePositions, SHARD_DONE } from "../../../services/wallet/src/domain/projection.js";
import type { LedgerEvent } from "../../../services/wallet/src/ports/ledger-events.port.js";

// The pure parts of the DynamoDB -> PostgreSQL history projection.

const event = (id: string, entries: [string, string, bigint, bigint][]): LedgerEvent => ({
  transfer: { id, kind: "transfer", fingerprint: "f", result: {}, time: 1 },
  entries: entries.map(([account, asset, available, locked]) => ({ transferId: id, kind: "transfer", account, asset, available, locked, pending: 0n, time: 1 })),
});

describe("history projection decisions", () => {
  it("merges positions per shard without ever moving back (sequence numbers compared as integers)", () => {
    expect(mergePositions({ a: "100", b: "9" }, { a: "99", b: "10", c: "1" })).toEqual({ a: "100", b: "10", c: "1" });
    expect(mergePositions({ a: SHARD_DONE }, { a: "5" })).toEqual({ a: SHARD_DONE });
    expect(mergePositions({ a: "5" }, { a: SHARD_DONE })).toEqual({ a: SHARD_DONE });
    expect(mergePositions({ a: "99999999999999999999999" }, { a: "100000000000000000000000" })).toEqual({ a: "100000000000000000000000" });
  });

  it("sums balance changes per account and asset, leaving the external account out", () => {
    const changes = balanceChanges([event("t1", [["u1", "BTC", 5n, 0n], ["@external", "BTC", -5n, 0n]]), event("t2", [["u1", "BTC", -2n, 2n]])]);
    expect(changes).toEqual([{ account: "u1", asset: "BTC", available: 3n, locked: 2n, pending: 0n }]);
  });

  it("compares balances (missing = zero), skips accounts in flight, confirms only what two rounds agree on", () => {
    const row = (account: string, asset: string, available: bigint) => ({ account, asset, available, locked: 0n, pending: 0n });
    const found = compareBalances([row("u1", "BTC", 5n), row("u2", "BTC", 1n), row("@external", "BTC", -9n)], [row("u1", "BTC", 5n), row("u3", "USDT", 4n), row("u2", "BTC", 2n)], new Set(["u3"]));
    expect(found.map((m) => [m.account, m.projected.available, m.recorded.available])).toEqual([["u2", 1n, 2n]]);
    expect(confirmMismatches([], found)).toEqual([]);
    expect(confirmMismatches(found, found)).toEqual(found);
    const moved = compareBalances([row("u2", "BTC", 1n)], [row("u2", "BTC", 3n)], new Set());
    expect(confirmMismatches(found, moved)).toEqual([]);
  });

  it("orders history by time, transfer id, entry index; a cursor round-trips, ids with ':' and '#' included", () => {
    const position = { time: 1_700_000_000_000, transferId: "deposit:BTC:tx#1", index: 3 };
    expect(decodeHistoryCursor(encodeHistoryCursor(position))).toEqual(position);
    expect(decodeHistoryCursor("")).toBeUndefined();
    expect(() => decodeHistoryCursor("nonsense")).toThrow();
    expect(isOlder({ ...position, index: 2 }, position)).toBe(true);
    expect(isOlder({ ...position, transferId: "a" }, position)).toBe(true);
    expect(isOlder({ ...position, time: position.time + 1, transferId: "a" }, position)).toBe(false);
  });
});
