import { describe, expect, it } from "vitest";
import { readAuthConfig } from "../../../services/auth/src/main.js";

// Which ReplayCache auth uses comes from AUTH_REPLAY_CACHE_URL; the Redis adapter itself is tested
// against the real Redis in tests/integration/auth/replay-cache.redis.test.ts.

describe("AUTH_REPLAY_CACHE_URL", () => {
  it("is unset by default: the per-process memory cache (embedded mode, one replica)", () => {
    const config = readAuthConfig({}, "/tmp/data");
    expect(config.replayCacheUrl).toBeUndefined();
    expect(config.replayCachePrefix).toBe("auth:replay:");
  });

  it("takes a redis:// or rediss:// URL and a key prefix", () => {
    expect(readAuthConfig({ AUTH_REPLAY_CACHE_URL: "rediss://:token@cache.example:6379", AUTH_REPLAY_CACHE_PREFIX: "x:" }, "/tmp/data")).toMatchObject({
      replayCacheUrl: "rediss://:token@cache.example:6379",
      replayCachePrefix: "x:",
    });
    expect(readAuthConfig({ AUTH_REPLAY_CACHE_URL: "redis://127.0.0.1:6379" }, "/tmp/data").replayCacheUrl).toBe("redis://127.0.0.1:6379");
  });

  it("fails start-up on anything else, without printing a URL that may hold a password", () => {
    expect(() => readAuthConfig({ AUTH_REPLAY_CACHE_URL: "http://:hunter2@cache.example" }, "/tmp/data")).toThrow(/^AUTH_REPLAY_CACHE_URL must be a redis:\/\/ or rediss:\/\/ URL$/);
    // The chart's $(EXCHANGE_REDIS_URL) stays literal when config.EXCHANGE_REDIS_URL is empty.
    expect(() => readAuthConfig({ AUTH_REPLAY_CACHE_URL: "$(EXCHANGE_REDIS_URL)" }, "/tmp/data")).toThrow(/unexpanded Kubernetes reference.*EXCHANGE_REDIS_URL/);
  });
});
