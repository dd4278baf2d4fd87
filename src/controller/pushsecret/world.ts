// What the PushSecret reconciler may read, and nothing else: stores from the watch caches (by
// name or label selector, controller class and ClusterSecretStore conditions enforced), the
// source Secret(s) (one GET, or one LIST for a label selector, per push: values are never
// cached), templateFrom sources, generators, the clock and the retry state. Writes to stores
// go through the executor (./execute.ts), never through here.

import type { LabelSelector, Namespace, PushSecretStoreRef, Secret, SecretStore } from '../../api/types.js';
import { SECRETS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi } from '../../kube/types.js';
import type { StoreInfo } from '../../providers/types.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { SecretDataError } from '../../secrets/errors.js';
import { secretBytes } from '../../secrets/object-data.js';
import { cachedStores, templateSource } from '../externalsecret/world.js';
import type { GeneratorAccess } from '../generator/access.js';
import { labelSelectorString, matchesSelector, resolveStore, storeInfoOf } from '../store/resolve.js';
import type { StoreLookup } from '../store/resolve.js';
import type { PushStore } from './entries.js';

/** A source Secret's data (decoded), with what messages name it by. */
export interface SourceSecret {
  name: string;
  type?: string;
  data: Record<string, Uint8Array>;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A store a PushSecret pushes to, resolved. */
export interface ResolvedStore extends PushStore {
  info: StoreInfo;
}

export type StoreRefResolution =
  | { ok: true; stores: ResolvedStore[] }
  | { ok: false; reason: 'InvalidSpec' | 'StoreNotFound' | 'StoreNotAllowed'; message: string };

export interface PushWorld extends StoreLookup {
  now(): number;
  /** The stores `ref` names (one) or selects (any number); other controllers' stores are left out. */
  resolveStores(ref: PushSecretStoreRef, namespace: string): StoreRefResolution;
  /** The Secret `namespace/name`, or undefined when it does not exist. */
  sourceSecret(namespace: string, name: string): Promise<SourceSecret | undefined>;
  /** The Secrets of `namespace` whose labels match `selector`. */
  sourceSecrets(namespace: string, selector: LabelSelector): Promise<SourceSecret[]>;
  templateSource?(
    namespace: string,
    kind: 'ConfigMap' | 'Secret',
    name: string,
  ): Promise<Record<string, Uint8Array> | undefined>;
  generators?: GeneratorAccess;
  maxErrorBackoffMs: number;
  /** The operator's floor on refreshInterval (--min-refresh-interval); 0 or undefined: none. */
  minRefreshIntervalMs?: number;
  failures: number;
  random?: () => number;
}

export interface PushWorldDeps {
  api: KubeApi;
  controllerClass: string;
  maxErrorBackoffMs: number;
  minRefreshIntervalMs?: number;
  stores: ObjectCache<SecretStore>;
  clusterStores: ObjectCache<SecretStore>;
  namespaces: ObjectCache<Namespace>;
  generators?: GeneratorAccess;
}

function sourceOf(s: Secret): SourceSecret {
  return {
    name: s.metadata.name ?? '',
    type: s.type,
    data: secretBytes(s),
    labels: { ...(s.metadata.labels ?? {}) },
    annotations: { ...(s.metadata.annotations ?? {}) },
  };
}

function readFailure(e: unknown, what: string): unknown {
  if (!isKubeApiError(e)) return e;
  if (e.code === 403)
    return new SecretDataError(
      'Unsupported',
      `Syncret may not read ${what} (check its RBAC: secrets get/list)`,
    );
  return e;
}

/** Every store of `kind` visible to `namespace` whose labels match, from the caches. */
function selectStores(
  deps: PushWorldDeps,
  kind: 'SecretStore' | 'ClusterSecretStore',
  namespace: string,
  selector: LabelSelector,
): SecretStore[] {
  const cache = kind === 'ClusterSecretStore' ? deps.clusterStores : deps.stores;
  const out: SecretStore[] = [];
  for (const key of cache.keys()) {
    const s = cache.watched(key);
    if (!s || s.metadata.deletionTimestamp) continue;
    if (kind === 'SecretStore' && s.metadata.namespace !== namespace) continue;
    if (matchesSelector(s.metadata.labels ?? {}, selector)) out.push(s);
  }
  return out.sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
}

export function resolvePushStores(
  deps: PushWorldDeps,
  lookup: StoreLookup,
  ref: PushSecretStoreRef,
  namespace: string,
): StoreRefResolution {
  const kind = ref.kind === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
  const resolved = (store: SecretStore, info: StoreInfo): ResolvedStore => ({
    kind,
    name: store.metadata.name ?? '',
    labels: { ...(store.metadata.labels ?? {}) },
    info,
  });
  if (ref.name) {
    const r = resolveStore({ name: ref.name, kind }, namespace, lookup);
    if (!r.ok) return r.reason === 'OtherController' ? { ok: true, stores: [] } : { ...r, reason: r.reason };
    if (r.store.metadata.deletionTimestamp) return { ok: true, stores: [] };
    return { ok: true, stores: [resolved(r.store, r.info)] };
  }
  if (!ref.labelSelector)
    return {
      ok: false,
      reason: 'InvalidSpec',
      message: 'secretStoreRefs: each entry needs name or labelSelector',
    };
  const stores: ResolvedStore[] = [];
  for (const s of selectStores(deps, kind, namespace, ref.labelSelector)) {
    const r = resolveStore({ name: s.metadata.name, kind }, namespace, lookup);
    // Selected stores of another controller class or not open to this namespace are skipped.
    if (r.ok) stores.push(resolved(r.store, r.info));
  }
  return { ok: true, stores };
}

export function pushSecretWorld(
  deps: PushWorldDeps,
  run: { failures: number; signal: AbortSignal },
): PushWorld {
  const lookup = cachedStores(deps.controllerClass, deps);
  return {
    ...lookup,
    now: Date.now,
    resolveStores: (ref, namespace) => resolvePushStores(deps, lookup, ref, namespace),
    async sourceSecret(namespace, name) {
      try {
        return sourceOf(await deps.api.get<Secret>({ type: SECRETS, namespace, name }, run.signal));
      } catch (e) {
        if (isKubeApiError(e) && e.notFound) return undefined;
        throw readFailure(e, `Secret "${namespace}/${name}"`);
      }
    },
    async sourceSecrets(namespace, selector) {
      try {
        const res = await deps.api.list<Secret>(SECRETS, {
          namespace,
          labelSelector: labelSelectorString(selector),
          signal: run.signal,
        });
        return res.items.map(sourceOf).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      } catch (e) {
        throw readFailure(e, `the Secrets of namespace "${namespace}"`);
      }
    },
    templateSource: (ns, kind, name) => templateSource(deps.api, ns, kind, name, run.signal),
    generators: deps.generators,
    maxErrorBackoffMs: deps.maxErrorBackoffMs,
    minRefreshIntervalMs: deps.minRefreshIntervalMs,
    failures: run.failures,
  };
}

/** The store a status entry ("Kind/name") names, for deleting what was pushed there. */
export function storeFromStatusKey(
  key: string,
  namespace: string,
  lookup: StoreLookup,
): { ok: true; info: StoreInfo } | { ok: false; message: string; otherController?: boolean } {
  const slash = key.indexOf('/');
  const kind = key.slice(0, slash) === 'ClusterSecretStore' ? 'ClusterSecretStore' : 'SecretStore';
  const name = key.slice(slash + 1);
  const store = lookup.store(kind, kind === 'SecretStore' ? namespace : undefined, name);
  if (!store) return { ok: false, message: `${kind} "${name}" not found` };
  // Another controller class's store is that controller's to clean up, not ours.
  if ((store.spec?.controller ?? '') !== lookup.controllerClass)
    return { ok: false, message: `${kind} "${name}" belongs to another controller`, otherController: true };
  return { ok: true, info: storeInfoOf(store, kind, namespace) };
}
