import { describe, expect, it } from "vitest";
import { signedParts, withoutSignature } from "../../../edge/src/auth/signed-request.js";
import { unitsToDecimal } from "../../../edge/src/rest/binance.mapper.js";
import { MemoryCache } from "#kit/adapters/cache.memory.js";
import { RateLimiter } from "../../../edge/src/rate-limit/rate-limiter.js";

describe("signed payload", () => {
  it("is the query string concatenated with the body, both as sent, without signature (Binance totalParams)", () => {
    expect(signedParts("k", "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC", "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=abc")).toEqual({
      apiKey: "k",
      payload: "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
      signature: "abc",
    });
    expect(signedParts("k", "a=1&timestamp=2&signature=x%2By%3D", "").signature).toBe("x%2By%3D");
    expect(withoutSignature("signature=s&a=1")).toEqual({ rest: "a=1", signature: "s" });
  });

  it("needs the API key header (-2014) and a signature (-1102)", () => {
    expect(() => signedParts(undefined, "timestamp=1&signature=a", "")).toThrow(expect.objectContaining({ key: "BAD_API_KEY_FORMAT" }));
    expect(() => signedParts("k", "timestamp=1", "")).toThrow(expect.objectContaining({ key: "MANDATORY_PARAM_EMPTY_OR_MALFORMED" }));
  });
});

describe("ticks and lots to decimals", () => {
  it("multiplies exactly in bigint at the asset precision", () => {
    expect(unitsToDecimal("3000000", "0.01", 8)).toBe("30000.00000000");
    expect(unitsToDecimal("20000", "0.00001", 8)).toBe("0.20000000");
    expect(unitsToDecimal("123456789012345678901", "0.0001", 18)).toBe("12345678901234567.890100000000000000");
    expect(unitsToDecimal("7", "0.000000001", 8)).toBe("0.000000007");
    expect(unitsToDecimal("3", "0.1", 0)).toBe("0.3");
  });
});

describe("rate limiter", () => {
  it("counts weight per IP in one-minute windows and refuses with -1003 and a retry time", async () => {
    let now = 60_000 * 1000 + 45_000;
    const limiter = new RateLimiter(new MemoryCache({ now: () => now, sweepMs: 0 }), { ipWeightPerMinute: 10, apiKeyWeightPerMinute: 10, ordersPer10s: 1, ordersPerDay: 5 }, () => now);
    expect((await limiter.admitIp("1.2.3.4", 6)).headers["X-MBX-USED-WEIGHT-1M"]).toBe("6");
    const over = await limiter.admitIp("1.2.3.4", 5);
    expect(over.refused?.spec.binance).toBe(-1003);
    expect(over.refused?.metadata.retryAfterMs).toBe("15000");
    expect((await limiter.admitIp("5.6.7.8", 5)).refused).toBeUndefined();
    now += 15_000;
    expect((await limiter.admitIp("1.2.3.4", 5)).refused).toBeUndefined();
    expect((await limiter.admitOrder("u")).refused).toBeUndefined();
    expect((await limiter.admitOrder("u")).refused?.spec.http).toBe(429);
  });

  it("counts an order list as its orders: an OCO 2, an OTOCO 3, refused when they do not all fit", async () => {
    const now = 10_000 * 1000;
    const limiter = new RateLimiter(new MemoryCache({ now: () => now, sweepMs: 0 }), { ipWeightPerMinute: 10, apiKeyWeightPerMinute: 10, ordersPer10s: 6, ordersPerDay: 100 }, () => now);
    const oco = await limiter.admitOrder("u", 2);
    expect([oco.refused, oco.headers["X-MBX-ORDER-COUNT-10S"], oco.headers["X-MBX-ORDER-COUNT-1D"]]).toEqual([undefined, "2", "2"]);
    const otoco = await limiter.admitOrder("u", 3);
    expect([otoco.refused, otoco.headers["X-MBX-ORDER-COUNT-10S"]]).toEqual([undefined, "5"]);
    const another = await limiter.admitOrder("u", 2);
    expect(another.refused?.spec.binance).toBe(-1015);
  });

  it("gives a placement's orders back to the windows it was counted in, even once the clock has moved to the next", async () => {
    let now = 10_000 * 1000 + 9_000;
    const limiter = new RateLimiter(new MemoryCache({ now: () => now, sweepMs: 0 }), { ipWeightPerMinute: 10, apiKeyWeightPerMinute: 10, ordersPer10s: 3, ordersPerDay: 100 }, () => now);
    await limiter.admitOrder("u");
    const refused = await limiter.admitOrder("u", 2);
    expect(refused.headers).toEqual({ "X-MBX-ORDER-COUNT-10S": "3", "X-MBX-ORDER-COUNT-1D": "3" });
    expect((await refused.giveBack()).headers).toEqual({ "X-MBX-ORDER-COUNT-10S": "1", "X-MBX-ORDER-COUNT-1D": "1" });
    // Over the limit: counted, refused -1015, and given back like any refusal.
    const over = await limiter.admitOrder("u", 3);
    expect(over.refused?.spec.binance).toBe(-1015);
    const late = await limiter.admitOrder("u");
    now += 2_000; // the next 10 s window: the give-back still lands in the one it was counted in
    expect((await over.giveBack()).usage.map((u) => u.count)).toEqual([2, 2]);
    expect((await late.giveBack()).usage.map((u) => u.count)).toEqual([1, 1]);
    expect((await limiter.orderUsage("u")).map((u) => u.count)).toEqual([0, 1]);
  });
});
