// What the ExternalSecret reconciler may read, and nothing else: stores and namespace labels
// from the watch caches, provider values through the shared store access, generators, the
// target Secret's metadata, templateFrom sources, the clock and the retry state. Unit tests
// pass a fake of this interface; the operator builds it from its caches (externalSecretWorld).

import type { Namespace, SecretStore, StoreKind } from '../../api/types.js';
import { CONFIGMAPS, SECRETS } from '../../kube/resources.js';
import { isKubeApiError } from '../../kube/types.js';
import type { KubeApi, ResourceType } from '../../kube/types.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { SecretDataError } from '../../secrets/errors.js';
import { configMapBytes, secretBytes } from '../../secrets/object-data.js';
import type { GeneratorAccess } from '../generator/access.js';
import type { DataSource } from '../store/access.js';
import type { StoreLookup } from '../store/resolve.js';
import type { PipelineWorld } from './pipeline.js';
import type { TargetSecrets } from './targets.js';
import type { TargetSecretInfo } from './target.js';
import type { GenericObject, GenericTargetAccess } from './manifest.js';

export interface EsWorld extends PipelineWorld {
  now(): number;
  /**
   * Metadata of the target Secret (from the managed-Secret cache, else a GET), or undefined.
   * With `assumeAbsent`, a Secret the managed cache does not hold is taken as absent without a
   * GET: the caller then only creates it, and the executor turns a create that finds an
   * existing Secret back into a reconcile with a GET.
   */
  targetSecret(
    namespace: string,
    name: string,
    withData: boolean,
    assumeAbsent?: boolean,
  ): Promise<TargetSecretInfo | undefined>;
  /** Longest delay between retries of a failing ExternalSecret. */
  maxErrorBackoffMs: number;
  /**
   * The operator's floor (--min-refresh-interval): no refresh interval above 0, no retry and no
   * generator re-issue comes sooner. Undefined or 0: none.
   */
  minRefreshIntervalMs?: number;
  /** Failures in a row so far for this key (for the retry delay). */
  failures: number;
  random?: () => number;
  /**
   * target.manifest of another kind than Secret; undefined unless the operator runs with
   * --unsafe-allow-generic-targets (as ESO).
   */
  generic?: GenericTargetAccess;
  /**
   * Labels Syncret adds to each object it writes for `namespace` (Secrets and target.manifest
   * objects) besides ESO's: sharding's bucket.
   */
  targetLabels?: (namespace: string) => Record<string, string>;
}

export interface EsWorldDeps {
  api: KubeApi;
  controllerClass: string;
  maxErrorBackoffMs: number;
  minRefreshIntervalMs?: number;
  stores: ObjectCache<SecretStore>;
  clusterStores: ObjectCache<SecretStore>;
  namespaces: ObjectCache<Namespace>;
  targets: TargetSecrets;
  source: DataSource;
  generators?: GeneratorAccess;
  generic?: GenericTargetsLike;
  targetLabels?: (namespace: string) => Record<string, string>;
}

/** The operator's generic targets (./generic-targets.ts), as a run binds them to its signal. */
export interface GenericTargetsLike {
  resolve(apiVersion: string, kind: string, signal: AbortSignal): Promise<ResourceType | undefined>;
  get(
    type: ResourceType,
    namespace: string,
    name: string,
    signal: AbortSignal,
  ): Promise<GenericObject | undefined>;
}

/** Store resolution from the watch caches. */
export function cachedStores(
  controllerClass: string,
  caches: Pick<EsWorldDeps, 'stores' | 'clusterStores' | 'namespaces'>,
): StoreLookup {
  return {
    controllerClass,
    store: (kind: StoreKind, namespace: string | undefined, name: string) =>
      kind === 'ClusterSecretStore'
        ? caches.clusterStores.watched(name)
        : caches.stores.watched(`${namespace}/${name}`),
    namespaceLabels: (ns) => caches.namespaces.watched(ns)?.metadata.labels,
  };
}

/** The world of one run of one ExternalSecret. */
export function externalSecretWorld(
  deps: EsWorldDeps,
  run: { failures: number; signal: AbortSignal },
): EsWorld {
  return {
    ...cachedStores(deps.controllerClass, deps),
    now: Date.now,
    source: deps.source,
    generators: deps.generators,
    targetSecret: (ns, name, withData, assumeAbsent = false) =>
      deps.targets.lookup(ns, name, withData, assumeAbsent, run.signal),
    templateSource: (ns, kind, name) => templateSource(deps.api, ns, kind, name, run.signal),
    maxErrorBackoffMs: deps.maxErrorBackoffMs,
    minRefreshIntervalMs: deps.minRefreshIntervalMs,
    failures: run.failures,
    generic: deps.generic && genericAccess(deps.generic, run.signal),
    targetLabels: deps.targetLabels,
  };
}

function genericAccess(g: GenericTargetsLike, signal: AbortSignal): GenericTargetAccess {
  return {
    resolve: (apiVersion, kind) => g.resolve(apiVersion, kind, signal),
    get: (type, namespace, name) => g.get(type, namespace, name, signal),
  };
}

/** templateFrom: a GET per sync (no watch, as ESO), so a changed template shows at the next refresh. */
export async function templateSource(
  api: KubeApi,
  namespace: string,
  kind: 'ConfigMap' | 'Secret',
  name: string,
  signal: AbortSignal,
): Promise<Record<string, Uint8Array> | undefined> {
  try {
    if (kind === 'ConfigMap')
      return configMapBytes(await api.get({ type: CONFIGMAPS, namespace, name }, signal));
    return secretBytes(await api.get({ type: SECRETS, namespace, name }, signal));
  } catch (e) {
    if (isKubeApiError(e) && e.notFound) return undefined;
    if (isKubeApiError(e))
      throw new SecretDataError(
        'TemplateSourceNotFound',
        `reading templateFrom ${kind} "${namespace}/${name}": apiserver answered ${e.code} ${e.reason}`,
      );
    throw e;
  }
}
