// What the operator actually asked the apiserver for, read from its own request counter
// (syncret_kube_requests_total{verb,resource,code}), compared with the RBAC rules a rendering grants.

import type { OperatorHandle } from './operator.js';
import type { Manifest } from './packaging.js';

interface Rule {
  resources?: string[];
  verbs?: string[];
}

export interface UsedPermissions {
  /** "verb resource" pairs the operator used. */
  used: string[];
  /** Requests the apiserver refused (401/403), as "verb resource code". */
  refused: string[];
  /** Used pairs that no rule of the rendering grants. */
  ungranted: string[];
}

/** The client's verbs as RBAC verbs: server-side apply is a PATCH. */
const RBAC_VERB: Record<string, string> = { apply: 'patch' };

export async function usedPermissions(op: OperatorHandle, objects: Manifest[]): Promise<UsedPermissions> {
  const granted = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'Role' && o.kind !== 'ClusterRole') continue;
    for (const r of (o.rules as Rule[] | undefined) ?? [])
      for (const res of r.resources ?? []) for (const v of r.verbs ?? []) granted.add(`${v} ${res}`);
  }
  const used = new Set<string>();
  const refused: string[] = [];
  for (const line of (await op.metrics()).split('\n')) {
    const m = /^syncret_kube_requests_total\{(.*)\}\s+(\S+)/.exec(line);
    if (!m || Number(m[2]) === 0) continue;
    const labels = Object.fromEntries(
      [...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    const verb = RBAC_VERB[labels.verb ?? ''] ?? labels.verb ?? '';
    used.add(`${verb} ${labels.resource}`);
    if (labels.code === '401' || labels.code === '403')
      refused.push(`${verb} ${labels.resource} ${labels.code}`);
  }
  if (used.size === 0) throw new Error('the operator reported no Kubernetes requests');
  return { used: [...used].sort(), refused, ungranted: [...used].filter((u) => !granted.has(u)).sort() };
}
