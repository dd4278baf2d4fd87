// The ClusterExternalSecret controller's wiring: which changes run which ClusterExternalSecrets,
// the cleanup finalizer, and the world and executor of each run.
//
//   ClusterExternalSecret  create · spec (generation, deletion) · annotation (force-sync is passed on)
//   Namespace   added → those that select it · labels → those whose selection changed ·
//               deletion started or gone → those that selected or provisioned it
//   ExternalSecret  a child that is no longer as wanted (edited, ownership changed) → its owner ·
//               deleted → its owner, and those that want that name in its namespace (a foreign
//               ExternalSecret that went frees the namespace)
//
// Every mapping reads the caches only; a child written by the run that wanted it maps to nothing.

import type { ClusterExternalSecret, ExternalSecret, Namespace } from '../../api/types.js';
import { CLUSTER_EXTERNAL_SECRETS, NAMESPACES } from '../../kube/resources.js';
import type { KubeApi } from '../../kube/types.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import type { ObjectCache } from '../../runtime/cache.js';
import { jsonEqual } from '../../runtime/conditions.js';
import { Controller } from '../../runtime/controller.js';
import { Finalizers } from '../../runtime/finalizer.js';
import type { WorkQueueOptions } from '../../runtime/queue.js';
import { ReverseIndex } from '../../runtime/reverse-index.js';
import { statusWriter } from '../../runtime/status.js';
import { childName, childPatch, selects } from './children.js';
import { cleanupClusterExternalSecret, executeClusterExternalSecret } from './execute.js';
import type { CesExecutorDeps } from './execute.js';
import {
  CES_FINALIZER,
  ESO_NAMESPACE_FINALIZER_PREFIX,
  reconcileClusterExternalSecret,
} from './reconcile.js';
import type { CesOutcome } from './reconcile.js';
import { childIndex, clusterExternalSecretWorld, ownerCesName } from './world.js';

export interface CesCaches {
  clusterExternalSecrets: ObjectCache<ClusterExternalSecret>;
  externalSecrets: ObjectCache<ExternalSecret>;
  namespaces: ObjectCache<Namespace>;
}

export interface CesControllerOptions {
  api: KubeApi;
  /** The operator's --min-refresh-interval (applied to refreshTime). */
  minRefreshIntervalMs?: number;
  caches: CesCaches;
  metrics: Metrics;
  logger: Logger;
  queue: Omit<WorkQueueOptions<string>, 'handler' | 'autoStart'>;
  /** Long-lived: aborted when the operator stops. */
  signal: AbortSignal;
}

export function clusterExternalSecretController(
  o: CesControllerOptions,
): Controller<ClusterExternalSecret, CesOutcome> {
  const { caches } = o;
  const cache = caches.clusterExternalSecrets;
  const children = childIndex(caches.externalSecrets);
  const byChildName = new ReverseIndex<ClusterExternalSecret>((ces) => [childName(ces)]).attach(cache);
  const world = clusterExternalSecretWorld({
    ...caches,
    children,
    minRefreshIntervalMs: o.minRefreshIntervalMs,
  });
  const deps: CesExecutorDeps = {
    api: o.api,
    externalSecrets: caches.externalSecrets,
    namespaces: caches.namespaces,
    namespaceFinalizers: new Finalizers({
      api: o.api,
      type: NAMESPACES,
      cache: caches.namespaces,
      signal: o.signal,
    }),
    writeStatus: statusWriter<ClusterExternalSecret>({
      api: o.api,
      type: CLUSTER_EXTERNAL_SECRETS,
      cache,
      signal: o.signal,
      onWrite: (written) => (written ? o.metrics.statusWrite() : o.metrics.statusWriteSkipped()),
    }),
    metrics: o.metrics,
    logger: o.logger,
  };
  const controller = new Controller<ClusterExternalSecret, CesOutcome>({
    name: 'clusterexternalsecret',
    cache,
    logger: o.logger,
    queue: o.queue,
    changed: (old, ces) => {
      if (old.metadata.generation !== ces.metadata.generation) return 'spec';
      if (!jsonEqual(old.metadata.annotations, ces.metadata.annotations)) return 'annotation';
      return undefined;
    },
    reconcile: async (ces) => reconcileClusterExternalSecret(ces, world),
    execute: (ces, outcome, ctx) => executeClusterExternalSecret(deps, ces, outcome, ctx),
    finalizer: {
      spec: {
        name: CES_FINALIZER,
        // Before the first child exists: a deletion must always find it in place.
        wanted: () => true,
        cleanup: (ces, signal) => cleanupClusterExternalSecret(deps, ces, world, signal),
      },
      writer: new Finalizers({ api: o.api, type: CLUSTER_EXTERNAL_SECRETS, cache, signal: o.signal }),
    },
  });
  watchNamespaces(controller, caches);
  watchChildren(controller, caches, byChildName);
  return controller;
}

