import { describe, expect, it } from "vitest";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { OrderStatus, Side } from "#gen/exchange/common/v1/common_pb.js";
import { OrderSchema } from "#gen/exchange/order/v1/order_pb.js";
import { ackViolation, type Ack } from "../../bench/e2e/acks.js";
import { parseH2load } from "../../bench/e2e/h2load.js";
import { parseOptions } from "../../bench/e2e/options.js";
import { spreadOf } from "../../bench/e2e/report.js";

// The pure parts of the end-to-end bench (tests/bench/e2e): what it counts as a consistent
// acknowledged order, how it summarizes repeats, how it reads h2load and its flags. The whole bench
// runs in CI as `npm run bench:e2e -- --smoke`.

const ack: Ack = { accountId: "u1", orderId: 7n, clientOrderId: "a1-0-3", side: "BUY", priceUnits: 3_000_000_000_000n, qtyUnits: 100_000n, status: "NEW", executedUnits: 0n };
const stored = (fields: MessageInitShape<typeof OrderSchema> = {}) =>
  create(OrderSchema, { accountId: "u1", orderId: 7n, clientOrderId: "a1-0-3", side: Side.BUY, price: "30000.00000000", origQty: "0.00100000", executedQty: "0.00100000", status: OrderStatus.FILLED, ...fields });

describe("an acknowledged order, checked against the stored one", () => {
  it("accepts the same order, final, filled at most its quantity and at least what was acknowledged", () => {
    expect(ackViolation(ack, stored())).toBe("");
    expect(ackViolation(ack, stored({ status: OrderStatus.CANCELED, executedQty: "0" }))).toBe("");
  });

  it("names what is wrong", () => {
    expect(ackViolation(ack, undefined)).toMatch(/acknowledged but not stored/);
    expect(ackViolation(ack, stored({ clientOrderId: "other" }))).toMatch(/client order id other/);
    expect(ackViolation(ack, stored({ side: Side.SELL }))).toMatch(/stored as SELL/);
    expect(ackViolation(ack, stored({ price: "30000.01" }))).toMatch(/price 30000.01/);
    expect(ackViolation(ack, stored({ origQty: "0.002" }))).toMatch(/quantity 0.002/);
    expect(ackViolation(ack, stored({ status: OrderStatus.NEW, executedQty: "0" }))).toMatch(/still NEW/);
    expect(ackViolation(ack, stored({ executedQty: "0.002" }))).toMatch(/executed 0.002 of/);
    expect(ackViolation({ ...ack, executedUnits: 50_000n }, stored({ status: OrderStatus.CANCELED, executedQty: "0.0004" }))).toMatch(/less than/);
    expect(ackViolation(ack, stored({ executedQty: "0.0005" }))).toMatch(/FILLED with 0.0005/);
    expect(ackViolation({ ...ack, status: "FILLED" }, stored({ status: OrderStatus.CANCELED, executedQty: "0.001" }))).toMatch(/acknowledged FILLED/);
  });

  it("does not check the price of a market order (none was sent)", () => {
    expect(ackViolation({ ...ack, priceUnits: 0n }, stored({ price: "0" }))).toBe("");
  });
});

describe("repeats", () => {
  it("report the median and the spread (max - min) / median", () => {
    expect(spreadOf([30, 10, 20])).toMatchObject({ median: 20, min: 10, max: 30, spread: 1 });
    expect(spreadOf([10, 20, 30, 40])).toMatchObject({ median: 25, spread: 30 / 25 });
    expect(spreadOf([Number.NaN, 5])).toMatchObject({ median: 5, spread: 0 });
  });
});

describe("h2load's report", () => {
  it("gives calls per second, successes, failures and the mean time per request", () => {
    const out = [
      "finished in 3.00s, 20123.45 req/s, 1.23MB/s",
      "requests: 60370 total, 60370 started, 60370 done, 60368 succeeded, 2 failed, 0 errored, 0 timeout",
      "                     min         max         mean         sd        +/- sd",
      "time for request:   412us     14.20ms      3.16ms      1.01ms    71.20%",
    ].join("\n");
    expect(parseH2load(out)).toEqual({ callsPerSecond: 20123.45, succeeded: 60368, failed: 2, meanMs: 3.16 });
    expect(parseH2load("connect to 127.0.0.1 failed")).toBeUndefined();
  });
});

describe("flags", () => {
  it("default to a run under five minutes, and --smoke to a few hundred orders in one run", () => {
    expect(parseOptions([])).toMatchObject({ workloads: ["a", "b", "c", "stream"], clients: 64, accounts: 64, durationMs: 5_000, repeats: 3, client: "connect", subscribers: 1000 });
    expect(parseOptions(["--smoke"])).toMatchObject({ operations: 300, repeats: 1, warmupMs: 0, h2load: false, durationMs: undefined });
    expect(parseOptions(["--workload=a,c", "--clients=8", "--orders=1000", "--client=h2"])).toMatchObject({ workloads: ["a", "c"], clients: 8, operations: 1000, client: "h2" });
    expect(parseOptions(["--cpu-prof=tmp/prof"])).toMatchObject({ cpuProfDir: "tmp/prof" });
    expect(parseOptions([])).toMatchObject({ cpuProfDir: undefined });
  });

  it("refuses what they cannot mean", () => {
    expect(() => parseOptions(["--workload=d"])).toThrow(/unknown workload/);
    expect(() => parseOptions(["--duration=5", "--orders=10"])).toThrow(/exclude/);
    expect(() => parseOptions(["--accounts=1"])).toThrow(/at least 2/);
    expect(() => parseOptions(["--nope"])).toThrow(/unknown flag/);
    expect(() => parseOptions(["--cpu-prof"])).toThrow(/names a directory/);
    expect(() => parseOptions(["--cpu-prof=tmp/prof", "--distributed"])).toThrow(/embedded exchange only/);
    expect(parseOptions(["--help"])).toBe("help");
  });
});
