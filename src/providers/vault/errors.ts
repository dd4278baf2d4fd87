// How a failed Vault call reads to the user: the reason a status shows, and a message that
// names the path and the capability a policy needs, never a value.

import { ProviderError } from '../errors.js';
import { scrub } from './auth.js';
import { VaultHttpError, VaultNetworkError } from './http.js';

/** The policy capability a request needs, as Vault names it. */
export type VaultCapability = 'read' | 'list' | 'create' | 'update' | 'delete';

/** What a failed call was trying to do, for messages that say which policy is missing. */
export interface Op {
  capability: VaultCapability;
  /** API path (after /v1/), which is what a Vault policy names. */
  apiPath: string;
  /** The user's key, for NotFound messages. */
  what: string;
}

/** A failed call as the ProviderError its caller throws. */
export function vaultFailure(e: unknown, op: Op, server: string, sensitive: Set<string>): ProviderError {
  if (e instanceof ProviderError) return e;
  if (e instanceof VaultNetworkError)
    return new ProviderError('Unavailable', `Vault at ${server}: ${scrub(e.message, sensitive)}`);
  if (e instanceof VaultHttpError) {
    const s = e.status;
    if (s === 403)
      return new ProviderError(
        'AccessDenied',
        `permission denied: the Vault token may not ${op.capability} "${op.apiPath}" ` +
          `(needs a policy granting "${op.capability}" on "${op.apiPath}")`,
      );
    if (s === 404)
      return new ProviderError('NotFound', `Vault secret "${op.what}" not found (${op.apiPath})`);
    if (s === 401) return new ProviderError('AuthFailed', 'Vault rejected the token (401)');
    if (s === 429) return new ProviderError('Throttled', 'Vault rate limit exceeded (429)', e.retryAfterMs);
    if (s === 412)
      return new ProviderError(
        'Unavailable',
        'Vault standby has not caught up yet (412, readYourWrites)',
        500,
      );
    if (s === 503 && e.errors.some((x) => /sealed/i.test(x)))
      return new ProviderError('Unavailable', `Vault at ${server} is sealed`, e.retryAfterMs);
    if (s >= 500)
      return new ProviderError('Unavailable', `Vault answered ${s} for ${op.apiPath}`, e.retryAfterMs);
    const why = scrub(e.errors.join('; ').replace(/\s+/g, ' ').trim(), sensitive).slice(0, 300);
    return new ProviderError(
      'InvalidRequest',
      `Vault answered ${s} for ${op.apiPath}${why ? `: ${why}` : ''}`,
    );
  }
  return new ProviderError(
    'Unavailable',
    `Vault request failed: ${scrub((e as Error)?.message ?? 'unknown error', sensitive)}`,
  );
}
