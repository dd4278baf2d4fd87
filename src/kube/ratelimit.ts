// Client-side rate limiting of apiserver requests.

import { sleep } from '../runtime/time/sleep.js';

/**
 * Token bucket with reservations (like Go's rate.Limiter.Wait): a caller that finds the
 * bucket empty reserves the next token and sleeps until it is due, so waiters are served in
 * arrival order without a queue.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly qps: number,
    readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = Math.max(1, burst);
    this.last = now();
  }

  /** Takes a token and returns how long (ms) to wait before using it. */
  reserve(): number {
    if (!(this.qps > 0)) return 0;
    const t = this.now();
    this.tokens = Math.min(Math.max(1, this.burst), this.tokens + ((t - this.last) * this.qps) / 1000);
    this.last = t;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  /**
   * Takes a token if one is there now: 0, or the ms until one will be (nothing is taken then).
   * For callers that come back later rather than wait (a queue that requeues the key).
   */
  tryTake(): number {
    if (!(this.qps > 0)) return 0;
    const t = this.now();
    this.tokens = Math.min(Math.max(1, this.burst), this.tokens + ((t - this.last) * this.qps) / 1000);
    this.last = t;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.qps) * 1000);
  }

  /** Full again: nothing was taken for as long as refilling takes. */
  get idle(): boolean {
    const t = this.now();
    return this.tokens + ((t - this.last) * this.qps) / 1000 >= Math.max(1, this.burst);
  }

  /** Waits for a token; rejects with the signal's reason when the caller gives up first. */
  async acquire(signal?: AbortSignal): Promise<void> {
    const wait = this.reserve();
    if (wait <= 0) return;
    await sleep(wait, signal);
    if (signal?.aborted) {
      // An abandoned reservation goes back, so aborted callers do not slow the others.
      this.tokens += 1;
      throw signal.reason;
    }
  }
}
