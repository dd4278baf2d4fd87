// The store a syncret.io/store or syncret.io/cluster-store annotation names, read from the
// apiserver at admission with the operator's tenancy rules: a SecretStore of the pod's own
// namespace, or a ClusterSecretStore whose spec.conditions admit that namespace. With it, the
// identity annotations of the pod's ServiceAccount, which the agent cannot read itself.

import type { KubeObject, SecretStore, StoreKind } from '../api/types.js';
import { resolveStore } from '../controller/store/resolve.js';
import { CLUSTER_SECRET_STORES, NAMESPACES, SECRET_STORES, SERVICEACCOUNTS } from '../kube/resources.js';
import type { KubeApi } from '../kube/types.js';
import { KubeApiError } from '../kube/types.js';
import { InjectionError } from './annotations.js';
import type { ResolvedStore, StoreLookup } from './mutate.js';
import { identityAnnotations } from './store-access.js';

async function getOrUndefined<T extends KubeObject>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof KubeApiError && e.notFound) return undefined;
    throw e;
  }
}

export function apiStoreLookup(kube: KubeApi, controllerClass: string): StoreLookup {
  return async (
    kind: StoreKind,
    name: string,
    namespace: string,
    serviceAccount: string,
  ): Promise<ResolvedStore> => {
    const type = kind === 'SecretStore' ? SECRET_STORES : CLUSTER_SECRET_STORES;
    let store: SecretStore | undefined;
    let ns: KubeObject | undefined;
    let sa: KubeObject | undefined;
    let reading = `${kind} "${name}"`;
    try {
      [store, ns, sa] = await Promise.all([
        getOrUndefined(
          kube.get<SecretStore>({ type, name, namespace: kind === 'SecretStore' ? namespace : undefined }),
        ),
        kind === 'ClusterSecretStore'
          ? getOrUndefined(kube.get<KubeObject>({ type: NAMESPACES, name: namespace }))
          : Promise.resolve(undefined),
        // The ServiceAccount admission plugin has refused a pod whose account is missing; one
        // deleted since is left to the kubelet's error.
        getOrUndefined(
          kube.get<KubeObject>({ type: SERVICEACCOUNTS, name: serviceAccount, namespace }),
        ).catch((e: unknown) => {
          reading = `ServiceAccount "${namespace}/${serviceAccount}"`;
          throw e;
        }),
      ]);
    } catch (e) {
      // Refused with the reason rather than a 500, which failurePolicy Ignore would turn into a
      // pod started without its secrets.
      if (e instanceof KubeApiError) throw new InjectionError(`cannot read ${reading}: ${e.message}`);
      throw e;
    }
    const r = resolveStore({ kind, name }, namespace, {
      store: () => store,
      namespaceLabels: () => ns?.metadata.labels ?? {},
      controllerClass,
    });
    if (!r.ok) throw new InjectionError(r.message);
    return {
      store: {
        kind,
        name,
        ...(kind === 'SecretStore' ? { namespace } : {}),
        provider: r.info.provider,
      },
      serviceAccountAnnotations: identityAnnotations(sa?.metadata.annotations),
    };
  };
}
