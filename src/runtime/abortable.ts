// Watch streams: the next event, or done at once when the watch's signal aborts.

const DONE = Object.freeze({ done: true, value: undefined }) as IteratorReturnResult<undefined>;

/**
 * The iterator's next values, each ending early as done once `signal` aborts, even if the
 * transport ignores the abort: the loop must never hang on a stuck stream. One abort listener
 * per watch rather than one per event (a busy watch delivers thousands of events a second), and
 * no race against a long-lived promise, which would keep a reaction per event until the abort.
 */
export function abortableNext<V>(
  it: AsyncIterator<V>,
  signal: AbortSignal,
): () => Promise<IteratorResult<V, undefined>> {
  let wake: ((r: IteratorReturnResult<undefined>) => void) | undefined;
  signal.addEventListener('abort', () => wake?.(DONE), { once: true });
  return () => {
    if (signal.aborted) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      wake = resolve;
      it.next().then((r) => resolve(r.done ? DONE : r), reject);
    });
  };
}
