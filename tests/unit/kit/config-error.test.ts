import { describe, expect, it } from "vitest";
import { ConfigError, configErrorOf, isConnectionFailure, redactUrl, SettingValueError, unreachable } from "#kit/config/config-error.js";
import { envInt } from "#kit/config/env.js";

describe("redactUrl", () => {
  it("hides a URL's password (or a token-only user), and leaves the rest", () => {
    expect(redactUrl("postgres://exchange:s3cret@db:5432/exchange")).toBe("postgres://exchange:***@db:5432/exchange");
    expect(redactUrl("rediss://:token@cache:6379")).toBe("rediss://:***@cache:6379");
    expect(redactUrl("rediss://token@cache:6379")).toBe("rediss://***@cache:6379");
    expect(redactUrl("postgres://db/exchange?user=a@b")).toBe("postgres://db/exchange?user=a@b");
    expect(redactUrl("kafka-1:9092,kafka-2:9092")).toBe("kafka-1:9092,kafka-2:9092");
  });
});

describe("configErrorOf", () => {
  it("finds a ConfigError through the causes that wrap it", () => {
    const error = new ConfigError("WALLET_ADDR", "WALLET_ADDR is not set");
    expect(configErrorOf(new Error("migration failed", { cause: error }), {})).toBe(error);
    expect(configErrorOf(thrown(() => envInt({ PORT: "x" }, "PORT", 1)), {})).toMatchObject({ setting: "PORT", message: 'PORT must be an integer, got "x"' });
  });

  it("names the settings holding a refused value, or says it was a default", () => {
    const cause = Object.assign(new Error("wrapper"), { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") });
    const error = new Error("migration order/? failed", { cause: unreachable("PostgreSQL", "postgres://u:pw@127.0.0.1:1/db", cause) });
    const env = { ORDER_DATABASE_URL: "postgres://u:pw@127.0.0.1:1/db", AUTH_DATABASE_URL: "postgres://u:pw@127.0.0.1:1/db", OTHER: "x" };
    expect(configErrorOf(error, env)).toMatchObject({
      setting: "AUTH_DATABASE_URL, ORDER_DATABASE_URL",
      message: "AUTH_DATABASE_URL, ORDER_DATABASE_URL: cannot connect to PostgreSQL at postgres://u:***@127.0.0.1:1/db: connect ECONNREFUSED 127.0.0.1:1",
    });
    expect(configErrorOf(new SettingValueError("sqlite:/x", "unusable"), {})).toMatchObject({ setting: "a default setting" });
  });

  it("is undefined for anything else: a bug keeps its stack", () => {
    expect(configErrorOf(new TypeError("x is undefined"), { A: "x is undefined" })).toBeUndefined();
    expect(configErrorOf("a string", {})).toBeUndefined();
  });
});

describe("isConnectionFailure", () => {
  it("is a connection not made (refused, no host, timed out), however deeply wrapped; not an answer that says no", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    expect(isConnectionFailure(refused)).toBe(true);
    expect(isConnectionFailure(new Error("retries exceeded", { cause: Object.assign(new Error("getaddrinfo"), { code: "ENOTFOUND" }) }))).toBe(true);
    expect(isConnectionFailure(Object.assign(new Error("AccessDeniedException"), { code: "AccessDenied" }))).toBe(false);
    expect(isConnectionFailure(new Error("relation does not exist"))).toBe(false);
  });
});

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("did not throw");
}
