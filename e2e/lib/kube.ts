// Test-side cluster access. Deliberately independent of Syncret's own client: reads go
// through @kubernetes/client-node, writes through `kubectl apply` as a user would.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import type { CoreV1Event, V1Secret } from '@kubernetes/client-node';
import { ADMIN_KUBECONFIG, CLUSTER_ENV } from './paths.js';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown>;
  status?: {
    conditions?: Condition[];
    refreshTime?: string;
    syncedResourceVersion?: string;
    observedGeneration?: number;
    binding?: { name?: string };
    capabilities?: string;
  };
}

let cached: { kc: KubeConfig; core: CoreV1Api; custom: CustomObjectsApi } | undefined;

export function kube(): { kc: KubeConfig; core: CoreV1Api; custom: CustomObjectsApi } {
  if (!cached) {
    const kc = new KubeConfig();
    kc.loadFromFile(ADMIN_KUBECONFIG);
    cached = { kc, core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi) };
  }
  return cached;
}

export function kubectl(args: string[], input?: string): string {
  return execFileSync('kubectl', ['--kubeconfig', ADMIN_KUBECONFIG, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Applies manifests (objects or YAML text) with client-side `kubectl apply`, as GitOps tools do. */
export function apply(...docs: (object | string)[]): void {
  const objects = docs.filter((d): d is object => typeof d !== 'string');
  const texts = docs.filter((d): d is string => typeof d === 'string');
  if (objects.length > 0)
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  if (texts.length > 0) kubectl(['apply', '-f', '-'], texts.join('\n---\n'));
}

/** Server-side apply: no last-applied annotation, so objects may exceed its 256 KiB limit. */
export function applyServerSide(...docs: object[]): void {
  kubectl(
    ['apply', '--server-side', '--field-manager', 'e2e', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs }),
  );
}

/** Like apply, but returns the error text instead of throwing (schema and CEL rejections). */
export function tryApply(doc: object | string): { ok: true } | { ok: false; error: string } {
  try {
    apply(doc);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: String((e as { stderr?: string }).stderr ?? e) };
  }
}

export function remove(kind: string, namespace: string | undefined, name: string): void {
  kubectl([
    'delete',
    kind,
    name,
    ...(namespace ? ['-n', namespace] : []),
    '--ignore-not-found',
    '--wait=false',
  ]);
}

const created: string[] = [];

export function newNamespace(prefix: string, labels: Record<string, string> = {}): string {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  created.push(name);
  return name;
}

export function deleteNamespaces(): void {
  for (const ns of created.splice(0)) {
    try {
      kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
    } catch {
      // best effort
    }
  }
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const detail = last ? `; last error: ${(last as Error).message ?? String(last)}` : '';
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

const GROUP = 'external-secrets.io';

export async function getCustom(
  plural: string,
  namespace: string | undefined,
  name: string,
): Promise<Obj | undefined> {
  const { custom } = kube();
  try {
    if (namespace)
      return (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: 'v1',
        namespace,
        plural,
        name,
      })) as Obj;
    return (await custom.getClusterCustomObject({ group: GROUP, version: 'v1', plural, name })) as Obj;
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

export const getEs = (ns: string, name: string) => getCustom('externalsecrets', ns, name);

export function ready(o: Obj | undefined): Condition | undefined {
  return o?.status?.conditions?.find((c) => c.type === 'Ready');
}

/** Waits until the object's Ready condition has the status (and reason) and reflects its generation. */
export async function waitReady(
  plural: string,
  ns: string | undefined,
  name: string,
  want: { status?: 'True' | 'False'; reason?: string; message?: RegExp } = {},
  timeoutMs = 30_000,
): Promise<Obj> {
  return waitFor(
    `${plural} ${ns ?? ''}/${name} Ready=${want.status ?? 'True'}${want.reason ? ` (${want.reason})` : ''}`,
    async () => {
      const o = await getCustom(plural, ns, name);
      const c = ready(o);
      if (!o || !c) return undefined;
      if (c.status !== (want.status ?? 'True')) return undefined;
      if (want.reason && c.reason !== want.reason) return undefined;
      if (want.message && !want.message.test(c.message ?? '')) return undefined;
      if (o.status?.observedGeneration !== undefined && o.status.observedGeneration !== o.metadata.generation)
        return undefined;
      return o;
    },
    { timeoutMs },
  );
}

export const waitEs = (
  ns: string,
  name: string,
  want: Parameters<typeof waitReady>[3] = {},
  timeoutMs?: number,
) => waitReady('externalsecrets', ns, name, want, timeoutMs);

export async function getSecret(ns: string, name: string): Promise<V1Secret | undefined> {
  try {
    return await kube().core.readNamespacedSecret({ name, namespace: ns });
  } catch (e) {
    if ((e as { code?: number }).code === 404) return undefined;
    throw e;
  }
}

/** The Secret's data decoded to strings, or undefined when it does not exist. */
export async function secretData(ns: string, name: string): Promise<Record<string, string> | undefined> {
  const s = await getSecret(ns, name);
  if (!s) return undefined;
  return Object.fromEntries(
    Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

export async function events(ns?: string): Promise<CoreV1Event[]> {
  const { core } = kube();
  const list = ns
    ? await core.listNamespacedEvent({ namespace: ns })
    : await core.listEventForAllNamespaces({});
  return list.items;
}

export function fakeStore(
  ns: string,
  name: string,
  data: { key: string; value: string; version?: string }[],
  extra: object = {},
): object {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: { provider: { fake: { data } }, ...extra },
  };
}

export function externalSecret(
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  metadata: object = {},
): object {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name, namespace: ns, ...metadata },
    spec,
  };
}

export interface ClusterEnv {
  APISERVER_URL: string;
  APISERVER_CA: string;
  SA_ISSUER: string;
  SA_PUBLIC_KEY: string;
}

export function clusterEnv(): ClusterEnv {
  const text = readFileSync(CLUSTER_ENV, 'utf8');
  const env = Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  return env as unknown as ClusterEnv;
}

/** A kubernetes-provider store reading `remoteNamespace` of the test cluster with `auth`. */
export function kubernetesStore(
  ns: string,
  name: string,
  remoteNamespace: string,
  auth: object,
  extra: object = {},
): object {
  const env = clusterEnv();
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'SecretStore',
    metadata: { name, namespace: ns },
    spec: {
      provider: {
        kubernetes: {
          remoteNamespace,
          server: { url: env.APISERVER_URL, caBundle: readFileSync(env.APISERVER_CA).toString('base64') },
          auth,
          ...extra,
        },
      },
    },
  };
}

export function plainSecret(
  ns: string,
  name: string,
  stringData: Record<string, string>,
  metadata: object = {},
): object {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns, ...metadata }, stringData };
}

/** Grants ServiceAccount `sa` of `saNs` get/list on Secrets of `ns`. */
export function secretReaderRbac(ns: string, saNs: string, sa: string): object[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: saNs } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: `read-${sa}`, namespace: ns },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: `read-${sa}`, namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `read-${sa}` },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: saNs }],
    },
  ];
}
