// What every provider would otherwise write by hand: matching dataFrom.find (the one place
// that compiles a user's find.name.regexp, a Go regexp on the linear-time engine of
// src/regexp/) and the client-cache scope of namespace-relative credentials.

import type { CAProvider, FindRef } from '../api/types.js';
import { MatchMeter, RegexpSyntaxError, compileRegexp } from '../regexp/index.js';
import type { GoRegexp } from '../regexp/index.js';
import { ProviderError } from './errors.js';
import type { ProviderContext, StoreInfo } from './types.js';

/** Whether a remote name passes find.name.regexp. */
export type NameMatcher = (name: string) => boolean;

const matchAll: NameMatcher = () => true;

/**
 * find.name.regexp, compiled once per find; every name matches when it is unset or empty.
 * Throws InvalidRequest with Go's message (as ESO's) when the pattern does not compile, and
 * when matching the store's names takes longer than the operator allows (MatchMeter).
 */
export function findNameMatcher(find: FindRef): NameMatcher {
  const source = find.name?.regexp;
  if (source === undefined || source === '') return matchAll;
  let re: GoRegexp;
  try {
    re = compileRegexp(source);
  } catch (e) {
    if (!(e instanceof RegexpSyntaxError)) throw e;
    throw new ProviderError('InvalidRequest', `could not compile find.name.regexp: ${e.message}`);
  }
  const meter = new MatchMeter((names, ms) => {
    throw new ProviderError(
      'InvalidRequest',
      `find.name.regexp: matching ${names} names took over ${ms} ms (the operator's limit): use a simpler pattern or find.path`,
    );
  });
  return (name) => meter.time(() => re.matchString(name));
}

/** Whether every wanted find.tags entry is present with exactly its value. */
export function matchesTags(
  have: Readonly<Record<string, unknown>> | undefined,
  want: Readonly<Record<string, string>> | undefined,
): boolean {
  for (const [k, v] of Object.entries(want ?? {})) {
    if (!have || !Object.hasOwn(have, k) || have[k] !== v) return false;
  }
  return true;
}

/** A credential reference as the cache scope sees it: only whether it names its namespace. */
export interface CredentialRef {
  namespace?: string;
}

/**
 * The client-cache scope of a store whose credentials are read through `refs`. A reference
 * without a namespace resolves in the ExternalSecret's namespace for a ClusterSecretStore, so
 * its clients are then per requesting namespace; a SecretStore only reads its own namespace.
 */
export function credentialScope(store: StoreInfo, refs: readonly (CredentialRef | undefined)[]): string {
  if (store.kind !== 'ClusterSecretStore') return '';
  return refs.some((r) => r && !r.namespace) ? store.requesterNamespace : '';
}

/** A caBundle (base64 PEM) or the Secret / ConfigMap key a caProvider names; undefined when neither is set. */
export async function readCABundle(
  caBundle: string | undefined,
  caProvider: CAProvider | undefined,
  ctx: ProviderContext,
  what = 'caProvider',
): Promise<string | undefined> {
  if (caBundle) return Buffer.from(caBundle, 'base64').toString('utf8');
  if (!caProvider) return undefined;
  const sel = { name: caProvider.name, key: caProvider.key, namespace: caProvider.namespace };
  if (caProvider.type === 'ConfigMap') return ctx.readConfigMapKey(sel, what);
  return new TextDecoder().decode(await ctx.readSecretKey(sel, what));
}
