import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, createRouterTransport, type Transport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { MatchingService } from "#gen/exchange/matching/v1/matching_pb.js";
import { ErrorInfoSchema } from "#gen/google/rpc/error_details_pb.js";
import { leaderRoutingTransport, symbolOf } from "#kit/rpc/leader-routing.js";

// The routing client of a service led per key (matching): each call reaches the replica leading its symbol, a
// NotLeader answer moves it to the next replica at once, every other answer is the caller's.

const notLeader = (symbol: string) =>
  new ConnectError("not the leader", Code.Unavailable, undefined, [{ desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: "-1001", domain: "exchange", metadata: { notLeader: symbol } }) }]);

/** A replica leading `leads`: it answers their book, NotLeader for other symbols, and records what it was asked. */
function replica(name: string, leads: Set<string>, calls: string[]): Transport {
  return createRouterTransport(({ service }) =>
    service(MatchingService, {
      async getBook(request) {
        calls.push(`${name}:${request.symbol}`);
        if (request.symbol === "BROKEN") throw new ConnectError("broken", Code.Internal);
        if (!leads.has(request.symbol)) throw notLeader(request.symbol);
        return { sequence: BigInt(name === "a" ? 1 : 2) };
      },
      async *streamEvents(request) {
        calls.push(`${name}:stream:${request.symbol}`);
        if (!leads.has(request.symbol)) throw notLeader(request.symbol);
        yield { batch: { symbol: request.symbol, sequence: 7n } };
      },
    }),
  );
}

describe("leader routing", () => {
  it("finds each symbol's leader, remembers it, and moves when leadership moves", async () => {
    const calls: string[] = [];
    const [aLeads, bLeads] = [new Set(["BTCUSDT"]), new Set(["ETHUSDT"])];
    const client = createClient(MatchingService, leaderRoutingTransport([replica("a", aLeads, calls), replica("b", bLeads, calls)], { keyOf: symbolOf, retryForMs: 1_000, pauseMs: 5, homeOf: () => 0 }));
    expect((await client.getBook({ symbol: "ETHUSDT" })).sequence).toBe(2n);
    expect((await client.getBook({ symbol: "ETHUSDT" })).sequence).toBe(2n);
    expect((await client.getBook({ symbol: "BTCUSDT" })).sequence).toBe(1n);
    expect(calls).toEqual(["a:ETHUSDT", "b:ETHUSDT", "b:ETHUSDT", "a:BTCUSDT"]);
    // b fails over to a
    bLeads.delete("ETHUSDT");
    aLeads.add("ETHUSDT");
    calls.length = 0;
    expect((await client.getBook({ symbol: "ETHUSDT" })).sequence).toBe(1n);
    expect(calls).toEqual(["b:ETHUSDT", "a:ETHUSDT"]);
  });

  it("waits out an election: every replica refusing is tried again until one leads, or the time is up", async () => {
    const calls: string[] = [];
    const [aLeads, bLeads] = [new Set<string>(), new Set<string>()];
    // b wins the election after two full rounds of refusals
    const counting = (name: string, leads: Set<string>) => {
      const inner = replica(name, leads, calls);
      return { ...inner, unary: ((...args: Parameters<Transport["unary"]>) => {
        if (calls.length === 4) bLeads.add("SOLUSDT");
        return inner.unary(...args);
      }) as Transport["unary"] };
    };
    const client = createClient(MatchingService, leaderRoutingTransport([counting("a", aLeads), counting("b", bLeads)], { keyOf: symbolOf, retryForMs: 2_000, pauseMs: 5, homeOf: () => 0 }));
    expect((await client.getBook({ symbol: "SOLUSDT" })).sequence).toBe(2n);
    expect(calls).toEqual(["a:SOLUSDT", "b:SOLUSDT", "a:SOLUSDT", "b:SOLUSDT", "a:SOLUSDT", "b:SOLUSDT"]);
    const never = createClient(MatchingService, leaderRoutingTransport([replica("a", new Set(), []), replica("b", new Set(), [])], { keyOf: symbolOf, retryForMs: 100, pauseMs: 5 }));
    await expect(never.getBook({ symbol: "SOLUSDT" })).rejects.toMatchObject({ code: Code.Unavailable });
  });

  it("passes every other answer on without trying another replica", async () => {
    const calls: string[] = [];
    const client = createClient(MatchingService, leaderRoutingTransport([replica("a", new Set(), calls), replica("b", new Set(), calls)], { keyOf: symbolOf, retryForMs: 1_000, pauseMs: 5, homeOf: () => 0 }));
    await expect(client.getBook({ symbol: "BROKEN" })).rejects.toMatchObject({ code: Code.Internal });
    expect(calls).toEqual(["a:BROKEN"]);
  });

  it("routes a server stream by its request until its first message", async () => {
    const calls: string[] = [];
    const client = createClient(MatchingService, leaderRoutingTransport([replica("a", new Set(), calls), replica("b", new Set(["XRPUSDT"]), calls)], { keyOf: symbolOf, retryForMs: 1_000, pauseMs: 5, homeOf: () => 0 }));
    const sequences: bigint[] = [];
    for await (const { batch } of client.streamEvents({ symbol: "XRPUSDT", fromSequence: 1n })) sequences.push(batch!.sequence);
    expect(sequences).toEqual([7n]);
    expect(calls).toEqual(["a:stream:XRPUSDT", "b:stream:XRPUSDT"]);
  });

  it("tries a symbol first at its home replica, the same for every client, spreading symbols over replicas", async () => {
    const calls: string[] = [];
    const leads = new Set(["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT", "ADAUSDT"]);
    const client = () => createClient(MatchingService, leaderRoutingTransport([replica("a", leads, calls), replica("b", leads, calls)], { keyOf: symbolOf, retryForMs: 1_000 }));
    const [first, second] = [client(), client()];
    for (const symbol of leads) await first.getBook({ symbol });
    const homes = [...calls];
    calls.length = 0;
    for (const symbol of leads) await second.getBook({ symbol });
    expect(calls).toEqual(homes); // every client agrees
    expect(new Set(homes.map((call) => call.split(":")[0]))).toEqual(new Set(["a", "b"])); // both replicas are home to some
  });

  it("keys a matching request by its symbol or its command's", () => {
    expect(symbolOf({ symbol: "BTCUSDT" })).toBe("BTCUSDT");
    expect(symbolOf({ command: { symbol: "ETHUSDT" } })).toBe("ETHUSDT");
    expect(symbolOf({ symbol: "" })).toBeUndefined();
    expect(symbolOf(undefined)).toBeUndefined();
  });
});
