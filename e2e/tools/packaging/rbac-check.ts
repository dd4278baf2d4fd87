// Fails when a rendered install (helm template / kubectl kustomize output) grants the operator's
// ServiceAccount more than the operator uses, or less.
//
// "What the operator uses" is config/rbac (role.yaml + leader_election_role.yaml): every e2e test
// runs the operator under exactly those rules, so they are proven sufficient, and each rule there
// names the code path that needs it. A rendering must not grant anything outside them (and never
// `*`), must grant Secrets only in the namespaces the operator watches, Leases only in its own
// namespace, and must grant everything the operator needs in its scope.
//
// Usage: node e2e/tools/packaging/rbac-check.ts REFERENCE_DIR RENDERED.yaml...

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';

interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  spec?: {
    template?: {
      spec?: {
        serviceAccountName?: string;
        containers?: { args?: string[]; env?: { name: string; value?: string }[] }[];
      };
    };
  };
}

/** One grant: "group/resource verb" in a namespace ("*" = cluster-wide). */
type Grant = string;

const tuple = (group: string, resource: string, verb: string): string =>
  `${group || 'core'}/${resource} ${verb}`;

function expand(rules: Rule[] | undefined, where: string, errors: string[]): string[] {
  const out: string[] = [];
  for (const r of rules ?? []) {
    const fields = [...(r.apiGroups ?? []), ...(r.resources ?? []), ...(r.verbs ?? [])];
    if (fields.includes('*') || fields.some((f) => f.includes('*')))
      errors.push(`${where}: wildcard in ${JSON.stringify(r)}`);
    if (r.nonResourceURLs?.length)
      errors.push(`${where}: nonResourceURLs ${JSON.stringify(r.nonResourceURLs)}`);
    for (const g of r.apiGroups ?? [])
      for (const res of r.resources ?? []) for (const v of r.verbs ?? []) out.push(tuple(g, res, v));
  }
  return out;
}

export function loadObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => !!o && typeof o === 'object' && !!o.kind);
}

/** The reference: config/rbac's cluster rules and leader-election rules. */
export function reference(dir: string): { cluster: Set<string>; leader: Set<string> } {
  const errors: string[] = [];
  const rules = (file: string) =>
    new Set(loadObjects(readFileSync(join(dir, file), 'utf8')).flatMap((o) => expand(o.rules, file, errors)));
  const ref = { cluster: rules('role.yaml'), leader: rules('leader_election_role.yaml') };
  if (errors.length) throw new Error(errors.join('\n'));
  return ref;
}

/** Kinds that are cluster-scoped: the only ones a namespaced install may grant cluster-wide. */
const CLUSTER_SCOPED = [
  'external-secrets.io/clustersecretstores',
  'external-secrets.io/clustersecretstores/status',
  'generators.external-secrets.io/clustergenerators',
  'core/namespaces',
];
/**
 * Grants only a cluster-wide operator uses: ClusterExternalSecrets are served only there (a
 * namespaced install, like ESO's, leaves them alone), so a namespaced rendering must not grant
 * these and need not.
 */
const CLUSTER_WIDE_ONLY = new Set([
  ...['get', 'list', 'watch', 'patch'].map((v) => tuple('external-secrets.io', 'clusterexternalsecrets', v)),
  ...['get', 'patch', 'update'].map((v) => tuple('external-secrets.io', 'clusterexternalsecrets/status', v)),
  tuple('external-secrets.io', 'clusterexternalsecrets/finalizers', 'update'),
  tuple('external-secrets.io', 'externalsecrets', 'create'),
  tuple('external-secrets.io', 'externalsecrets', 'delete'),
  ...['get', 'list', 'watch'].map((v) => tuple('external-secrets.io', 'clusterpushsecrets', v)),
  ...['get', 'patch', 'update'].map((v) => tuple('external-secrets.io', 'clusterpushsecrets/status', v)),
  tuple('external-secrets.io', 'clusterpushsecrets/finalizers', 'update'),
  tuple('external-secrets.io', 'pushsecrets', 'create'),
  tuple('external-secrets.io', 'pushsecrets', 'delete'),
  tuple('', 'namespaces', 'patch'),
]);
/**
 * Grants only rollout restarts use: a rendering whose operator runs with
 * --rollout-restarts=false must not grant them and need not.
 */
