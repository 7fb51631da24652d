/**
 * The batches of `source` in groups: each group is what arrived while the previous group was
 * being applied (at least one batch, at most `max`), in order. The source is read ahead in the
 * background; its end or failure ends the groups after what was read.
 */
export async function* inGroups<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const buffered: T[] = [];
  let ended = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const reader = (async () => {
    try {
      for await (const item of source) {
        buffered.push(item);
        wake?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wake?.();
    }
  })();
  try {
    for (;;) {
      if (buffered.length > 0) {
        yield buffered.splice(0, max);
        continue;
      }
      if (failure) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    void reader;
  }
}
