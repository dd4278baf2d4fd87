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
import { statusWriter } from '../../runtime/status.js';
import { watchChildren, watchNamespaces } from '../fanout/watch.js';
import { CES_FANOUT } from './children.js';
import { cleanupClusterExternalSecret, executeClusterExternalSecret } from './execute.js';
import type { CesExecutorDeps } from './execute.js';
import {
  CES_FINALIZER,
  ESO_NAMESPACE_FINALIZER_PREFIX,
  reconcileClusterExternalSecret,
} from './reconcile.js';
import type { CesOutcome } from './reconcile.js';
import { childIndex, clusterExternalSecretWorld } from './world.js';

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
  const c = controller as unknown as Controller<ClusterExternalSecret, unknown>;
  watchNamespaces(c, CES_FANOUT, cache, caches.namespaces, releaseWanted);
  watchChildren(c, CES_FANOUT, cache, caches.externalSecrets, caches.namespaces);
  return controller;
}

const holdsEsoFinalizer = (ns: Namespace, ces: ClusterExternalSecret) =>
  ns.metadata.finalizers?.includes(`${ESO_NAMESPACE_FINALIZER_PREFIX}${ces.metadata.name ?? ''}`) ?? false;

/** ESO's namespace finalizer for a ClusterExternalSecret appeared, or its namespace is going. */
function releaseWanted(old: Namespace | undefined, ns: Namespace, ces: ClusterExternalSecret): boolean {
  const deleting = !old?.metadata.deletionTimestamp && !!ns.metadata.deletionTimestamp;
  return holdsEsoFinalizer(ns, ces) && (deleting || !old || !holdsEsoFinalizer(old, ces));
}