const ROLLOUT_ONLY = new Set([
  ...['deployments', 'statefulsets', 'daemonsets'].flatMap((r) =>
    ['list', 'watch', 'patch'].map((v) => tuple('apps', r, v)),
  ),
  ...['list', 'watch', 'patch'].map((v) => tuple('argoproj.io', 'rollouts', v)),
]);
/**
 * Grants of generic targets (--unsafe-allow-generic-targets, Helm genericTargets): ConfigMaps
 * and the kinds the user lists, with the verbs a target needs; never Secrets or Syncret's API.
 */
const GENERIC_VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'delete']);
function genericGrant(t: Grant): boolean {
  const [resource = '', verb = ''] = t.split(' ');
  if (!GENERIC_VERBS.has(verb) || resource.includes('external-secrets.io/')) return false;
  return resource === 'core/configmaps' || !resource.startsWith('core/');
}
/** Events of cluster-scoped objects are recorded in `default`. */
const EVENTS_DEFAULT_NS = new Set([tuple('', 'events', 'create'), tuple('', 'events', 'patch')]);
/** What a credentials-only namespace may grant (ClusterSecretStore auth in another namespace). */
const CREDENTIALS = new Set([
  tuple('', 'secrets', 'get'),
  tuple('', 'configmaps', 'get'),
  tuple('', 'serviceaccounts', 'get'),
  tuple('', 'serviceaccounts/token', 'create'),
]);

function flagValues(args: string[], name: string): string[] {
  const out: string[] = [];
  args.forEach((a, i) => {
    if (a === `--${name}` && args[i + 1] !== undefined) out.push(args[i + 1] as string);
    else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  });
  return out;
}

