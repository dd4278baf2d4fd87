// The operator's own scope: the chart values that narrow its RBAC to the namespaces the
// manifests use (`scope.namespaces`: a Role there for ExternalSecrets, SecretStores, Secrets and
// the rest; `scope.credentialNamespaces`: read-only access to the credentials ClusterSecretStores
// name in other namespaces). The chart's rbac.yaml stays the one home of the rules themselves;
// this file only says where they are needed, and which manifest needs each namespace.

import type { Manifests } from './usage.js';
import { cmp, requesters } from './usage.js';

/** namespace → the manifests that need the operator there. */
type Needs = Map<string, Set<string>>;

function need(into: Needs, ns: string, who: string): void {
  if (!ns) return;
  const by = into.get(ns) ?? new Set<string>();
  by.add(who);
  into.set(ns, by);
}

/**
 * Every `{ name, namespace }` reference in a ClusterSecretStore's provider block (secretRef,
 * serviceAccountRef, caProvider, …): the places it keeps credentials, with their field path.
 */
function namespacedRefs(value: unknown, path: string, out: { path: string; ns: string }[]): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => namespacedRefs(v, `${path}[${i}]`, out));
    return;
  }
  if (!value || typeof value !== 'object') return;
  const o = value as Record<string, unknown>;
  if (typeof o.name === 'string' && typeof o.namespace === 'string' && o.namespace)
    out.push({ path, ns: o.namespace });
  for (const [k, v] of Object.entries(o)) namespacedRefs(v, path ? `${path}.${k}` : k, out);
}

function yamlList(key: string, needs: Needs): string[] {
  const lines = [`  ${key}:`];
  for (const ns of [...needs.keys()].sort(cmp)) {
    lines.push(`    # ${[...needs.get(ns)!].sort(cmp).join('; ')}`);
    lines.push(`    - ${JSON.stringify(ns)}`);
  }
  return lines;
}

/**
 * The chart values, or undefined when no manifest is namespaced (a ClusterSecretStore alone
 * needs no namespace).
 */
export function operatorValues(m: Manifests, header: readonly string[]): string | undefined {
  const scope: Needs = new Map();
  for (const r of requesters(m, [])) need(scope, r.ns, r.who);
  for (const s of m.stores)
    if (s.kind === 'SecretStore')
      need(
        scope,
        s.metadata.namespace ?? 'default',
        `SecretStore ${s.metadata.namespace ?? 'default'}/${s.metadata.name ?? ''}`,
      );
  for (const g of m.generators)
    need(
      scope,
      g.metadata.namespace ?? 'default',
      `${g.kind} ${g.metadata.namespace ?? 'default'}/${g.metadata.name ?? ''}`,
    );
  if (scope.size === 0) return undefined;
  const credentials: Needs = new Map();
  for (const s of m.stores) {
    if (s.kind !== 'ClusterSecretStore') continue;
    const refs: { path: string; ns: string }[] = [];
    namespacedRefs(s.spec?.provider, 'spec.provider', refs);
    for (const r of refs)
      if (!scope.has(r.ns))
        need(credentials, r.ns, `ClusterSecretStore ${s.metadata.name ?? ''} (${r.path})`);
  }
  const lines = [
    ...header.map((h) => `# ${h}`),
    ...(m.clusterExternalSecrets.length > 0
      ? [
          '# ClusterExternalSecrets add the namespaces they select when they run: regenerate (with',
          '# --kubeconfig) when namespaces gain or lose their labels.',
        ]
      : []),
    '# helm install syncret charts/syncret -f THIS_FILE: Roles in these namespaces only, the',
    '# cluster-scoped kinds (ClusterSecretStores, Namespaces) read cluster-wide.',
    'scope:',
    ...yamlList('namespaces', scope),
    ...(credentials.size > 0 ? yamlList('credentialNamespaces', credentials) : []),
  ];
  return `${lines.join('\n')}\n`;
}
