// Jittered exponential backoff, and a per-key failure tracker for the work queue.
//
// Jitter: the delay for attempt n is drawn uniformly from [(1 - jitter)·d, d], where
// d = min(maxMs, baseMs·factor^(n-1)). jitter = 1 is AWS "full jitter", 0.5 is "equal jitter";
// the default 0.2 is a narrow equal jitter. Why not full jitter: it minimises total work under
// contention but sometimes retries almost at once, and here a retry is a paid provider call or an
// API request against a server that just failed; keeping ≥ 80 % of the nominal delay keeps the
// back-pressure, while a 20 % spread still breaks up a herd (10,000 ExternalSecrets failing together
// when a provider goes down do not come back in lockstep). Jitter only shortens, so maxMs is a
// hard ceiling and the worst case stays predictable.

export interface BackoffOptions {
  /** Delay of the first attempt (n = 1), before jitter. */
  baseMs: number;
  /** Upper bound of any delay. */
  maxMs: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** Fraction of the nominal delay that jitter may take off, in [0, 1]; default 0.2. */
  jitter?: number;
  /** Uniform random in [0, 1); default Math.random. Injected by tests. */
  random?: () => number;
}

export interface Backoff {
  /** Delay in ms before attempt n (n ≥ 1; smaller n count as 1). */
  delay(attempt: number): number;
  /** The delay before attempt n without jitter (its upper bound). */
  nominal(attempt: number): number;
}

export function jitteredBackoff(opts: BackoffOptions): Backoff {
  const { baseMs, maxMs } = opts;
  const factor = opts.factor ?? 2;
  const jitter = opts.jitter ?? 0.2;
  const random = opts.random ?? Math.random;
  if (!(baseMs >= 0) || !(maxMs >= 0) || !Number.isFinite(baseMs) || !Number.isFinite(maxMs))
    throw new RangeError(`backoff: baseMs and maxMs must be finite and ≥ 0 (got ${baseMs}, ${maxMs})`);
  if (!(factor >= 1)) throw new RangeError(`backoff: factor must be ≥ 1 (got ${factor})`);
  if (!(jitter >= 0 && jitter <= 1))
    throw new RangeError(`backoff: jitter must be in [0, 1] (got ${jitter})`);
  const cap = Math.max(baseMs, maxMs);

  const nominal = (attempt: number): number => {
    const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
    // factor^(n-1) overflows to Infinity for large n; min() then yields the cap, which is right.
    return Math.min(cap, baseMs * factor ** (n - 1));
  };
  return {
    nominal,
    delay(attempt: number): number {
      const d = nominal(attempt);
      const r = Math.min(Math.max(random(), 0), 1);
      return Math.round(d * (1 - jitter * r));
    },
  };
}

/**
 * Consecutive failures per key (controller-runtime's per-item rate limiter). Keys are forgotten on
 * success or deletion, so the map only holds keys that are currently failing.
 */
export class ItemBackoff<K = string> {
  private readonly counts = new Map<K, number>();

  constructor(readonly backoff: Backoff) {}

  /** Records one more failure of `key` and returns the delay before its next attempt. */
  next(key: K): number {
    return this.backoff.delay(this.record(key));
  }

  /** Records one more failure without computing a delay (the caller chose its own); returns the count. */
  record(key: K): number {
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n;
  }

  /** Consecutive failures of `key` so far (0 when it is not failing). */
  failures(key: K): number {
    return this.counts.get(key) ?? 0;
  }

  forget(key: K): void {
    this.counts.delete(key);
  }

  /** Number of keys currently failing. */
  get size(): number {
    return this.counts.size;
  }
}
