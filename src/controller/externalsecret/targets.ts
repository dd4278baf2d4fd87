// The target Secrets as reconciles see them: the managed-Secret cache (metadata and a hash of
// the data, never the data), our own writes before the watch delivers them, and a GET where
// the cache cannot answer (a Secret without the managed label, or data for Merge).

import type { KubeObject, Secret } from '../../api/types.js';
import { SECRETS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { Interner } from '../../runtime/intern.js';
import { storeKey } from '../../runtime/watch.js';
import { targetInfoFromSecret } from './target.js';
import type { TargetSecretInfo } from './target.js';

/** Secrets in the cache keep metadata and a hash of their data, never the data. */
export interface CachedSecret extends KubeObject {
  syncret: TargetSecretInfo;
}

export function toCachedSecret(s: Secret | CachedSecret, interner?: Interner): CachedSecret {
  if ('syncret' in s) return s;
  const info = targetInfoFromSecret(s, false);
  if (interner) internTarget(interner, info);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: s.metadata.name,
      namespace: interner ? interner.str(s.metadata.namespace) : s.metadata.namespace,
      uid: s.metadata.uid,
      resourceVersion: s.metadata.resourceVersion,
    },
    syncret: info,
  };
}

/**
 * What repeats across managed Secrets, one copy each: the owner's apiVersion and kind, label
 * values, the type. A heap snapshot at 10,000 held 10,000 copies each of "ExternalSecret",
 * "external-secrets.io/v1" and the namespace here (about 100 B per Secret). Annotations are
 * left alone: the data hash is unique per Secret and would only fill the table.
 */
function internTarget(interner: Interner, t: TargetSecretInfo): void {
  for (const r of t.ownerReferences) {
    r.apiVersion = interner.str(r.apiVersion);
    r.kind = interner.str(r.kind);
  }
  for (const k of Object.keys(t.labels)) t.labels[k] = interner.str(t.labels[k]!);
  t.type = interner.str(t.type);
}

export class TargetSecrets {
  /** Targets a blind create found existing: the re-run reconcile reads them with a GET. */
  private readonly readFirst = new Set<string>();
  private cache?: ObjectCache<CachedSecret>;
  private readonly interner = new Interner();

  constructor(private readonly api: KubeApi) {}

  /** Binds the managed-Secret cache (its reflectors' transform needs this object first). */
  use(cache: ObjectCache<CachedSecret>): void {
    this.cache = cache;
  }

  /**
   * The reflectors' transform: the cached form of our own write when the watch delivers that
   * very version, whose data hash was computed from the apply's answer already (a backlog of
   * thousands otherwise hashes every Secret twice).
   */
  readonly transform = (s: CachedSecret | Secret): CachedSecret => {
    const mine = this.cache?.written(storeKey(s));
    const m = s.metadata;
    if (mine && mine.metadata.uid === m.uid && mine.metadata.resourceVersion === m.resourceVersion)
      return mine;
    return toCachedSecret(s, this.interner);
  };

  /**
   * Metadata of a target Secret (from the cache, else a GET), or undefined. With
   * `assumeAbsent`, a Secret the managed cache does not hold is taken as absent without a GET:
   * the cache is complete before the first reconcile, so such a target is absent or not
   * labelled as managed. That saves a quarter of a first sync's requests; a create that meets
   * an existing Secret comes back here through markExisting().
   */
  async lookup(
    namespace: string,
    name: string,
    withData: boolean,
    assumeAbsent: boolean,
    signal: AbortSignal,
  ): Promise<TargetSecretInfo | undefined> {
    const key = `${namespace}/${name}`;
    if (!withData) {
      const cached = this.cache?.latest(key);
      if (cached) return cached.syncret;
      if (assumeAbsent && !this.readFirst.delete(key)) return undefined;
    }
    try {
      const s = await this.api.get<Secret>({ type: SECRETS, namespace, name }, signal);
      return targetInfoFromSecret(s, withData);
    } catch (e) {
      if (isKubeApiError(e) && e.notFound) return undefined;
      throw e;
    }
  }

  /** A blind create found this Secret existing: the next lookup reads it. */
  markExisting(key: string): void {
    this.readFirst.add(key);
  }

  /** Makes our write visible to the next reconcile before the watch delivers it. */
  wrote(res: Secret): void {
    this.cache?.wrote(toCachedSecret(res));
  }

  /** The cached target of `key` (namespace/name), for drift checks of watch events. */
  cached(key: string): CachedSecret | undefined {
    return this.cache?.latest(key);
  }
}
