// What the ClusterExternalSecret reconciler may read, and nothing else: the namespaces and the
// ExternalSecrets from the Manager's watch caches (our own writes included until the watch
// delivers them), and the clock. No request is made while reconciling: 1,000 namespaces cost
// the namespace watch's one list, not a list or a GET per run.

import type { ExternalSecret, Namespace, OwnerReference } from '../../api/types.js';
import type { ObjectCache } from '../../runtime/cache.js';
import type { ReverseIndex } from '../../runtime/reverse-index.js';
import { isParentRef, parentName } from '../fanout/children.js';
import { childIndex as fanoutChildIndex } from '../fanout/watch.js';
import { CES_FANOUT } from './children.js';

export { CES_KIND } from './children.js';

export interface CesWorld {
  now(): number;
  /** Every namespace the namespace watch holds. */
  namespaces(): Iterable<Namespace>;
  /** The ExternalSecret namespace/name as last seen or written by us, or undefined. */
  externalSecret(namespace: string, name: string): ExternalSecret | undefined;
  /** ExternalSecrets whose controller reference names a ClusterExternalSecret `cesName`. */
  children(cesName: string): Iterable<ExternalSecret>;
  /** The operator's floor on refreshTime (--min-refresh-interval); 0 or undefined: none. */
  minRefreshIntervalMs?: number;
}

/** The ClusterExternalSecret reference, matched as ESO does: group, kind and name (any version or uid). */
export function isCesRef(ref: OwnerReference | undefined, cesName?: string): ref is OwnerReference {
  return isParentRef(CES_FANOUT, ref, cesName);
}

/** The name of the ClusterExternalSecret that controls `es`, if one does. */
export function ownerCesName(es: ExternalSecret): string | undefined {
  return parentName(CES_FANOUT, es);
}

/** ExternalSecrets by the ClusterExternalSecret that controls them. */
export function childIndex(externalSecrets: ObjectCache<ExternalSecret>): ReverseIndex<ExternalSecret> {
  return fanoutChildIndex(CES_FANOUT, externalSecrets);
}

export interface CesWorldDeps {
  namespaces: ObjectCache<Namespace>;
  externalSecrets: ObjectCache<ExternalSecret>;
  children: ReverseIndex<ExternalSecret>;
  minRefreshIntervalMs?: number;
}

export function clusterExternalSecretWorld(deps: CesWorldDeps): CesWorld {
  return {
    now: Date.now,
    minRefreshIntervalMs: deps.minRefreshIntervalMs,
    *namespaces() {
      for (const key of deps.namespaces.keys()) {
        const ns = deps.namespaces.get(key);
        if (ns) yield ns;
      }
    },
    externalSecret: (namespace, name) => deps.externalSecrets.latest(`${namespace}/${name}`),
    *children(cesName) {
      for (const key of deps.children.keysFor(cesName)) {
        const es = deps.externalSecrets.get(key);
        if (es) yield es;
      }
    },
  };
}
