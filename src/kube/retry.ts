// When a failed apiserver request is worth repeating, and after how long.

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

export interface RetryLimits {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** A longer Retry-After is not waited for: the error goes back to the caller. */
  maxRetryAfterSeconds: number;
}

function jitter(ms: number, fraction = 0.25): number {
  return ms * (1 + Math.random() * fraction);
}

export class RetryPolicy {
  constructor(readonly limits: RetryLimits) {}

  /**
   * How long to wait before repeating a request that got no answer (`cause`: the transport
   * error), or undefined to give up. `attempt` counts the retries so far.
   */
  afterNoAnswer(cause: unknown, idempotent: boolean, attempt: number): number | undefined {
    if (attempt >= this.limits.maxRetries) return undefined;
    const code = errorCode(cause);
    const safe = (code && NOT_SENT_CODES.has(code)) || (idempotent && code && BROKEN_CODES.has(code));
    if (!safe) return undefined;
    return jitter(200 * 2 ** attempt, 1);
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
    const backoff = Math.min(200 * 2 ** attempt, 5_000);
    // 429 is decided before the request is processed, so any verb may repeat it.
    if (status === 429) return jitter(retryAfter !== undefined ? Math.max(retryAfter * 1000, 100) : backoff);
    if (!idempotent) return undefined;
    if (status >= 500 && retryAfter !== undefined) return jitter(Math.max(retryAfter * 1000, 100));
    if (status === 502 || status === 503 || status === 504) return jitter(backoff, 1);
    return undefined;
  }
}
