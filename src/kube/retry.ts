// When a failed apiserver request is worth repeating, and after how long. Delays come from the
// shared jitteredBackoff, whose jitter only shortens: 200 ms doubling per retry, at most 5 s.
// A Retry-After from the server is a floor instead: the wait is spread over a quarter above it,
// never below, so a herd told to come back in 3 s does not come back in the same millisecond.

import { jitteredBackoff } from '../runtime/time/backoff.js';
import type { Backoff } from '../runtime/time/backoff.js';
import { errorCode } from './status.js';

/** Connection never established: safe to retry any verb, even create. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
/** The connection broke mid-request: the outcome is unknown, so only idempotent verbs retry. */
const BROKEN_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'UND_ERR_CLOSED']);

const BACKOFF = { baseMs: 200, maxMs: 5_000 } as const;
/** A Retry-After of 0 still waits this long: an apiserver shedding load needs a moment. */
const MIN_RETRY_AFTER_MS = 100;
/** The jitter applied above a Retry-After, as a fraction of it. */
const RETRY_AFTER_SPREAD = 0.25;

export interface RetryLimits {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** A longer Retry-After is not waited for: the error goes back to the caller. */
  maxRetryAfterSeconds: number;
}

export class RetryPolicy {
  private readonly backoff: Backoff;

  constructor(
    readonly limits: RetryLimits,
    private readonly random: () => number = Math.random,
  ) {
    this.backoff = jitteredBackoff({ ...BACKOFF, random });
  }

  /**
   * How long to wait before repeating a request that got no answer (`cause`: the transport
   * error), or undefined to give up. `attempt` counts the retries so far (0 before the first).
   */
  afterNoAnswer(cause: unknown, idempotent: boolean, attempt: number): number | undefined {
    if (attempt >= this.limits.maxRetries) return undefined;
    const code = errorCode(cause);
    const safe = (code && NOT_SENT_CODES.has(code)) || (idempotent && code && BROKEN_CODES.has(code));
    if (!safe) return undefined;
    return this.backoff.delay(attempt + 1);
  }

  /** How long to wait before retrying a non-2xx answer, or undefined to give up. */
  afterStatus(
    status: number,
    retryAfter: number | undefined,
    idempotent: boolean,
    attempt: number,
  ): number | undefined {
    if (attempt >= this.limits.maxRetries) return undefined;
    if (retryAfter !== undefined && retryAfter > this.limits.maxRetryAfterSeconds) return undefined;
    // 429 is decided before the request is processed, so any verb may repeat it.
    if (status === 429)
      return retryAfter !== undefined ? this.afterServer(retryAfter) : this.backoff.delay(attempt + 1);
    if (!idempotent) return undefined;
    if (status >= 500 && retryAfter !== undefined) return this.afterServer(retryAfter);
    if (status === 502 || status === 503 || status === 504) return this.backoff.delay(attempt + 1);
    return undefined;
  }

  /** In [floor, 1.25 floor] for the server's Retry-After (seconds): never sooner than it asked. */
  private afterServer(retryAfterSeconds: number): number {
    const floor = Math.ceil(Math.max(retryAfterSeconds * 1000, MIN_RETRY_AFTER_MS));
    const ceiling = floor * (1 + RETRY_AFTER_SPREAD);
    const spread = jitteredBackoff({
      baseMs: ceiling,
      maxMs: ceiling,
      jitter: RETRY_AFTER_SPREAD / (1 + RETRY_AFTER_SPREAD),
      random: this.random,
    });
    return Math.max(floor, spread.delay(1));
  }
}
