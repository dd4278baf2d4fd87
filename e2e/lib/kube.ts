// Test builders and kubectl-style writes on top of cluster.ts. Reads go through
// @kubernetes/client-node, writes mostly through `kubectl apply`, as users and GitOps tools do.

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CoreV1Api, CoreV1Event, CustomObjectsApi, KubeConfig, V1Secret } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  clusterEnv,
  coreApi,
  customObjectsApi,
  getCustom,
  isNotFound,
  kubectl,
  namespacesToCleanUp,
  readyCondition,
  trackNamespace,
  untrackNamespace,
  waitFor as poll,
} from './cluster.js';
import type { Condition, Obj } from './cluster.js';
import { causeOf } from '../../src/controller/reasons.js';

export type { ClusterEnv, Condition, Obj } from './cluster.js';
export { clusterEnv, getCustom, kubectl } from './cluster.js';

export function kube(): { kc: KubeConfig; core: CoreV1Api; custom: CustomObjectsApi } {
  return { kc: adminKubeConfig(), core: coreApi(), custom: customObjectsApi() };
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

export function newNamespace(prefix: string, labels: Record<string, string> = {}): string {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  trackNamespace(name);
  return name;
}

/** Deletes every namespace the test file created (newNamespace or createNamespace). */
export function deleteNamespaces(): void {
  for (const ns of namespacesToCleanUp()) {
    untrackNamespace(ns);
    try {
      kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
    } catch {
      // best effort
    }
  }
}

export function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  return poll(fn, { what, ...opts });
}

export const getEs = (ns: string, name: string) => getCustom('externalsecrets', ns, name);

export const ready: (o: Obj | undefined) => Condition | undefined = readyCondition;

/**
 * Syncret's precise cause of the Ready condition: the reason ESO writes is generic
 * (SecretSyncedError, InvalidProviderConfig), the cause leads the message (src/controller/reasons.ts).
 */
export const cause = (o: Obj | undefined): string | undefined => causeOf(ready(o));

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
      // `reason` is ESO's reason or Syncret's cause (ProviderError, StoreNotFound, ...).
      if (want.reason && c.reason !== want.reason && causeOf(c) !== want.reason) return undefined;
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
    return await coreApi().readNamespacedSecret({ name, namespace: ns });
  } catch (e) {
    if (isNotFound(e)) return undefined;
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
  const core = coreApi();
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
