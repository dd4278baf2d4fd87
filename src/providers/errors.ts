// Typed provider failures. Messages name keys, paths and policies, never values.

export type ProviderErrorReason =
  | 'NotFound'
  | 'AccessDenied'
  | 'InvalidProviderConfig'
  | 'InvalidRequest'
  | 'Unavailable'
  | 'Throttled'
  | 'AuthFailed'
  | 'DecodeFailed'
  | 'Unsupported'
  /** A push or delete met a remote secret without the ownership marker: it is not touched. */
  | 'NotOwned'
  /** A write lost a race (Vault check-and-set, an ETag): the next attempt reads again. */
  | 'Conflict';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly reason: ProviderErrorReason,
    message: string,
    /** Retry no sooner than this (e.g. Retry-After), in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  /** Transient failures keep the last good Secret and retry with backoff. */
  get transient(): boolean {
    return this.reason === 'Unavailable' || this.reason === 'Throttled';
  }
}
