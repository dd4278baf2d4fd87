/**
 * Resolves after `ms`, or at once when `signal` aborts: loops that back off must stop promptly.
 * It never rejects: a caller that must fail on abort calls `signal.throwIfAborted()` after it.
 * The abort listener is removed on both paths, because the signal is often the operator's
 * long-lived shutdown signal and would otherwise collect one listener per sleep.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}
