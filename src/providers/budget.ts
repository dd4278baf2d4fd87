// A provider-call budget per store (--provider-qps, --provider-burst): a token bucket for each
// SecretStore and ClusterSecretStore, so a tenant whose objects call their backend too often
// is paced on their own store and never slows another store. The refresh floor already bounds
// each object; this bounds a store's many objects together.
//
// A call that finds its store's bucket empty waits for its token only when that comes soon
// (MAX_WAIT_MS) and few calls of the store already wait (MAX_WAITERS): a waiting call holds a
// reconcile worker, and workers are shared by all stores. Otherwise it fails at once with
// ProviderError Throttled and a retryAfterMs, like a backend's 429, and is retried on the
// ExternalSecret's backoff.

import { sleep } from '../runtime/time/sleep.js';
import { ProviderError } from './errors.js';

/** Longest wait for a token before a call is refused instead. */
export const MAX_WAIT_MS = 1000;
/** Calls of one store that may wait at once (of the operator's 64 workers by default). */
export const MAX_WAITERS = 4;
/** Idle buckets (full again) are dropped once there are this many. */
const SWEEP_AT = 1000;

export interface CallBudgetOptions {
  /** Calls per second per store; > 0. */
  qps: number;
  /** Calls a store may make at once; at least 1. */
  burst: number;
  now?: () => number;
  /** Called for each refused call (metrics). */
  onRefused?: (provider: string) => void;
}

interface Bucket {
  /** Tokens at `at`; below 0 when waiting calls have reserved future tokens. */
  tokens: number;
  at: number;
  waiting: number;
}

export class CallBudget {
  private readonly buckets = new Map<string, Bucket>();
  private readonly now: () => number;
  private readonly burst: number;

  constructor(private readonly o: CallBudgetOptions) {
    if (!(o.qps > 0)) throw new RangeError(`call budget: qps must be > 0 (got ${o.qps})`);
    this.burst = Math.max(1, Math.floor(o.burst));
    this.now = o.now ?? Date.now;
  }

  /**
   * Takes one call of `store` (e.g. `SecretStore/ns/name`): at once, after a short wait, or not
   * at all (ProviderError Throttled).
   */
  async take(store: string, provider: string, signal?: AbortSignal): Promise<void> {
    const now = this.now();
    const b = this.refill(store, now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return;
    }
    const waitMs = Math.ceil(((1 - b.tokens) * 1000) / this.o.qps);
    if (waitMs > MAX_WAIT_MS || b.waiting >= MAX_WAITERS) {
      this.o.onRefused?.(provider);
      throw new ProviderError(
        'Throttled',
        `${store} is over its provider call budget (${this.o.qps} calls per second, burst ${this.burst}; the operator's --provider-qps): call not made, retrying later`,
        waitMs,
      );
    }
    b.tokens -= 1;
    b.waiting++;
    try {
      await sleep(waitMs, signal);
    } finally {
      b.waiting--;
    }
  }

  private refill(store: string, now: number): Bucket {
    let b = this.buckets.get(store);
    if (!b) {
      if (this.buckets.size >= SWEEP_AT) this.sweep(now);
      b = { tokens: this.burst, at: now, waiting: 0 };
      this.buckets.set(store, b);
      return b;
    }
    const elapsed = Math.max(0, now - b.at);
    b.tokens = Math.min(this.burst, b.tokens + (elapsed * this.o.qps) / 1000);
    b.at = now;
    return b;
  }

  /** Drops buckets that are full again: a fresh one behaves the same. */
  private sweep(now: number): void {
    for (const [k, b] of this.buckets) {
      if (b.waiting === 0 && b.tokens + ((now - b.at) * this.o.qps) / 1000 >= this.burst)
        this.buckets.delete(k);
    }
  }

  get size(): number {
    return this.buckets.size;
  }
}
