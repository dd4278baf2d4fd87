// Kubernetes RBAC for provider.kubernetes stores: a Role in the remote namespace granting get
// on exactly the Secrets the entries read (list only where a find needs it; RBAC cannot narrow
// a list by name), and a RoleBinding to the store's ServiceAccount when it authenticates as one.

import YAML from 'yaml';
import type { KubernetesProvider } from '../../api/types.js';
import { cmp } from './usage.js';
import type { Identity } from './usage.js';

export function kubernetesRbac(
  id: Identity,
  name: string,
  header: readonly string[],
  warnings: string[],
): string | undefined {
  const spec = (id.provider.kubernetes ?? {}) as KubernetesProvider;
  const namespace = spec.remoteNamespace || 'default';
  const named = new Map<string, Set<string>>();
  const lists = new Set<string>();
  for (const a of id.accesses) {
    if (a.op === 'get') {
      const by = named.get(a.key) ?? new Set<string>();
      by.add(a.by);
      named.set(a.key, by);
    } else if (a.op === 'find') lists.add(a.by);
  }
  if (named.size === 0 && lists.size === 0) return undefined;

  const comments = [...header.map((h) => `# ${h}`)];
  const rules: Record<string, unknown>[] = [];
  if (named.size > 0) {
    const names = [...named.keys()].sort(cmp);
    rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['get'], resourceNames: names });
    for (const n of names) comments.push(`# get ${n}: ${[...named.get(n)!].sort(cmp).join('; ')}`);
  }
  if (lists.size > 0) {
    rules.push({ apiGroups: [''], resources: ['secrets'], verbs: ['list'] });
    comments.push(
      `# list (every Secret of ${namespace}: RBAC cannot narrow a list): ${[...lists].sort(cmp).join('; ')}`,
    );
  }
  const docs: object[] = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name, namespace }, rules },
  ];
  const sa = spec.auth?.serviceAccount;
  const saNamespace = sa?.namespace ?? id.namespace;
  if (sa?.name && saNamespace) {
    docs.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: sa.name, namespace: saNamespace }],
    });
  } else {
    const who = sa
      ? 'the ServiceAccount of each requesting namespace'
      : 'the identity of its token or certificate';
    comments.push(`# Bind the Role to ${who} (the store's auth names no fixed ServiceAccount).`);
    warnings.push(`${id.kind} ${id.name}: RBAC Role written without a RoleBinding; bind it to ${who}`);
  }
  return `${comments.join('\n')}\n${docs.map((d) => `---\n${YAML.stringify(d)}`).join('')}`;
}
