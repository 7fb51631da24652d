import { describe, expect, it } from "vitest";
import { readEdgeConfig } from "../../../edge/src/main.js";

// Where the edge counts rate limits comes from EDGE_RATE_LIMIT_REDIS_URL; one budget across two
// edges on the real Redis, and what happens while it fails, are in
// tests/integration/edge/rate-limits.redis.test.ts.

const directory = { transport: () => undefined as never };

describe("EDGE_RATE_LIMIT_REDIS_URL", () => {
  it("is unset by default: counters in this process's memory", () => {
    expect(readEdgeConfig({}, directory).rateLimitRedis).toBeUndefined();
    expect(readEdgeConfig({ EDGE_RATE_LIMIT_REDIS_URL: "" }, directory).rateLimitRedis).toBeUndefined();
  });

  it("takes a redis:// or rediss:// URL, with the key prefix and the command timeout", () => {
    expect(readEdgeConfig({ EDGE_RATE_LIMIT_REDIS_URL: "rediss://:token@cache.example:6379" }, directory).rateLimitRedis).toEqual({
      url: "rediss://:token@cache.example:6379",
      keyPrefix: "edge:rate-limit:",
      commandTimeoutMs: 250,
    });
    expect(
      readEdgeConfig({ EDGE_RATE_LIMIT_REDIS_URL: "redis://127.0.0.1:6379", EDGE_RATE_LIMIT_REDIS_PREFIX: "x:", EDGE_RATE_LIMIT_REDIS_TIMEOUT_MS: "100" }, directory).rateLimitRedis,
    ).toEqual({ url: "redis://127.0.0.1:6379", keyPrefix: "x:", commandTimeoutMs: 100 });
  });

  it("refuses anything else without printing it, and names the chart's unexpanded $(EXCHANGE_REDIS_URL)", () => {
    expect(() => readEdgeConfig({ EDGE_RATE_LIMIT_REDIS_URL: "http://:hunter2@cache.example" }, directory)).toThrow(/^EDGE_RATE_LIMIT_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/);
    expect(() => readEdgeConfig({ EDGE_RATE_LIMIT_REDIS_URL: "$(EXCHANGE_REDIS_URL)" }, directory)).toThrow(/^EDGE_RATE_LIMIT_REDIS_URL holds an unexpanded Kubernetes reference.*EXCHANGE_REDIS_URL/);
  });
});
