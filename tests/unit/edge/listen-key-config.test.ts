import { describe, expect, it } from "vitest";
import { readEdgeConfig } from "../../../edge/src/main.js";

// Where the edge keeps listen keys comes from EDGE_LISTEN_KEY_REDIS_URL; the Redis store itself is
// tested against the real Redis (tests/integration/edge/listen-keys.redis.test.ts).

const directory = { transport: () => undefined as never };

describe("EDGE_LISTEN_KEY_REDIS_URL", () => {
  it("is unset by default: listen keys in this process's memory", () => {
    expect(readEdgeConfig({}, directory).listenKeyRedis).toBeUndefined();
  });

  it("takes a redis:// or rediss:// URL, with the key prefix and the expiry check interval", () => {
    expect(readEdgeConfig({ EDGE_LISTEN_KEY_REDIS_URL: "rediss://:token@cache.example:6379" }, directory).listenKeyRedis).toEqual({
      url: "rediss://:token@cache.example:6379",
      keyPrefix: "edge:listen-key:",
      checkIntervalMs: 2_000,
    });
    expect(readEdgeConfig({ EDGE_LISTEN_KEY_REDIS_URL: "redis://127.0.0.1:6379", EDGE_LISTEN_KEY_REDIS_PREFIX: "x:", EDGE_LISTEN_KEY_CHECK_MS: "500" }, directory).listenKeyRedis).toEqual({
      url: "redis://127.0.0.1:6379",
      keyPrefix: "x:",
      checkIntervalMs: 500,
    });
  });

  it("refuses anything else without printing it, and names the chart's unexpanded $(EXCHANGE_REDIS_URL)", () => {
    expect(() => readEdgeConfig({ EDGE_LISTEN_KEY_REDIS_URL: "http://:hunter2@cache.example" }, directory)).toThrow(/^EDGE_LISTEN_KEY_REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL$/);
    expect(() => readEdgeConfig({ EDGE_LISTEN_KEY_REDIS_URL: "$(EXCHANGE_REDIS_URL)" }, directory)).toThrow(/unexpanded Kubernetes reference.*EXCHANGE_REDIS_URL/);
  });
});
