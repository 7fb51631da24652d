import { describe, expect, it } from "vitest";
import { inGroups } from "#kit/lifecycle/in-groups.js";

/** A source the test feeds by hand. */
function manualSource<T>() {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let failure: Error | undefined;
  return {
    push(...items: T[]) {
      queue.push(...items);
      wake?.();
    },
    end(error?: Error) {
      ended = true;
      failure = error;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (failure) throw failure;
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

describe("inGroups", () => {
  it("groups what arrived while the previous group was handled, in order, at most max", async () => {
    const source = manualSource<number>();
    const groups = inGroups(source, 3);
    source.push(1);
    expect((await groups.next()).value).toEqual([1]);
    // While the caller works on [1], five more arrive: they come as [2,3,4] then [5,6].
    source.push(2, 3, 4, 5, 6);
    await new Promise((resolve) => setImmediate(resolve));
    expect((await groups.next()).value).toEqual([2, 3, 4]);
    expect((await groups.next()).value).toEqual([5, 6]);
    const waiting = groups.next();
    source.push(7);
    expect((await waiting).value).toEqual([7]);
    source.end();
    expect((await groups.next()).done).toBe(true);
  });

  it("hands over what was read before the source failed, then throws its error", async () => {
    const source = manualSource<number>();
    const groups = inGroups(source, 10);
    source.push(1, 2);
    source.end(new Error("stream broke"));
    const seen: number[] = [];
    const failure = await (async () => {
      try {
        for await (const group of groups) seen.push(...group);
      } catch (error) {
        return error;
      }
    })();
    expect(seen).toEqual([1, 2]);
    expect(String(failure)).toContain("stream broke");
  });
});
