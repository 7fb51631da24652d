import { describe, expect, it } from "vitest";
import { AppliedSequences } from "../../../services/order/src/domain/applied-sequences.js";

describe("AppliedSequences' rejection reasons", () => {
  it("hands a reason to its caller once, and forgets the oldest untaken ones beyond 10,000", () => {
    const progress = new AppliedSequences(1_000);
    progress.rejected("BTCUSDT", 1, "WOULD_TAKE");
    expect(progress.takeRejection("BTCUSDT", 1)).toBe("WOULD_TAKE");
    expect(progress.takeRejection("BTCUSDT", 1)).toBeUndefined();
    for (let orderId = 1; orderId <= 10_001; orderId += 1) progress.rejected("BTCUSDT", orderId, `R${orderId}`);
    expect(progress.takeRejection("BTCUSDT", 1)).toBeUndefined();
    expect(progress.takeRejection("BTCUSDT", 2)).toBe("R2");
    expect(progress.takeRejection("BTCUSDT", 10_001)).toBe("R10001");
  });
});
