// Service keys from the environment (kit/src/rpc/service-keys.ts): a process's own key, the callers it admits by
// name, several keys per caller for a rotation, and the settings that must fail start-up.
import { describe, expect, it } from "vitest";
import { ConfigError } from "#kit/config/config-error.js";
import { readServiceKeys } from "#kit/rpc/service-keys.js";

const ORDER_KEY = "order-key-0123456789abcdef0123456789";
const NEXT_ORDER_KEY = "order-key-next-0123456789abcdef012345";
const OPS_KEY = "ops-key-0123456789abcdef0123456789abc";

function configError(env: Record<string, string>): ConfigError {
  try {
    readServiceKeys(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("readServiceKeys", () => {
  it("reads the process's own key and names each admitted caller after its variable", () => {
    const keys = readServiceKeys({ EXCHANGE_SERVICE_KEY: ORDER_KEY, EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY, EXCHANGE_CALLER_KEY_OPS: OPS_KEY, EXCHANGE_CALLER_KEY_EDGE: "" });
    expect(keys.own).toBe(ORDER_KEY);
    expect(keys.admitted).toEqual(["ops", "order"]);
    expect(keys.identify(ORDER_KEY)).toBe("order");
    expect(keys.identify(OPS_KEY)).toBe("ops");
    expect(keys.identify(`${OPS_KEY} `)).toBeUndefined();
    expect(keys.identify("")).toBeUndefined();
  });

  it("admits several keys of one caller while it rotates", () => {
    const keys = readServiceKeys({ EXCHANGE_CALLER_KEY_ORDER: `${NEXT_ORDER_KEY}, ${ORDER_KEY}` });
    expect([keys.identify(ORDER_KEY), keys.identify(NEXT_ORDER_KEY)]).toEqual(["order", "order"]);
    expect(keys.admitted).toEqual(["order"]);
  });

  it("admits nothing and has no key when nothing is set", () => {
    const keys = readServiceKeys({});
    expect([keys.own, keys.admitted, keys.identify(ORDER_KEY)]).toEqual([undefined, [], undefined]);
  });

  it("refuses a short or malformed key, naming the setting", () => {
    expect(configError({ EXCHANGE_SERVICE_KEY: "short" })).toMatchObject({ setting: "EXCHANGE_SERVICE_KEY", message: expect.stringContaining("at least 32") });
    expect(configError({ EXCHANGE_CALLER_KEY_ORDER: `${ORDER_KEY},tiny` })).toMatchObject({ setting: "EXCHANGE_CALLER_KEY_ORDER" });
    expect(configError({ EXCHANGE_CALLER_KEY_OPS: `${OPS_KEY} with spaces` })).toMatchObject({ setting: "EXCHANGE_CALLER_KEY_OPS", message: expect.stringContaining("printable ASCII") });
  });

  it("refuses one key admitted under two names: the callee could not tell them apart", () => {
    expect(configError({ EXCHANGE_CALLER_KEY_ORDER: ORDER_KEY, EXCHANGE_CALLER_KEY_OPS: ORDER_KEY })).toMatchObject({ setting: "EXCHANGE_CALLER_KEY_OPS", message: expect.stringContaining("EXCHANGE_CALLER_KEY_ORDER") });
  });
});
