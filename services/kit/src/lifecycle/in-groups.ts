/**
 * The items of `source` in groups: each group is what arrived while the previous group was being
 * handled (at least one item, at most `max`), in order. The source is read ahead in the
 * background, at most `max` items beyond the group being handled (then reading pauses, so a slow
 * consumer holds back the source rather than buffering without bound). Its end or failure ends
 * the groups after what was read; when the caller stops early, the source is closed.
 */
export async function* inGroups<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  const buffered: T[] = [];
  let ended = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeReader: (() => void) | undefined;
  const reader = (async () => {
    try {
      while (!stopped) {
        if (buffered.length >= max) {
          await new Promise<void>((resolve) => (wakeReader = resolve));
          wakeReader = undefined;
          continue;
        }
        const next = await iterator.next();
        if (next.done) break;
        buffered.push(next.value);
        wakeConsumer?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      ended = true;
      wakeConsumer?.();
    }
  })();
  try {
    for (;;) {
      if (buffered.length > 0) {
        const group = buffered.splice(0, max);
        wakeReader?.();
        yield group;
        continue;
      }
      if (failure) throw failure.error;
      if (ended) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    wakeReader?.();
    // Ends a source the caller stopped reading (a generator runs its finally; a stream aborts).
    void iterator.return?.()?.then(undefined, () => undefined);
    void reader;
  }
}

/**
 * Runs `work` with a signal of its own that aborts with `signal` and when `work` ends (returns or
 * throws): a stream it opened is closed then, not left running after a failure.
 */
export async function untilDone<T>(signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const own = new AbortController();
  const stop = () => own.abort(signal.reason);
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  try {
    return await work(own.signal);
  } finally {
    signal.removeEventListener("abort", stop);
    own.abort();
  }
}
