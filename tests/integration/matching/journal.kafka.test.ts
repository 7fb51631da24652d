import { describe, expect, it } from "vitest";
import { KafkaJournal } from "../../../services/matching/src/adapters/journal.kafka.js";
import { MatchingEngine } from "../../../services/matching/src/engine.js";
import type { Command } from "../../../services/matching/src/domain/commands.js";
import { engines } from "../../support/engines.js";

// The distributed journal against the real Kafka broker (tests/infra): what was acknowledged
// is replayed after a restart into the same book, for each symbol on its own.

const brokers = engines.kafkaBrokers;

function commands(seed: number, count: number): Command[] {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648);
  const out: Command[] = [];
  for (let i = 1; i <= count; i++) {
    if (i > 10 && next() % 5 === 0) {
      out.push({ type: "CANCEL", ts: i, orderId: 1 + (next() % (i - 1)) });
      continue;
    }
    const side = next() % 2 === 0 ? "BUY" : "SELL";
    const price = 100 + (next() % 10) - (side === "BUY" ? 5 : 0);
    const qty = 1 + (next() % 5);
    out.push({ type: "PLACE", ts: i, orderId: i, userId: 1 + (next() % 4), side, orderType: "LIMIT", tif: "GTC", price, qty, budget: side === "BUY" ? price * qty : qty });
  }
  return out;
}

describe("KafkaJournal", () => {
  it("replays acknowledged commands into the same book after a restart, per symbol", async () => {
    const topic = `exchange.matching.commands.test-${Date.now()}`;
    const stream = commands(7, 300);
    const engines = await Promise.all(
      ["AAAUSD", "BBBUSD"].map((symbol) => MatchingEngine.open({ symbol, journal: new KafkaJournal({ brokers, symbol, topic, partitions: 3 }) })),
    );
    for (let i = 0; i < stream.length; i += 50) {
      await Promise.all(engines.map((engine, n) => engine.submitBatch(stream.slice(i, i + 50).filter((_, k) => n === 0 || k % 2 === 0))));
    }
    const hashes = engines.map((engine) => engine.stateHash());
    const seqs = engines.map((engine) => engine.lastSeq);
    expect(seqs[0]).toBe(300);
    await Promise.all(engines.map((engine) => engine.close()));

    const reopened = await Promise.all(
      ["AAAUSD", "BBBUSD"].map((symbol) => MatchingEngine.open({ symbol, journal: new KafkaJournal({ brokers, symbol, topic, partitions: 3 }) })),
    );
    expect(reopened.map((engine) => engine.lastSeq)).toEqual(seqs);
    expect(reopened.map((engine) => engine.stateHash())).toEqual(hashes);
    expect(hashes[0]).not.toBe(hashes[1]);
    // And it keeps going from there.
    await reopened[0].submit({ type: "PLACE", ts: 999, orderId: 10_000, userId: 1, side: "BUY", orderType: "LIMIT", tif: "GTC", price: 1, qty: 1, budget: 1 });
    expect(reopened[0].lastSeq).toBe(301);
    await Promise.all(reopened.map((engine) => engine.close()));
  }, 90_000);
});
