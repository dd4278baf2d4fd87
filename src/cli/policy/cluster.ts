// `syncret policy --kubeconfig`: the manifests as the live cluster holds them, listed with the
// kubeconfig's identity (which needs list on the kinds below, cluster-wide).

import type { KubeObject } from '../../api/types.js';
import { createKubeClient } from '../../kube/client.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi, ResourceType } from '../../kube/types.js';
import {
  apiVersionOf,
  CLUSTER_EXTERNAL_SECRETS,
  CLUSTER_SECRET_STORES,
  EXTERNAL_SECRETS,
  NAMESPACES,
  SECRET_STORES,
  VAULT_DYNAMIC_SECRETS,
} from '../../kube/resources.js';
import type { Manifests } from './usage.js';

const PAGE = 500;

/** Every object of a kind; list items carry no kind, so it is set from the type. */
async function listAll(api: KubeApi, type: ResourceType): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  let cont: string | undefined;
  do {
    const page = await api.list<KubeObject>(type, { limit: PAGE, continue: cont });
    for (const o of page.items) out.push({ ...o, apiVersion: apiVersionOf(type), kind: type.kind });
    cont = page.continue || undefined;
  } while (cont);
  return out;
}

export async function loadCluster(kubeconfigPath: string): Promise<Manifests> {
  const api = await createKubeClient({ kubeconfigPath, userAgent: 'syncret-policy' });
  try {
    const list = async (type: ResourceType, optional = false): Promise<KubeObject[]> => {
      try {
        return await listAll(api, type);
      } catch (e) {
        // VaultDynamicSecret's CRD may not be installed: then there are none.
        if (optional && isKubeApiError(e) && e.code === 404) return [];
        throw e;
      }
    };
    const [externalSecrets, clusterExternalSecrets, stores, clusterStores, generators, namespaces] =
      await Promise.all([
        list(EXTERNAL_SECRETS),
        list(CLUSTER_EXTERNAL_SECRETS, true),
        list(SECRET_STORES),
        list(CLUSTER_SECRET_STORES, true),
        list(VAULT_DYNAMIC_SECRETS, true),
        list(NAMESPACES),
      ]);
    return {
      externalSecrets,
      clusterExternalSecrets,
      stores: [...stores, ...clusterStores],
      generators,
      namespaces,
    };
  } finally {
    await api.close();
  }
}
