import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { defaultLobsterDir, replayLobster } from "../../../services/matching/src/tools/lobster-replay.js";

const dir = defaultLobsterDir();

describe("LOBSTER GOOG 2012-06-21 (Nasdaq, level 5) replay", () => {
  it("finds the data (LOBSTER_DIR, ../shared/data/lobster beside the checkout, or /work/shared/data/lobster)", () => {
    expect(existsSync(dir)).toBe(true);
  });

  it("every derivable level matches the orderbook file, row by row", () => {
    const r = replayLobster(dir);
    expect(r.messages).toBe(20_000);
    expect(r.mismatchSamples).toEqual([]);
    expect(r.mismatches).toBe(0);
    // every row is compared except rows inside a multi-execution burst (compared at the burst's end)
    expect(r.rowsCompared + (r.burstExecutions - r.bursts) + r.burstsWithRestingRemainder).toBe(r.messages - 1);
    expect(r.levelsCompared).toBe(191_622);
    // levels that entered the window from beyond depth 5 (taken from the orderbook file) and their reconciliation
    expect(r.revealedLevels).toBe(7_108);
    expect(r.injectedRows).toBe(1_008);
    expect(r.injectedLevels).toBe(589);
    expect(r.staleLevelsRemoved).toBe(920);
    expect(r.bursts).toBe(621);
    expect(r.burstExecutions).toBe(741);
    expect(r.hiddenExecutions).toBe(606);
    // queue position of liquidity injected from the orderbook file is unknown: a few fills hit another maker at the
    // same level (level totals still match)
    expect(r.fillAttributionMismatches).toBeLessThanOrEqual(33);
  });
});
