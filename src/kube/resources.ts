import { GENERATOR_KIND_NAMES, WRAPPABLE_GENERATOR_KINDS } from '../api/generators/kinds.js';
import type { WrappableGeneratorKind } from '../api/generators/kinds.js';
import { GENERATORS_GROUP, GENERATORS_VERSION } from '../api/types.js';
import type { ResourceType } from './types.js';

export const SECRETS: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'secrets',
  namespaced: true,
  kind: 'Secret',
};
export const CONFIGMAPS: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'configmaps',
  namespaced: true,
  kind: 'ConfigMap',
};
export const NAMESPACES: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  namespaced: false,
  kind: 'Namespace',
};
export const SERVICEACCOUNTS: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  namespaced: true,
  kind: 'ServiceAccount',
};
export const EVENTS: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'events',
  namespaced: true,
  kind: 'Event',
};
export const LEASES: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  namespaced: true,
  kind: 'Lease',
};
export const EXTERNAL_SECRETS: ResourceType = {
  group: 'external-secrets.io',
  version: 'v1',
  resource: 'externalsecrets',
  namespaced: true,
  kind: 'ExternalSecret',
};
export const SECRET_STORES: ResourceType = {
  group: 'external-secrets.io',
  version: 'v1',
  resource: 'secretstores',
  namespaced: true,
  kind: 'SecretStore',
};
export const CLUSTER_SECRET_STORES: ResourceType = {
  group: 'external-secrets.io',
  version: 'v1',
  resource: 'clustersecretstores',
  namespaced: false,
  kind: 'ClusterSecretStore',
};
export const CLUSTER_EXTERNAL_SECRETS: ResourceType = {
  group: 'external-secrets.io',
  version: 'v1',
  resource: 'clusterexternalsecrets',
  namespaced: false,
  kind: 'ClusterExternalSecret',
};

export const DEPLOYMENTS: ResourceType = {
  group: 'apps',
  version: 'v1',
  resource: 'deployments',
  namespaced: true,
  kind: 'Deployment',
};
export const STATEFULSETS: ResourceType = {
  group: 'apps',
  version: 'v1',
  resource: 'statefulsets',
  namespaced: true,
  kind: 'StatefulSet',
};
export const DAEMONSETS: ResourceType = {
  group: 'apps',
  version: 'v1',
  resource: 'daemonsets',
  namespaced: true,
  kind: 'DaemonSet',
};
/** Argo Rollouts' Rollout (a CRD that may be absent). */
export const ARGO_ROLLOUTS: ResourceType = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  resource: 'rollouts',
  namespaced: true,
  kind: 'Rollout',
};

export function apiVersionOf(t: ResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}
export const VAULT_DYNAMIC_SECRETS: ResourceType = {
  group: 'generators.external-secrets.io',
  version: 'v1alpha1',
  resource: 'vaultdynamicsecrets',
  namespaced: true,
  kind: 'VaultDynamicSecret',
};
export const PUSH_SECRETS: ResourceType = {
  group: 'external-secrets.io',
  version: 'v1alpha1',
  resource: 'pushsecrets',
  namespaced: true,
  kind: 'PushSecret',
};
export const CLUSTER_PUSH_SECRETS: ResourceType = {
  group: 'external-secrets.io',
  version: 'v1alpha1',
  resource: 'clusterpushsecrets',
  namespaced: false,
  kind: 'ClusterPushSecret',
};

/** Every namespaced generator kind, by kind (VaultDynamicSecret included). */
export const GENERATOR_RESOURCES: Readonly<Record<WrappableGeneratorKind, ResourceType>> = Object.fromEntries(
  WRAPPABLE_GENERATOR_KINDS.map((kind) => [
    kind,
    kind === 'VaultDynamicSecret'
      ? VAULT_DYNAMIC_SECRETS
      : {
          group: GENERATORS_GROUP,
          version: GENERATORS_VERSION,
          resource: GENERATOR_KIND_NAMES[kind].plural,
          namespaced: true,
          kind,
        },
  ]),
) as Record<WrappableGeneratorKind, ResourceType>;

export const CLUSTER_GENERATORS: ResourceType = {
  group: GENERATORS_GROUP,
  version: GENERATORS_VERSION,
  resource: 'clustergenerators',
  namespaced: false,
  kind: 'ClusterGenerator',
};

export const GENERATOR_STATES: ResourceType = {
  group: GENERATORS_GROUP,
  version: GENERATORS_VERSION,
  resource: 'generatorstates',
  namespaced: true,
  kind: 'GeneratorState',
};