export function checkRendering(
  label: string,
  objects: K8sObject[],
  ref: { cluster: Set<string>; leader: Set<string> },
): string[] {
  const errors: string[] = [];
  const deploy = objects.find((o) => o.kind === 'Deployment');
  const pod = deploy?.spec?.template?.spec;
  if (!deploy || !pod) return [`${label}: no Deployment`];
  const releaseNs = deploy.metadata?.namespace ?? '';
  const sa = pod.serviceAccountName ?? 'default';
  const args = pod.containers?.[0]?.args ?? [];
  const watched = flagValues(args, 'namespace')
    .flatMap((v) => v.split(','))
    .filter(Boolean);
  const leaderElect = args.some((a) => a === '--leader-elect' || a === '--leader-elect=true');
  const noRollouts = args.includes('--rollout-restarts=false');
  const generic = args.includes('--unsafe-allow-generic-targets');

  const roles = new Map<string, K8sObject>();
  for (const o of objects)
    if (o.kind === 'ClusterRole' || o.kind === 'Role')
      roles.set(`${o.kind}/${o.kind === 'Role' ? o.metadata?.namespace : ''}/${o.metadata?.name}`, o);

  // Every grant to the operator's ServiceAccount, by namespace ('*' = cluster-wide).
  const granted = new Map<string, Set<Grant>>();
  const grant = (ns: string, t: string) => granted.set(ns, (granted.get(ns) ?? new Set()).add(t));
  for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const bindsUs = b.subjects?.some(
      (s) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === releaseNs,
    );
    const others = b.subjects?.filter(
      (s) => !(s.kind === 'ServiceAccount' && s.name === sa && s.namespace === releaseNs),
    );
    if (!bindsUs) continue;
    const where = `${label}: ${b.kind} ${b.metadata?.namespace ?? ''}/${b.metadata?.name}`;
    if (others?.length) errors.push(`${where} also binds ${JSON.stringify(others)}`);
    const ns = b.kind === 'ClusterRoleBinding' ? '*' : (b.metadata?.namespace ?? '');
    const key =
      b.roleRef?.kind === 'Role' ? `Role/${ns}/${b.roleRef.name}` : `ClusterRole//${b.roleRef?.name}`;
    const role = roles.get(key);
    if (!role) {
      errors.push(`${where} refers to ${key}, which the rendering does not contain`);
      continue;
    }
    for (const t of expand(role.rules, `${label}: ${key}`, errors)) grant(ns, t);
  }

  const all = new Set([...ref.cluster, ...ref.leader]);
  for (const [ns, set] of granted) {
    for (const t of set) {
      const at = ns === '*' ? 'cluster-wide' : `in namespace ${ns}`;
      if (!all.has(t) && !(generic && genericGrant(t))) {
        errors.push(`${label}: grants ${t} ${at}, which the operator never uses (config/rbac)`);
        continue;
      }
      const resource = t.split(' ')[0] ?? '';
      if (noRollouts && ROLLOUT_ONLY.has(t)) {
        errors.push(`${label}: runs with --rollout-restarts=false but grants ${t}`);
        continue;
      }
      if (watched.length > 0 && CLUSTER_WIDE_ONLY.has(t)) {
        errors.push(
          `${label}: watches ${watched.join(',')} but grants ${t}, which only a cluster-wide install uses`,
        );
        continue;
      }
      if (resource === 'coordination.k8s.io/leases' && ns !== releaseNs)
        errors.push(
          `${label}: grants ${t} ${at}; leases belong in the operator's namespace ${releaseNs} only`,
        );
      if (ns === '*' && watched.length > 0 && !CLUSTER_SCOPED.includes(resource))
        errors.push(`${label}: watches ${watched.join(',')} but grants ${t} cluster-wide`);
      if (ns !== '*' && ns !== releaseNs && !watched.includes(ns)) {
        const ok = (ns === 'default' && EVENTS_DEFAULT_NS.has(t)) || CREDENTIALS.has(t);
        if (!ok) errors.push(`${label}: grants ${t} in namespace ${ns}, which the operator does not watch`);
      }
    }
  }

  // Enough: everything the operator needs, in its scope.
  const has = (ns: string, t: string) => granted.get(ns)?.has(t) || granted.get('*')?.has(t);
  for (const t of ref.cluster) {
    if (watched.length > 0 && CLUSTER_WIDE_ONLY.has(t)) continue;
    if (noRollouts && ROLLOUT_ONLY.has(t)) continue;
    const resource = t.split(' ')[0] ?? '';
    const scopes = watched.length === 0 || CLUSTER_SCOPED.includes(resource) ? ['*'] : watched;
    for (const ns of scopes)
      if (!(ns === '*' ? granted.get('*')?.has(t) : has(ns, t)))
        errors.push(`${label}: lacks ${t} ${ns === '*' ? 'cluster-wide' : `in namespace ${ns}`}`);
  }
  if (leaderElect)
    for (const t of ref.leader)
      if (!has(releaseNs, t)) errors.push(`${label}: lacks ${t} in namespace ${releaseNs} (leader election)`);
  if (watched.length > 0)
    for (const t of EVENTS_DEFAULT_NS)
      if (!has('default', t))
        errors.push(`${label}: lacks ${t} in namespace default (ClusterSecretStore events)`);
  return errors;
}

function main(argv: string[]): void {
  const [refDir, ...files] = argv;
  if (!refDir || files.length === 0) {
    console.error('usage: rbac-check.ts REFERENCE_DIR RENDERED.yaml...');
    process.exit(2);
  }
  const ref = reference(refDir);
  const errors = files.flatMap((f) => checkRendering(basename(f), loadObjects(readFileSync(f, 'utf8')), ref));
  if (errors.length > 0) {
    for (const e of errors) console.error(`rbac-check: ${e}`);
    process.exit(1);
  }
  console.log(`[rbac-check] ${files.length} renderings grant exactly what config/rbac allows`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
