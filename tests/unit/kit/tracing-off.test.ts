import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { clientTracingInterceptors, currentTraceParent, serverTracingInterceptors, traceFields, tracedMethods, tracingEnabled, withSpan } from "#kit/telemetry/tracing.js";

// Tracing is off unless an OTLP endpoint is configured (this process configures none): then nothing of it may
// sit on the order path, and logging must work exactly as before.
describe("tracing when not configured", () => {
  it("installs no interceptor and no proxy, and runs work as is", async () => {
    expect(tracingEnabled()).toBe(false);
    expect(serverTracingInterceptors()).toEqual([]);
    expect(clientTracingInterceptors()).toEqual([]);
    const store = { commit: async () => 42 };
    expect(tracedMethods(store, "store", ["commit"])).toBe(store);
    expect(await withSpan("work", undefined, async () => "done")).toBe("done");
    expect(currentTraceParent()).toBe("");
  });

  it("leaves log lines with their own fields (pino merges them into the mixin's object)", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const logger = pino({ mixin: traceFields }, sink);
    logger.warn({ err: new Error("boom"), symbol: "BTCUSDT" }, "first");
    logger.warn({ symbol: "ETHUSDT" }, "second");
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({ msg: "first", symbol: "BTCUSDT", err: { message: "boom" } });
    expect(second).toMatchObject({ msg: "second", symbol: "ETHUSDT" });
    expect(second).not.toHaveProperty("err");
    expect(second).not.toHaveProperty("trace_id");
  });
});