/** Keys of the ClusterExternalSecrets for which `test` holds. */
function matching(
  cache: ObjectCache<ClusterExternalSecret>,
  test: (ces: ClusterExternalSecret) => boolean,
): string[] {
  const out: string[] = [];
  for (const key of cache.keys()) {
    const ces = cache.get(key);
    if (ces && test(ces)) out.push(key);
  }
  return out;
}

const holdsEsoFinalizer = (ns: Namespace, ces: ClusterExternalSecret) =>
  ns.metadata.finalizers?.includes(`${ESO_NAMESPACE_FINALIZER_PREFIX}${ces.metadata.name ?? ''}`) ?? false;

function watchNamespaces(controller: Controller<ClusterExternalSecret, CesOutcome>, caches: CesCaches): void {
  const cache = caches.clusterExternalSecrets;
  controller.watch({
    cache: caches.namespaces,
    reason: 'drift',
    onAdd: (ns) => matching(cache, (ces) => selects(ces, ns)),
    onUpdate: (old, ns) => {
      const relabelled = !jsonEqual(old.metadata.labels, ns.metadata.labels);
      const deleting = !old.metadata.deletionTimestamp && !!ns.metadata.deletionTimestamp;
      if (!relabelled && !deleting && jsonEqual(old.metadata.finalizers, ns.metadata.finalizers))
        return undefined;
      return matching(
        cache,
        (ces) =>
          (relabelled && selects(ces, old) !== selects(ces, ns)) ||
          (deleting && (selects(ces, ns) || holdsEsoFinalizer(ns, ces))) ||
          (holdsEsoFinalizer(ns, ces) && !holdsEsoFinalizer(old, ces)),
      );
    },
    onDelete: (ns) =>
      matching(
        cache,
        (ces) => selects(ces, ns) || !!ces.status?.provisionedNamespaces?.includes(ns.metadata.name ?? ''),
      ),
  });
}

function watchChildren(
  controller: Controller<ClusterExternalSecret, CesOutcome>,
  caches: CesCaches,
  byChildName: ReverseIndex<ClusterExternalSecret>,
): void {
  const cache = caches.clusterExternalSecrets;
  // The owner, unless the child is exactly what it wants where it is (e.g. just written by it).
  const ownerIfOff = (es: ExternalSecret): string | undefined => {
    const owner = ownerCesName(es);
    const ces = owner === undefined ? undefined : cache.get(owner);
    if (!ces || owner === undefined) return undefined;
    const ns = caches.namespaces.get(es.metadata.namespace ?? '');
    const wanted = !!ns && selects(ces, ns) && es.metadata.name === childName(ces);
    return wanted && !childPatch(ces, es) ? undefined : owner;
  };
  controller.watch({
    cache: caches.externalSecrets,
    reason: 'drift',
    onAdd: ownerIfOff,
    onUpdate: (old, es) => {
      const before = ownerCesName(old);
      const after = ownerCesName(es);
      if (before !== after) return [before, after].filter((k): k is string => k !== undefined);
      const m = (x: ExternalSecret) => [x.metadata.generation, x.metadata.labels, x.metadata.annotations];
      const refs = (x: ExternalSecret) => x.metadata.ownerReferences;
      if (jsonEqual(m(old), m(es)) && jsonEqual(refs(old), refs(es))) return undefined;
      return ownerIfOff(es);
    },
    onDelete: (es) => {
      const ns = caches.namespaces.get(es.metadata.namespace ?? '');
      const keys = new Set<string>();
      const owner = ownerCesName(es);
      if (owner !== undefined && cache.get(owner)) keys.add(owner);
      for (const key of byChildName.keysFor(es.metadata.name ?? '')) {
        const ces = cache.get(key);
        if (ces && ns && selects(ces, ns)) keys.add(key);
      }
      return keys;
    },
  });
}
