// The store a syncret.io/store or syncret.io/cluster-store annotation names, read from the
// apiserver at admission with the operator's tenancy rules: a SecretStore of the pod's own
// namespace, or a ClusterSecretStore whose spec.conditions admit that namespace.

import type { AgentStoreConfig } from '../agent/config.js';
import type { KubeObject, SecretStore, StoreKind } from '../api/types.js';
import { resolveStore } from '../controller/store/resolve.js';
import { CLUSTER_SECRET_STORES, NAMESPACES, SECRET_STORES } from '../kube/resources.js';
import type { KubeApi } from '../kube/types.js';
import { KubeApiError } from '../kube/types.js';
import { InjectionError } from './annotations.js';
import type { StoreLookup } from './mutate.js';

async function getOrUndefined<T extends KubeObject>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof KubeApiError && e.notFound) return undefined;
    throw e;
  }
}

export function apiStoreLookup(kube: KubeApi, controllerClass: string): StoreLookup {
  return async (kind: StoreKind, name: string, namespace: string): Promise<AgentStoreConfig> => {
    const type = kind === 'SecretStore' ? SECRET_STORES : CLUSTER_SECRET_STORES;
    let store: SecretStore | undefined;
    let ns: KubeObject | undefined;
    try {
      [store, ns] = await Promise.all([
        getOrUndefined(
          kube.get<SecretStore>({ type, name, namespace: kind === 'SecretStore' ? namespace : undefined }),
        ),
        kind === 'ClusterSecretStore'
          ? getOrUndefined(kube.get<KubeObject>({ type: NAMESPACES, name: namespace }))
          : Promise.resolve(undefined),
      ]);
    } catch (e) {
      // Refused with the reason rather than a 500, which failurePolicy Ignore would turn into a
      // pod started without its secrets.
      if (e instanceof KubeApiError) throw new InjectionError(`cannot read ${kind} "${name}": ${e.message}`);
      throw e;
    }
    const r = resolveStore({ kind, name }, namespace, {
      store: () => store,
      namespaceLabels: () => ns?.metadata.labels ?? {},
      controllerClass,
    });
    if (!r.ok) throw new InjectionError(r.message);
    return {
      kind,
      name,
      ...(kind === 'SecretStore' ? { namespace } : {}),
      provider: r.info.provider,
    };
  };
}
