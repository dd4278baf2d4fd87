// How GitOps tools judge our objects, written out so tests can hold the status to it:
// - Argo CD's built-in health check for external-secrets.io ExternalSecret, (Cluster)SecretStore
//   and ClusterExternalSecret (resource_customizations/external-secrets.io/*/health.lua in
//   argoproj/argo-cd);
// - kstatus (sigs.k8s.io/cli-utils/pkg/kstatus), which Flux uses to wait for resources: the
//   generic rules (deletion, observedGeneration, Reconciling/Stalled conditions).

import type { Obj } from './cluster.js';

export type ArgoHealth = 'Healthy' | 'Degraded' | 'Progressing';
export type KStatus = 'Current' | 'InProgress' | 'Failed' | 'Terminating';

export function argoHealth(obj: Obj): ArgoHealth {
  if (obj.metadata.deletionTimestamp) return 'Progressing';
  if (obj.kind === 'ClusterExternalSecret') {
    // This one reads only the last condition (new ones are appended there).
    const last = obj.status?.conditions?.at(-1);
    if (last?.type === 'Ready' && last.status === 'True') return 'Healthy';
    if ((last?.type === 'PartiallyReady' || last?.type === 'NotReady') && last.status === 'True')
      return 'Degraded';
    return 'Progressing';
  }
  const spec = (obj.spec ?? {}) as { refreshPolicy?: string };
  const status = obj.status as (Obj['status'] & { refreshTime?: string }) | undefined;
  for (const c of status?.conditions ?? []) {
    if (c.type !== 'Ready') continue;
    // With refreshPolicy OnChange the condition counts only if it is not older than the last
    // refresh (RFC 3339 strings compare in time order).
    if (
      obj.kind === 'ExternalSecret' &&
      spec.refreshPolicy === 'OnChange' &&
      !((c.lastTransitionTime ?? '') >= (status?.refreshTime ?? ''))
    )
      continue;
    if (c.status === 'False') return 'Degraded';
    if (c.status === 'True') return 'Healthy';
  }
  return 'Progressing';
}

export function kstatus(obj: Obj): KStatus {
  if (obj.metadata.deletionTimestamp) return 'Terminating';
  const observed = obj.status?.observedGeneration;
  if (obj.metadata.generation !== undefined && observed !== undefined && observed !== obj.metadata.generation)
    return 'InProgress';
  for (const c of obj.status?.conditions ?? []) {
    if (c.type === 'Reconciling' && c.status === 'True') return 'InProgress';
    if (c.type === 'Stalled' && c.status === 'True') return 'Failed';
  }
  return 'Current';
}
