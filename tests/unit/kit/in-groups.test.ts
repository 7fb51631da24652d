import { describe, expect, it } from "vitest";
import { inGroups, untilDone } from "#kit/lifecycle/in-groups.js";

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
    // The rest follows in order (read once the caller made room).
    const rest: number[] = [];
    while (rest.length < 2) rest.push(...((await groups.next()).value as number[]));
    expect(rest).toEqual([5, 6]);
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

  it("reads at most max ahead of the caller, and closes the source when the caller stops", async () => {
    let pulled = 0;
    let closed = false;
    const source = {
      [Symbol.asyncIterator]() {
        return {
          next: async () => ({ done: false as const, value: ++pulled }),
          return: async () => {
            closed = true;
            return { done: true as const, value: undefined };
          },
        };
      },
    };
    const groups = inGroups(source, 4);
    expect((await groups.next()).value).toEqual([1]);
    // While the caller holds its group, the reader fills at most 4 and waits.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(pulled).toBeLessThanOrEqual(1 + 4 + 1);
    await groups.return(undefined);
    expect(closed).toBe(true);
    const after = pulled;
    await new Promise((resolve) => setImmediate(resolve));
    expect(pulled).toBeLessThanOrEqual(after + 1);
  });

  it("untilDone: the work's own signal ends with the work (a failure closes its stream) and with the caller's", async () => {
    const outer = new AbortController();
    let seen: AbortSignal | undefined;
    await expect(
      untilDone(outer.signal, async (signal) => {
        seen = signal;
        expect(signal.aborted).toBe(false);
        throw new Error("apply failed");
      }),
    ).rejects.toThrow("apply failed");
    expect(seen?.aborted).toBe(true);
    expect(outer.signal.aborted).toBe(false);
    const running = untilDone(outer.signal, (signal) => new Promise<boolean>((resolve) => signal.addEventListener("abort", () => resolve(true))));
    outer.abort();
    expect(await running).toBe(true);
  });
});
