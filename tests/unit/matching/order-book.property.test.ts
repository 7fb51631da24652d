import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { OrderBook, type MatchingBook } from "../../../services/matching/src/domain/order-book.js";
import { ReferenceOrderBook } from "../../../services/matching/src/domain/order-book.reference.js";
import { CollectingSink, HashingSink, type EventBatch } from "../../../services/matching/src/domain/events.js";
import { stateHash } from "../../../services/matching/src/domain/state-hash.js";
import type { Command } from "../../../services/matching/src/domain/commands.js";
import type { BookState } from "../../../services/matching/src/domain/rules.js";
import { build, recipeArb } from "./support/recipes.js";

const commandsArb = fc.array(recipeArb, { minLength: 1, maxLength: 200, size: "max" }).map(build);

function run(book: MatchingBook, cmds: Command[]): EventBatch[] {
  const sink = new CollectingSink("T");
  for (const c of cmds) book.apply(c, sink);
  return sink.take();
}

function levels(side: BookState["bids"]): Map<number, number> {
  const m = new Map<number, number>();
  for (const o of side) m.set(o.price, (m.get(o.price) ?? 0) + o.visible);
  return m;
}

describe("fast book vs reference book (fast-check)", () => {
  it("produces the same events and the same state for random command sequences", () => {
    fc.assert(
      fc.property(commandsArb, (cmds) => {
        const fast = new OrderBook(4, 2); // tiny pools: exercise growth
        const ref = new ReferenceOrderBook();
        const sf = new CollectingSink("T");
        const sr = new CollectingSink("T");
        for (const c of cmds) {
          fast.apply(c, sf);
          ref.apply(c, sr);
          expect(sf.take()).toEqual(sr.take());
        }
        expect(fast.state()).toEqual(ref.state());
        expect(stateHash(fast.state())).toBe(stateHash(ref.state()));
      }),
      { numRuns: 300 },
    );
  });

  it("never leaves a crossed book; book deltas rebuild the visible depth; sequences are gap-free", () => {
    fc.assert(
      fc.property(commandsArb, (cmds) => {
        const book = new OrderBook();
        const sink = new CollectingSink("T");
        const depth = [new Map<number, number>(), new Map<number, number>()];
        let lastSeq = 0;
        for (const c of cmds) {
          book.apply(c, sink);
          const [batch] = sink.take();
          expect(batch.seq).toBe(lastSeq + 1);
          lastSeq = batch.seq;
          for (const e of batch.events) {
            if (e.kind === "BOOK_DELTA") {
              const m = depth[e.side === "BUY" ? 0 : 1];
              if (e.qty === 0) m.delete(e.price);
              else m.set(e.price, e.qty);
            }
          }
          const st = book.state();
          if (st.bids.length && st.asks.length) expect(st.bids[0].price).toBeLessThan(st.asks[0].price);
          expect(depth[0]).toEqual(levels(st.bids));
          expect(depth[1]).toEqual(levels(st.asks));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("conserves quantity per order: filled + open + canceled = original (+ amend increases)", () => {
    fc.assert(
      fc.property(commandsArb, (cmds) => {
        const book = new OrderBook();
        const sink = new CollectingSink("T");
        const orig = new Map<number, number>();
        const lastOpen = new Map<number, number>();
        for (const c of cmds) {
          book.apply(c, sink);
          const [batch] = sink.take();
          const placed = c.type === "PLACE" ? c : c.type === "CANCEL_REPLACE" ? c.order : undefined;
          for (const e of batch.events) {
            if (e.kind === "ACCEPTED" && placed && e.orderId === placed.orderId && placed.qty !== undefined) orig.set(e.orderId, placed.qty);
            if (e.kind !== "ORDER_UPDATE" || !orig.has(e.orderId)) continue;
            if (e.status === "AMENDED" && e.openQty > lastOpen.get(e.orderId)!) orig.set(e.orderId, orig.get(e.orderId)! + e.openQty - lastOpen.get(e.orderId)!);
            expect(e.filledQty + e.openQty + e.canceledQty).toBe(orig.get(e.orderId));
            lastOpen.set(e.orderId, e.openQty);
          }
          // a trade never exceeds what the resting orders hold and never crosses a limit
          for (const e of batch.events) if (e.kind === "TRADE") expect(e.qty).toBeGreaterThan(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("is deterministic: replaying the same commands gives byte-identical events; snapshot+replay equals uninterrupted", () => {
    fc.assert(
      fc.property(commandsArb, fc.nat(), (cmds, cut) => {
        const h1 = new HashingSink();
        const h2 = new HashingSink();
        const a = new OrderBook();
        const b = new OrderBook();
        for (const c of cmds) a.apply(c, h1);
        for (const c of cmds) b.apply(c, h2);
        expect(h1.digest()).toBe(h2.digest());
        expect(JSON.stringify(run(new OrderBook(), cmds))).toBe(JSON.stringify(run(new OrderBook(), cmds)));
        const k = cut % (cmds.length + 1);
        const first = new OrderBook();
        for (const c of cmds.slice(0, k)) first.apply(c, new HashingSink());
        const restored = OrderBook.fromState(JSON.parse(JSON.stringify(first.state())));
        const tailA = run(restored, cmds.slice(k));
        const whole = new OrderBook();
        const all = run(whole, cmds);
        expect(tailA).toEqual(all.slice(k));
        expect(stateHash(restored.state())).toBe(stateHash(whole.state()));
      }),
      { numRuns: 150 },
    );
  });
});
