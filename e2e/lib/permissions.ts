// What the operator actually asked the apiserver for, read from its own request counter
// (syncret_kube_requests_total{verb,resource,code}), compared with the RBAC rules a rendering grants.

import type { OperatorHandle } from './operator.js';
import { canI } from './packaging.js';
import type { Manifest } from './packaging.js';

interface Rule {
  resources?: string[];
  verbs?: string[];
}

export interface UsedPermissions {
  /** "verb resource" pairs the operator used. */
  used: string[];
  /**
   * Requests refused (401/403) for lack of RBAC, as "verb resource code". A 403 the operator's RBAC
   * does allow (a create in a namespace being deleted, left by an earlier suite) is not counted.
   */
  refused: string[];
  /** Used pairs that no rule of the rendering grants. */
  ungranted: string[];
}

/** The client's verbs as RBAC verbs: server-side apply is a PATCH. */
const RBAC_VERB: Record<string, string> = { apply: 'patch' };

const GROUP: Record<string, string> = {
  externalsecrets: 'external-secrets.io',
  secretstores: 'external-secrets.io',
  clustersecretstores: 'external-secrets.io',
  clusterexternalsecrets: 'external-secrets.io',
  pushsecrets: 'external-secrets.io',
  clusterpushsecrets: 'external-secrets.io',
  leases: 'coordination.k8s.io',
  deployments: 'apps',
  statefulsets: 'apps',
  daemonsets: 'apps',
  rollouts: 'argoproj.io',
  vaultdynamicsecrets: 'generators.external-secrets.io',
  ...Object.fromEntries(
    [
      'acraccesstokens',
      'beyondtrustworkloadcredentialsdynamicsecrets',
      'cloudsmithaccesstokens',
      'clustergenerators',
      'ecrauthorizationtokens',
      'fakes',
      'gcraccesstokens',
      'githubaccesstokens',
      'gitlabdeploytokens',
      'grafanas',
      'mfas',
      'passwords',
      'quayaccesstokens',
      'sshkeys',
      'stssessiontokens',
      'uuids',
      'webhooks',
    ].map((plural) => [plural, 'generators.external-secrets.io']),
  ),
};

/** Whether RBAC allows it, by the apiserver's SubjectAccessReview, in `namespace` or anywhere. */
function rbacAllows(
  sa: { namespace: string; name: string },
  verbResource: string,
  namespace?: string,
): boolean {
  const [verb = '', resource = ''] = verbResource.split(' ');
  const [plural = '', sub] = resource.split('/');
  const group = GROUP[plural];
  const target = `${group ? `${plural}.${group}` : plural}`;
  return canI(sa, verb, target, namespace, sub);
}

export async function usedPermissions(
  op: OperatorHandle,
  objects: Manifest[],
  scope: { sa: { namespace: string; name: string }; namespace?: string },
): Promise<UsedPermissions> {
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
  const denied = refused.filter((r) => {
    const allowed = rbacAllows(scope.sa, r.split(' ').slice(0, 2).join(' '), scope.namespace);
    if (allowed) console.log(`refused although RBAC allows it (not an RBAC gap): ${r}`);
    return !allowed;
  });
  return {
    used: [...used].sort(),
    refused: denied,
    ungranted: [...used].filter((u) => !granted.has(u)).sort(),
  };
}
