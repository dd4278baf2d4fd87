// The one rule for where Syncret sends a credential: over TLS only. A tenant writes the URL of
// its store (Vault, an apiserver, a token endpoint), so plain http:// would hand a token, a
// password or a signed request to anyone on the path. An operator that runs its backends on
// plain HTTP on purpose (a test setup, a loopback sidecar) opts in with
// --allow-insecure-credentials. Providers call ProviderContext.requireTls before any request
// that carries a credential, and before minting one for such a request.

import { ProviderError } from './errors.js';

export const ALLOW_INSECURE_FLAG = '--allow-insecure-credentials';

/** Scheme, host and port of a URL for a message: never its userinfo, path or query. */
function shown(u: URL): string {
  return `${u.protocol}//${u.host}`;
}

/**
 * Throws InvalidProviderConfig when `url` is plain http:// and plain HTTP is not allowed.
 * Other schemes and unparsable URLs are left to the provider's own checks.
 */
export function requireTls(url: string, what: string, allowInsecure: boolean): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return;
  }
  if (u.protocol !== 'http:' || allowInsecure) return;
  throw new ProviderError(
    'InvalidProviderConfig',
    `${what} ${shown(u)} is plain HTTP: Syncret sends credentials only over TLS (https://); nothing was sent. An operator started with ${ALLOW_INSECURE_FLAG} allows http:// (test setups only)`,
  );
}
